"""The quality benchmark (``dalil eval``): retrieval sets built from the shared data
(``sets.py``) and the runner that indexes each archive with the real pipeline and scores every
mode and baseline (``runner.py``)."""
