"""Text processing shared by indexing and search: language identification (``language.py``),
paragraph splitting (``chunking.py``) and Arabic/English keyword analysis (``analysis.py``)."""
