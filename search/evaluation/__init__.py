"""The quality benchmark (``dalil eval``): retrieval sets built from the shared data
(``sets.py``), the runner that indexes each archive with the real pipeline and scores every
mode and baseline (``runner.py``), and the paired test that says whether a gap between two of
them is more than chance (``significance.py``)."""
