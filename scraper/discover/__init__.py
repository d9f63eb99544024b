"""Discovery: an outlet's sitemaps, news sitemaps, feeds and listing pages -> article Candidates.

`discover()` runs the sources for one outlet (order and rules in .run); the parsers are pure and
safe on any input (.parsers); URL and page classification lives in .links.
"""

from .links import UrlKind, classify_page, classify_url, extract_links, find_feed_links, same_site
from .parsers import SitemapResult, parse_feed, parse_robots_sitemaps, parse_sitemap
from .run import COMMON_FEED_PATHS, DiscoveryResult, FetcherLike, discover

__all__ = [
    "COMMON_FEED_PATHS",
    "DiscoveryResult",
    "FetcherLike",
    "SitemapResult",
    "UrlKind",
    "classify_page",
    "classify_url",
    "discover",
    "extract_links",
    "find_feed_links",
    "parse_feed",
    "parse_robots_sitemaps",
    "parse_sitemap",
    "same_site",
]
