"""The HTTP server: the app factory (``app.py``), JSON routes (``api.py``) and their schemas
(``schemas.py``, ``convert.py``), the search page (``pages.py``, ``templating.py``,
``templates/``, ``static/``), the one error mapping (``errors.py``), the API key
(``auth.py``), the searcher that follows new generations (``holder.py``), API writes
(``writes.py``), scheduled re-indexing (``scheduling.py``) and offline API docs (``docs.py``)."""
