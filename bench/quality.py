"""Retrieval-quality benchmark, the same as ``dalil eval`` (see search/benchmark.py).

.venv/bin/python bench/quality.py [--limit 100] [--sets ar>ar,mix:ar>en] [--threads 1]
"""

from __future__ import annotations

import sys

from dalil.web.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
