"""Pure parsers for sitemaps, feeds and the Sitemap: lines of robots.txt; safe on any bytes.

Each raises only ParseError. XML goes through defusedxml (no entity expansion, no external
entities); feeds that declare entities are refused before feedparser sees them; gzip is inflated
with a cap, so a compression bomb stops at the limit.
"""

from __future__ import annotations

import calendar
import io
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import defusedxml.ElementTree as SafeET
import feedparser
from dateutil import parser as dateparser
from defusedxml import DefusedXmlException

from ..errors import ParseError
from .links import absolute_url

log = logging.getLogger(__name__)

# The sitemaps protocol caps one sitemap at 50 MB uncompressed and 50,000 URLs.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000
MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_FEED_ENTRIES = 5_000
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SitemapResult:
    """What one sitemap file lists: page URLs with their dates, or child sitemaps (newest first)."""

    urls: list[tuple[str, str | None]]
    children: list[str]
    is_news: bool = False


def _gunzip_capped(data: bytes, limit: int, url: str) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ParseError(f"{url}: corrupt gzip data ({exc})") from None
    if len(out) > limit:
        raise ParseError(f"{url}: decompresses to more than {limit} bytes; refused (size bomb protection)")
    return out


def _iso_date(value: Any) -> str | None:
    """An ISO 8601 string from a sitemap/feed date, or None when it cannot be read."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            parsed = dateparser.parse(text)
        except (ValueError, OverflowError, TypeError, dateparser.ParserError):
            return None
    return parsed.isoformat()


def sort_key(iso: str | None) -> float:
    if iso is None:
        return float("-inf")
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return float("-inf")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_sitemap(data: bytes, url: str) -> SitemapResult:
    """Read a sitemap, sitemap index, Google News sitemap, text sitemap or feed-as-sitemap.
    Gzip is inflated with a cap; DTDs with entities are refused. Raises only ParseError."""
    try:
        return _parse_sitemap(data, url)
    except ParseError:
        raise
    except Exception as exc:  # the promise to callers: bad input never escapes as anything else
        raise ParseError(f"{url}: unreadable sitemap ({type(exc).__name__}: {exc})") from None


def _parse_sitemap(data: bytes, url: str) -> SitemapResult:
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip_capped(data, MAX_SITEMAP_BYTES, url)
    elif len(data) > MAX_SITEMAP_BYTES:
        raise ParseError(f"{url}: sitemap larger than {MAX_SITEMAP_BYTES} bytes; refused")
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise ParseError(f"{url}: empty sitemap")
    if not stripped.startswith(b"<"):
        return _parse_text_sitemap(stripped, url)
    urls: list[tuple[str, str | None]] = []
    children: list[tuple[str, str | None]] = []
    is_news = False
    root = ""
    try:
        for event, elem in SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=False):
            name = _local(elem.tag)
            if event == "start":
                if not root:
                    root = name
                    if root in ("rss", "feed", "rdf"):
                        return SitemapResult(urls=parse_feed(data, url), children=[])
                    if root not in ("urlset", "sitemapindex"):
                        raise ParseError(f"{url}: not a sitemap (root element <{root}>)")
                elif name == "news":
                    is_news = True
                continue
            if name == "url":
                entry = _entry(elem, url, ("publication_date", "lastmod"))
                if entry is not None and len(urls) < MAX_SITEMAP_URLS:
                    urls.append(entry)
                elem.clear()
            elif name == "sitemap" and root == "sitemapindex":
                entry = _entry(elem, url, ("lastmod",))
                if entry is not None and len(children) < MAX_SITEMAP_URLS:
                    children.append(entry)
                elem.clear()
    except DefusedXmlException as exc:
        raise ParseError(f"{url}: refused XML ({type(exc).__name__}: entity or DTD tricks)") from None
    except SafeET.ParseError as exc:
        if not urls and not children:
            raise ParseError(f"{url}: malformed sitemap XML ({exc})") from None
        # A sitemap cut off at the size limit still yields what came before the break.
        log.info("%s: sitemap XML broken after %d entries (%s)", url, len(urls) + len(children), exc)
    if not root:
        raise ParseError(f"{url}: not a sitemap (no XML root element)")
    ordered = [child for child, _ in sorted(children, key=lambda c: sort_key(c[1]), reverse=True)]
    return SitemapResult(urls=urls, children=ordered, is_news=is_news)


def _entry(elem: Any, base: str, date_fields: tuple[str, ...]) -> tuple[str, str | None] | None:
    # Only the entry's own <loc> counts: <image:loc> and <video:...> sit deeper.
    loc = next((child.text for child in elem if _local(child.tag) == "loc"), None)
    dates: dict[str, str | None] = {}
    for child in elem.iter():  # <news:publication_date> sits inside <news:news>
        name = _local(child.tag)
        if name in date_fields and name not in dates:
            dates[name] = _iso_date(child.text)
    absolute = absolute_url(base, loc)
    if absolute is None:
        return None
    date = next((dates[n] for n in date_fields if dates.get(n)), None)
    return absolute, date


def _parse_text_sitemap(data: bytes, url: str) -> SitemapResult:
    urls: list[tuple[str, str | None]] = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        absolute = absolute_url(url, line) if line.startswith(("http://", "https://")) else None
        if absolute and len(urls) < MAX_SITEMAP_URLS:
            urls.append((absolute, None))
    if not urls:
        raise ParseError(f"{url}: not a sitemap (neither XML nor a list of URLs)")
    return SitemapResult(urls=urls, children=[])


def parse_feed(data: bytes, url: str) -> list[tuple[str, str | None]]:
    """(entry link, published ISO date) for each entry of an RSS/Atom feed. Raises only ParseError."""
    try:
        return _parse_feed(data, url)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"{url}: unreadable feed ({type(exc).__name__}: {exc})") from None


def _parse_feed(data: bytes, url: str) -> list[tuple[str, str | None]]:
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip_capped(data, MAX_FEED_BYTES, url)
    if len(data) > MAX_FEED_BYTES:
        raise ParseError(f"{url}: feed larger than {MAX_FEED_BYTES} bytes; refused")
    if not data.strip():
        raise ParseError(f"{url}: empty feed")
    if _ENTITY_DECL.search(data):
        # feedparser's expat would expand internal entities (billion laughs); feeds never need them.
        raise ParseError(f"{url}: refused feed that declares XML entities (entity expansion protection)")
    fast = _parse_wellformed_feed(data, url)
    if fast is not None:
        return fast
    # Not well-formed: feedparser's lenient parser reads what a browser's feed reader would.
    # A stream, never bytes or str: feedparser treats those as a file name or URL to open.
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url}, sanitize_html=False)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"{url}: not an RSS or Atom feed{f' ({reason})' if reason else ''}")
    entries: list[tuple[str, str | None]] = []
    for entry in parsed.entries[:MAX_FEED_ENTRIES]:
        link = _entry_link(entry, url)
        if link is None:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
        date = None
        if stamp:
            try:
                date = datetime.fromtimestamp(calendar.timegm(stamp), UTC).isoformat()
            except (TypeError, ValueError, OverflowError, OSError):
                date = None
        if date is None:
            date = _iso_date(entry.get("published") or entry.get("updated"))
        entries.append((link, date))
    return entries


def _parse_wellformed_feed(data: bytes, url: str) -> list[tuple[str, str | None]] | None:
    """RSS 0.9x/2.0, RSS 1.0 and Atom read with (defused) expat: ten times faster than feedparser,
    which matters because parsing runs on the crawl's event loop. None when the document is not a
    well-formed feed, so that feedparser's lenient parser gets a go."""
    root = ""
    entries: list[tuple[str, str | None]] = []
    # xml:base of each open element, resolved against its parent's: Atom feeds (and some RSS) give
    # relative links that mean nothing against the feed's own URL.
    bases: list[str] = []
    try:
        for event, elem in SafeET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=False):
            name = _local(elem.tag)
            if event == "start":
                bases.append(_xml_base(elem, bases[-1] if bases else url))
                if not root:
                    root = name
                    if root not in ("rss", "rdf", "feed"):
                        return None
                continue
            base = bases.pop() if bases else url
            if name in ("item", "entry"):
                entry = _xml_entry(elem, base)
                if entry is not None and len(entries) < MAX_FEED_ENTRIES:
                    entries.append(entry)
                elem.clear()
    except DefusedXmlException as exc:
        raise ParseError(f"{url}: refused XML ({type(exc).__name__}: entity or DTD tricks)") from None
    except SafeET.ParseError:
        return None
    return entries if root else None


