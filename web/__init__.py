"""dalil for people and other programs: the ``dalil`` command line (``cli/``) and the HTTP
server with its JSON API and search page (``server/``). Uses only the faces of
``dalil.search`` and ``dalil.indexer``."""
