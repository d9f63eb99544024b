"""The request handler: routing, conditional requests, gzip, sessions, the meter and fault injection."""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import logging
import math
import re
import secrets
import socket
import struct
import threading
import time
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import _feeds, _pages
from . import _words as w
from ._faults import (
    feed_bomb,
    feed_malformed,
    gzip_bomb,
    sitemap_bomb,
    sitemap_malformed,
)
from ._model import CSRF_FIELD, METER_COOKIE, SESSION_COOKIE, RequestRecord, SampleArticle
from ._pages import Listing, View, paginate
from ._prose import slugify
from ._site import Site

log = logging.getLogger(__name__)

_PAGE_RE = re.compile(r"^(?P<base>.+?)/page/(?P<n>\d+)$")
_CHUNK = 64 * 1024
_TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml", "application/json")


def _png_1x1() -> bytes:
    """A valid 1x1 transparent PNG, built rather than pasted so its checksums are right."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# A tiny image and a one-page PDF: enough for a client to see the type and skip it.
PNG_BYTES = _png_1x1()
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
_CSS = b"body{font-family:Georgia,serif;margin:0}.cookie-banner{position:fixed;bottom:0}\n"
_JS = b"document.addEventListener('DOMContentLoaded',function(){});\n"


@dataclass
class Response:
    """An answer before it is written. `etag_key` names the content (an article revision) when the body
    holds parts, such as related links, that change without the content changing; otherwise the
    ETag is the body's hash."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    last_modified: datetime | None = None
    validators: bool = True
    private: bool = False
    etag_key: str | None = None
    compress: bool = True


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _etag(data: bytes) -> str:
    return 'W/"' + hashlib.blake2b(data, digest_size=10).hexdigest() + '"'


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        self.stopping = threading.Event()
        super().__init__(address, _Handler)
        self.origin = f"{address[0]}:{self.server_port}"  # for requests without a Host header

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is normal here (size limits, resets, endless pages).
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleOutlet/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections release their thread after this long
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body would wait for
    # the client's delayed ACK (~40 ms per keep-alive request).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    # --- plumbing ------------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        site = self.server.site
        split = urlsplit(self.path)
        self.record = RequestRecord(
            method=method,
            target=self.path,
            path=split.path,
            query=split.query,
            headers={key.lower(): value for key, value in self.headers.items()},
            time=time.monotonic(),
            client=self.client_address[0],
        )
        site.record(self.record)
        self.method = method
        self.query = parse_qs(split.query)
        self.cookies = self._cookies()
        host = self.headers.get("Host") or self.server.origin
        self.logged_in = site.session_valid(self.cookies.get(SESSION_COOKIE))
        self.view = View(site, f"http://{host}", self.logged_in)
        self.form: dict[str, str] = {}
        if method == "POST":
            self.form = self._read_form()
        if site.options.latency > 0:
            self.server.stopping.wait(site.options.latency)
        try:
            response = self._route(split.path)
        except Exception:
            log.exception("sample outlet: error answering %s", self.path)
            response = Response(500, b"Internal Server Error", "text/plain; charset=utf-8", validators=False)
        if response is not None:
            self._send(response)

    def _cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        with suppress(CookieError):
            jar.load(self.headers.get("Cookie", ""))
        return {name: morsel.value for name, morsel in jar.items()}

    def _read_form(self) -> dict[str, str]:
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        return {key: values[0] for key, values in parse_qs(raw).items()}

    def _not_modified(self, etag: str, last_modified: datetime | None) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            # RFC 9110: If-None-Match wins over If-Modified-Since; weak comparison.
            ours = etag.removeprefix("W/")
            return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == ours for tag in match.split(","))
        since = self.headers.get("If-Modified-Since")
        if since and last_modified is not None:
            try:
                when = parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) <= when
        return False

    def _send(self, response: Response) -> None:
        headers = list(response.headers)
        status = response.status
        body = response.body
        if response.validators and status == 200:
            etag = _etag((response.etag_key or "").encode() if response.etag_key else body)
            headers.append(("ETag", etag))
            if response.last_modified is not None:
                headers.append(("Last-Modified", http_date(response.last_modified)))
            if self.method in ("GET", "HEAD") and self._not_modified(etag, response.last_modified):
                status, body = 304, b""
        headers.append(
            (
                "Cache-Control",
                "private, no-cache" if response.private else "public, max-age=0, must-revalidate",
            )
        )
        if status != 304:
            headers.append(("Content-Type", response.content_type))
            accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
            textual = response.content_type.startswith(_TEXT_TYPES)
            if response.compress and self.server.site.options.gzip and textual and len(body) > 512:
                headers.append(("Vary", "Accept-Encoding"))
                if accepts_gzip:
                    body = gzip_module.compress(body, compresslevel=5, mtime=0)
                    headers.append(("Content-Encoding", "gzip"))
        self.record.status = status
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.method != "HEAD" and status != 304:
            self.wfile.write(body)

    def _html(self, text: str, status: int = 200, **kwargs: Any) -> Response:
        return Response(status, text.encode("utf-8"), **kwargs)

    def _redirect(self, location: str, status: int = 302, headers: list[tuple[str, str]] | None = None) -> Response:
        return Response(status, b"", "text/plain", [("Location", location), *(headers or [])], validators=False)

    def _not_found(self, gone: bool = False) -> Response:
        return self._html(_pages.not_found_page(self.view, gone), 410 if gone else 404, validators=False)

    def _page_number(self) -> int | None:
        raw = self.query.get("page", ["1"])[0]
        return int(raw) if raw.isdigit() and int(raw) >= 1 else None

    # --- routing -------------------------------------------------------------------------------
    def _route(self, path: str) -> Response | None:
        site = self.server.site
        if site.enabled("outage"):
            return Response(503, b"Service Unavailable", "text/plain", [("Retry-After", "120")], validators=False)
        if path.startswith("/faults/"):
            return self._fault(path)
        if path == "/robots.txt":
            return self._robots()
        if path == "/":
            return self._home()
        if path == "/login":
            return self._login()
        if path == "/logout":
            token = self.cookies.get(SESSION_COOKIE)
            if token:
                site.end_session(token)
            return self._redirect("/", 303, [("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0")])
        if path == "/newsletter":
            return self._redirect("/", 303)
        if path == "/account" and not self.logged_in:
            return self._redirect("/login?next=/account")
        if path == "/search":
            return self._html(
                _pages.search_page(self.view, self.query.get("q", [""])[0]), last_modified=site.last_change
            )
        static = _pages.static_paragraphs(site, path)
        if static is not None:
            status = 403 if path == "/admin/" else 200
            return self._html(
                _pages.static_page(self.view, path, *static),
                status,
                validators=status == 200,
                private=self.logged_in,
            )
        if path.startswith(("/feed", "/sitemap", "/sitemaps/")):
            return self._feeds(path)
        if path.startswith(("/static/", "/images/", "/downloads/")):
            return self._asset(path)
        listing = self._listing(path)
        if listing is not None:
            return listing
        slug = path[1:]
        if "/" not in slug:
            try:
                article = site.article(slug)
            except KeyError:
                return self._not_found()
            return self._article(article)
        return self._not_found()

    def _robots(self) -> Response:
        site = self.server.site
        if site.enabled("robots-503"):
            return Response(503, b"Service Unavailable", "text/plain", [("Retry-After", "60")], validators=False)
        if site.enabled("robots-403"):
            return Response(403, b"Forbidden", "text/plain", validators=False)
        extra = tuple(
            path
            for fault, path in (
                ("xml-bomb", "/faults/sitemap-bomb.xml"),
                ("malformed-xml", "/faults/sitemap-malformed.xml"),
            )
            if site.enabled(fault)
        )
        text = _feeds.robots_txt(self.view, extra)
        return Response(200, text.encode(), "text/plain; charset=utf-8", last_modified=site.last_change)

    def _home(self) -> Response:
        site = self.server.site
        links = tuple(
            (article.path if request_path == article.path else request_path, article.title)
            for request_path, article in site.fault_articles.items()
            if _fault_of(request_path) in site.options.faults
        )
        links += tuple(
            (path, title)
            for fault, path, title in (
                (
                    "redirect-loop",
                    "/faults/redirect-loop",
                    "Council leaders round in circles over reorganisation",
                ),
                ("endless", "/faults/endless", "Live: the budget debate as it happens"),
                ("gzip-bomb", "/faults/gzip-bomb", "Archive: twenty years of council budgets"),
            )
            if site.enabled(fault)
        )
        feeds = tuple(
            path
            for fault, path in (
                ("xml-bomb", "/faults/feed-bomb.xml"),
                ("malformed-xml", "/faults/feed-malformed.xml"),
            )
            if site.enabled(fault)
        )
        html = _pages.home_page(self.view, links, feeds)
        return self._html(html, last_modified=site.last_change, private=self.logged_in)

    def _listing(self, path: str) -> Response | None:
        site = self.server.site
        size = site.options.page_size
        page_number: int | None = 1
        base = path
        match = _PAGE_RE.match(path)
        if match:
            base, page_number = match.group("base"), int(match.group("n"))
        tracking = ""
        intro = ""
        style = "path"
        if base == "/news" or base.startswith("/news/"):
            if match:
                return None
            style = "query"
            page_number = self._page_number()
            if base == "/news":
                heading, items = "News", site.articles
            else:
                key = base.removeprefix("/news/")
                if key not in w.SECTIONS:
                    return None
                heading, items = str(w.SECTIONS[key]["label"]), site.section_articles(key)
        elif base.startswith("/tag/") and base.count("/") == 2:
            tag_slug = base.removeprefix("/tag/")
            names = [tag for tag in (*site.tags, "Press release") if slugify(tag) == tag_slug]
            if not names:
                return None
            heading, items = f"Tag: {names[0]}", site.tag_articles(tag_slug)
            if site.options.tracking_links:
                tracking = "?utm_source=tag_page&utm_medium=web&utm_campaign=tags"
        elif base.startswith("/author/") and base.count("/") == 3:
            _, _, author_uuid, author_slug = base.split("/")
            author = site.author(author_uuid)
            if author is None or author.slug != author_slug:
                return None
            heading, items = author.name, site.author_articles(author_uuid)
            intro = f"Articles by {author.name}"
        elif base.lstrip("/") in w.TOPICS:
            topic = base.lstrip("/")
            heading, items = topic, site.tag_articles(slugify(topic))
            if site.options.tracking_links:
                tracking = f"?utm_source={topic.lower()}&utm_medium=topic_page"
        else:
            return None
        if page_number is None:
            return self._not_found()
        chunk, pages = paginate(items, page_number, size)
        if page_number > pages:
            return self._not_found()
        listing = Listing(heading, chunk, page_number, pages, base, style, tracking, intro)
        return self._html(
            _pages.listing_page(self.view, listing), last_modified=site.last_change, private=self.logged_in
        )

    def _feeds(self, path: str) -> Response:
        site = self.server.site
        view = self.view
        xml = "application/xml; charset=utf-8"
        if path in ("/feed", "/feed/atom"):
            if not site.options.feeds:
                return self._not_found()
            if path == "/feed":
                return Response(
                    200,
                    _feeds.rss(view),
                    "application/rss+xml; charset=utf-8",
                    last_modified=site.last_change,
                )
            return Response(
                200, _feeds.atom(view), "application/atom+xml; charset=utf-8", last_modified=site.last_change
            )
        if path == "/sitemap.xml":
            return Response(200, _feeds.sitemap_index(view), xml, last_modified=site.last_change)
        if path == "/sitemap-news.xml":
            return Response(200, _feeds.news_sitemap(view), xml, last_modified=site.last_change)
        if path == "/sitemaps/pages.xml":
            return Response(200, _feeds.sitemap_pages(view), xml, last_modified=site.last_change)
        match = re.fullmatch(r"/sitemaps/articles-(\d+)\.xml\.gz", path)
        if match:
            data = _feeds.sitemap_articles(view, int(match.group(1)))
            if data is not None:
                return Response(200, data, "application/x-gzip", last_modified=site.last_change, compress=False)
        return self._not_found()

    def _asset(self, path: str) -> Response:
        last_modified = self.server.site.options.now
        if path == "/static/site.css":
            return Response(200, _CSS, "text/css; charset=utf-8", last_modified=last_modified)
        if path == "/static/site.js":
            return Response(200, _JS, "application/javascript; charset=utf-8", last_modified=last_modified)
        if path.endswith(".png") and path.count("/") == 2:
            return Response(200, PNG_BYTES, "image/png", last_modified=last_modified)
        if path.startswith("/downloads/") and path.endswith(".pdf"):
            return Response(200, PDF_BYTES, "application/pdf", last_modified=last_modified)
        return self._not_found()

    # --- articles, sessions and the meter -------------------------------------------------------
    def _article(self, article: SampleArticle, *, flaky: bool = True) -> Response | None:
        site = self.server.site
        if article.deleted:
            return self._not_found(gone=article.status == 410)
        if flaky:
            kind = site.flaky_kind(article.path)
            if kind is not None and site.hit(f"flaky:{article.path}") <= site.options.fault_burst:
                return self._flaky(kind, article)
        return self._article_response(article)

    def _article_response(self, article: SampleArticle) -> Response:
        site = self.server.site
        headers: list[tuple[str, str]] = []
        meter_left: int | None = None
        blocked = False
        if self.logged_in or article.access in ("free", "declared-free-text"):
            full = True
        elif article.access == "paywalled":
            full = False
        else:
            client = self.cookies.get(METER_COOKIE)
            if not client:
                client = secrets.token_urlsafe(12)
                headers.append(("Set-Cookie", f"{METER_COOKIE}={client}; Path=/; Max-Age=2592000; SameSite=Lax"))
            full, meter_left = site.meter_view(client, article.slug)
            blocked = not full
        html = _pages.article_page(self.view, article, full=full, meter_left=meter_left, meter_blocked=blocked)
        variant = f"{article.path}|{article.version}|{full}|{meter_left}|{self.logged_in}|{self.view.base}"
        return Response(
            200,
            html.encode("utf-8"),
            headers=headers,
            last_modified=article.modified,
            private=self.logged_in or article.access == "metered",
            etag_key=variant,
        )

    def _login(self) -> Response:
        site = self.server.site
        next_path = self.form.get("next") or self.query.get("next", ["/"])[0]
        if not next_path.startswith("/") or next_path.startswith("//"):
            next_path = "/"
        if self.method != "POST":
            return self._html(_pages.login_page(self.view, site.new_csrf(), next_path), private=True)
        if not site.take_csrf(self.form.get(CSRF_FIELD, "")):
            html = _pages.login_page(
                self.view, site.new_csrf(), next_path, "Your login form expired. Please try again."
            )
            return self._html(html, 403, validators=False, private=True)
        if not site.check_credentials(self.form.get("username", ""), self.form.get("password", "")):
            html = _pages.login_page(self.view, site.new_csrf(), next_path, "Incorrect email address or password.")
            return self._html(html, validators=False, private=True)
        token = site.make_session()
        lifetime = site.options.session_lifetime
        max_age = f"; Max-Age={math.ceil(lifetime)}" if lifetime is not None else ""
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{max_age}"
        return self._redirect(next_path, 303, [("Set-Cookie", cookie)])

    # --- faults --------------------------------------------------------------------------------
    def _fault(self, path: str) -> Response | None:
        site = self.server.site
        fault = _fault_of(path)
        if fault is None or not site.enabled(fault):
            return self._not_found()
        base = self.view.base
        burst = site.options.fault_burst
        if fault == "redirect-chain":
            hops = {
                "/faults/redirect-chain": (301, base + "/faults/redirect-chain/2"),
                "/faults/redirect-chain/2": (302, "/faults/redirect-chain/3"),
                "/faults/redirect-chain/3": (307, "/faults/redirect-target"),
            }
            if path in hops:
                status, location = hops[path]
                return self._redirect(location, status)
            return self._article_response(site.fault_articles["/faults/redirect-chain"])
        if fault == "redirect-loop":
            target = "/faults/redirect-loop/2" if path == "/faults/redirect-loop" else "/faults/redirect-loop"
            return self._redirect(target, 302)
        if fault == "xml-bomb":
            body = sitemap_bomb(base) if "sitemap" in path else feed_bomb(base, site.name)
            return Response(200, body, "application/xml; charset=utf-8", validators=False, compress=False)
        if fault == "malformed-xml":
            live = site.articles
            if "sitemap" in path:
                body = sitemap_malformed(base, [a.path for a in live])
            else:
                body = feed_malformed(base, site.name, [(a.title, a.path) for a in live])
            return Response(200, body, "application/xml; charset=utf-8", validators=False, compress=False)
        if fault == "gzip-bomb":
            self._gzip_bomb()
            return None
        if fault == "endless":
            self._endless()
            return None
        article = site.fault_articles.get(path)
        if article is None:
            return self._not_found()
        if fault == "rate-limit":
            if site.hit(path) <= burst:
                if path.endswith("-date"):
                    when = datetime.fromtimestamp(math.ceil(time.time()) + site.options.retry_after, UTC)
                    retry_after = http_date(when)
                else:
                    retry_after = str(site.options.retry_after)
                return Response(
                    429, b"Too Many Requests", "text/plain", [("Retry-After", retry_after)], validators=False
                )
            return self._article_response(article)
        if fault == "unavailable":
            if site.hit(path) <= burst:
                return Response(503, b"Service Unavailable", "text/plain", validators=False)
            return self._article_response(article)
        if fault == "slow":
            self.server.stopping.wait(site.options.slow_seconds)
            return self._article_response(article)
        if fault == "reset":
            if site.hit(path) <= burst:
                self._reset_mid_body(self._article_response(article).body)
                return None
            return self._article_response(article)
        if fault == "huge":
            self._huge(article)
            return None
        return self._encoded_article(fault, article)

    def _flaky(self, kind: str, article: SampleArticle) -> Response | None:
        """An ordinary article failing one of its first requests (None: the answer was already sent)."""
        site = self.server.site
        if kind == "503":
            return Response(503, b"Service Unavailable", "text/plain", validators=False)
        if kind == "429":
            return Response(
                429,
                b"Too Many Requests",
                "text/plain",
                [("Retry-After", str(site.options.retry_after))],
                validators=False,
            )
        if kind == "reset":
            self._reset_mid_body(self._article_response(article).body)
            return None
        self.server.stopping.wait(site.options.slow_seconds)
        return self._article_response(article)

    def _encoded_article(self, fault: str, article: SampleArticle) -> Response:
        response = self._article_response(article)
        html = response.body.decode("utf-8")
        content_type = "text/html; charset=utf-8"
        if fault == "cp1252":
            html = html.replace('<meta charset="utf-8">\n', "", 1)
            body = html.encode("cp1252", "xmlcharrefreplace")
            content_type = "text/html; charset=windows-1252"
        elif fault == "latin1-meta":
            html = html.replace('<meta charset="utf-8">', '<meta charset="iso-8859-1">', 1)
            body = html.encode("latin-1", "xmlcharrefreplace")
            content_type = "text/html"
        elif fault == "broken-html":
            body = _break_html(html).encode("utf-8")
        elif fault == "nul-bytes":
            html = html.replace("</p>", "</p>\x00").replace("</h1>", "</h1>\x00\x00", 1)
            start = html.index('itemprop="articleBody">')
            cut = html.index(". ", start) + 1
            body = (html[:cut] + "\x00" + html[cut:]).encode("utf-8")
        else:  # invalid-utf8
            raw = html.encode("utf-8")
            raw = raw.replace(
                b"</head>",
                b'<meta name="generator" content="CMS \xe2\x80 v2">\n<!-- build \xff\xfe\xc3 -->\n</head>',
                1,
            )
            raw = raw.replace(b"All rights reserved.", b"All rights \xc0\xafreserved.", 1)
            body = raw
        response.body = body
        response.content_type = content_type
        response.compress = fault not in ("cp1252", "latin1-meta")
        return response

    def _reset_mid_body(self, body: bytes) -> None:
        """Headers promising the whole body, a third of it, then a TCP reset (SO_LINGER 0 + close)."""
        self.record.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(OSError):
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True

    def _stream_headers(self, extra: list[tuple[str, str]]) -> None:
        self.record.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def _huge(self, article: SampleArticle) -> None:
        """A real article followed by a page-state script padded to `huge_bytes` in all."""
        html = self._article_response(article).body
        cut = html.rindex(b"</body>")
        prefix = html[:cut] + b'<script type="application/json" id="page-state">{"padding":"'
        suffix = b'"}</script>\n</body>\n</html>\n'
        total = max(self.server.site.options.huge_bytes, len(prefix) + len(suffix))
        self._stream_headers([("Content-Length", str(total))])
        if self.method == "HEAD":
            return
        with suppress(OSError):
            self.wfile.write(prefix)
            remaining = total - len(prefix) - len(suffix)
            filler = b"x" * _CHUNK
            while remaining > 0 and not self.server.stopping.is_set():
                piece = filler[: min(_CHUNK, remaining)]
                self.wfile.write(piece)
                remaining -= len(piece)
            self.wfile.write(suffix)

    def _endless(self) -> None:
        """Chunked HTML that never ends: stops only when the client hangs up or the server stops."""
        self._stream_headers([("Transfer-Encoding", "chunked")])
        self.close_connection = True
        if self.method == "HEAD":
            return
        chunk = b"<p>" + b"Live updates continue. " * 2800 + b"</p>\n"
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        with suppress(OSError):
            head = b"<!DOCTYPE html><html><head><title>Live</title></head><body>\n"
            self.wfile.write(f"{len(head):x}\r\n".encode() + head + b"\r\n")
            while not self.server.stopping.is_set():
                self.wfile.write(framed)

    def _gzip_bomb(self) -> None:
        body = gzip_bomb(self.server.site.options.bomb_bytes)
        self._stream_headers([("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))])
        if self.method != "HEAD":
            with suppress(OSError):
                self.wfile.write(body)


def _fault_of(path: str) -> str | None:
    from ._faults import FAULTS

    for name, fault in FAULTS.items():
        if path in fault.paths and path.startswith("/faults/"):
            return name
    return None


def _break_html(html: str) -> str:
    """Unclosed paragraphs and list items, stray closing tags, unquoted attributes, no closing skeleton."""
    for closing in ("</p>", "</li>", "</ul>", "</article>", "</main>", "</body>", "</html>"):
        html = html.replace(closing, "")
    html = html.replace("</h1>", "</h1></span></div></section>", 1)
    html = html.replace(
        '<div class="article-body" itemprop="articleBody">',
        "<div class=article-body itemprop=articleBody><b>",
        1,
    )
    return html.replace('<div class="article-tags">', "</b></i><div class='article-tags'>", 1)