_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _xml_base(elem: Any, parent: str) -> str:
    """The base URL in effect inside `elem`: its xml:base resolved against the parent's, if any."""
    declared = elem.get(_XML_BASE)
    if not declared or not declared.strip():
        return parent
    try:
        return urljoin(parent, declared.strip())
    except ValueError:
        return parent


def _http_url(text: str | None) -> str | None:
    text = text.strip() if text else ""
    return text if text.lower().startswith(("http://", "https://")) else None


def _xml_entry(elem: Any, base: str) -> tuple[str, str | None] | None:
    """(link, date) of an RSS <item> or Atom <entry>; `base` is the xml:base in effect for it."""
    link: str | None = None
    guid: str | None = None
    atom_id: str | None = None
    dates: dict[str, str] = {}
    for child in elem:
        name = _local(child.tag)
        if name == "link":
            # Atom's rel defaults to alternate, and link relations are case-insensitive.
            rel = (child.get("rel") or "alternate").strip().lower()
            href = child.get("href")  # Atom
            if href is not None:
                if rel == "alternate" and link is None:
                    link = absolute_url(_xml_base(child, base), href)
            elif child.text and child.text.strip() and link is None:  # RSS
                link = absolute_url(_xml_base(child, base), child.text)
        elif name == "guid" and child.get("isPermaLink", "true").lower() != "false":
            guid = _http_url(child.text)
        elif name == "id" and atom_id is None:
            # An Atom id is often a tag: or urn: name, but when it is an http(s) URL it is the page.
            atom_id = _http_url(child.text)
        elif name in ("pubdate", "published", "date", "issued", "updated", "modified") and child.text:
            dates.setdefault(name, child.text)
    absolute = link or absolute_url(base, guid) or absolute_url(base, atom_id)
    if absolute is None:
        return None
    for name in ("published", "pubdate", "issued", "date", "updated", "modified"):
        if name in dates:
            date = _utc_iso(dates[name])
            if date is not None:
                return absolute, date
    return absolute, None


def _utc_iso(text: str) -> str | None:
    """A feed date (RFC 822 or W3C) as ISO 8601 in UTC, as feedparser reports it; None if unreadable."""
    text = text.strip()
    parsed: datetime | None = None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = dateparser.isoparse(text)
        except (ValueError, OverflowError):
            return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return None


def _entry_link(entry: Any, base: str) -> str | None:
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links") or ():
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not link:
        guid = entry.get("id")
        if isinstance(guid, str) and guid.startswith(("http://", "https://")):
            link = guid
    return absolute_url(base, link) if isinstance(link, str) else None


def parse_robots_sitemaps(text: str) -> list[str]:
    """The URLs of the Sitemap: lines of a robots.txt, in order, without duplicates."""
    found: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or key.strip().lower() != "sitemap":
            continue
        value = value.split("#", 1)[0].strip()
        absolute = absolute_url(value, value) if value.startswith(("http://", "https://")) else None
        if absolute and absolute not in found:
            found.append(absolute)
    return found
