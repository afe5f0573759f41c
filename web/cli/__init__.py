"""The ``dalil`` command line: ``main.py`` dispatches to one module per command (``index``,
``search``, ``serve``, ``eval``, ``reindex``, ``schedule``, ``verify``); ``options.py`` holds
the options they share."""
