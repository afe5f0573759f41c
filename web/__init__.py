"""dalil over HTTP (FastAPI JSON API + search page) and the `dalil` command line."""
