"""Write runs: the one write path (``generation.py``: build the next generation, apply a
change, publish), the pipeline that splits, embeds and writes releases into an open index
(``pipeline.py``), embedding reuse (``reuse.py``), ``dalil reindex`` over configured sources
(``reindex.py``) and the record of every run (``runs.py``, ``outcomes.py``)."""
