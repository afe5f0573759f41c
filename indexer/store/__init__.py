"""One index on disk: SQLite releases and paragraphs (``docstore.py``), the Whoosh keyword
index (``keyword_store.py``, its fields in ``keyword_fields.py``, scored by
``keyword_scoring.py``, written in bulk by ``keyword_writer.py``), one FAISS file per encoder
(``vector_store.py``), the manifest, the :class:`~dalil.indexer.store.index.Index` that holds
them together, durable writes, and every on-disk name and generation path (``layout.py``);
for searching, the release of every paragraph and the facet columns of every release as arrays
(``release_table.py``), counted over a query's matches by ``release_stats.py``."""
