"""dalil's indexer: read releases, split them into paragraphs, encode and store them.

Stages are pure steps: read (``indexer.readers``) -> split (``indexer.chunking``) ->
analyse / encode (``indexer.analysis``, ``indexer.embedding``) -> write (``indexer.docstore``,
``indexer.keyword_store``, ``indexer.vector_store``), orchestrated by ``indexer.pipeline``.
"""
