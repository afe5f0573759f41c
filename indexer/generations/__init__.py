"""Index generations: build the next one beside the live one and switch ``CURRENT`` atomically
(``publish.py``, which also migrates the layout before generations once), record and check
file checksums (``checksums.py``), and verify a generation (``verify.py``)."""
