"""Web sources: press rooms read over HTTP (feeds, sitemaps, listing pages).

``fetch`` (httpx client: limits, retries, conditional GETs), ``robots``, ``cache`` (the
conditional-GET cache at the index root), ``feeds`` (feedparser), ``sitemaps``, ``listing``,
``extract`` (trafilatura), ``outcomes`` (per-URL outcomes and cost of a run) and ``session``
(one run over the configured web sources, yielding the records the file readers yield).
"""

from dalil.indexer.readers.web.outcomes import UrlOutcome, WebCost
from dalil.indexer.readers.web.session import WebSession

__all__ = ["UrlOutcome", "WebCost", "WebSession"]
