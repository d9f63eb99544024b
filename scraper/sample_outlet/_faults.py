"""The faults the sample outlet can inject (all off by default) and the hostile payloads they serve."""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ._model import Block


@dataclass(frozen=True)
class Fault:
    name: str
    paths: tuple[str, ...]
    description: str


_FAULT_LIST = (
    Fault(
        "rate-limit",
        ("/faults/rate-limit", "/faults/rate-limit-date"),
        "429 Too Many Requests for the first `fault_burst` requests, with Retry-After in seconds "
        "(/faults/rate-limit) or as an HTTP date (/faults/rate-limit-date); then the article.",
    ),
    Fault(
        "unavailable",
        ("/faults/unavailable",),
        "503 Service Unavailable for the first `fault_burst` requests, then the article.",
    ),
    Fault("slow", ("/faults/slow",), "The article, after waiting `slow_seconds` before answering."),
    Fault(
        "reset",
        ("/faults/reset",),
        "The first `fault_burst` requests get headers and part of the body, then a TCP reset; then the article.",
    ),
    Fault(
        "redirect-chain",
        (
            "/faults/redirect-chain",
            "/faults/redirect-chain/2",
            "/faults/redirect-chain/3",
            "/faults/redirect-target",
        ),
        "Three redirects (301, 302, 307) ending at the article at /faults/redirect-target.",
    ),
    Fault(
        "redirect-loop",
        ("/faults/redirect-loop", "/faults/redirect-loop/2"),
        "Two paths redirecting to each other forever.",
    ),
    Fault(
        "cp1252",
        ("/faults/cp1252",),
        "An article encoded in windows-1252, declared only in the Content-Type header.",
    ),
    Fault(
        "latin1-meta",
        ("/faults/latin1",),
        "An article encoded in ISO-8859-1, declared only by <meta charset> (no charset in the header).",
    ),
    Fault("huge", ("/faults/huge",), "An article padded to `huge_bytes` (Content-Length given), streamed."),
    Fault("endless", ("/faults/endless",), "A chunked HTML answer that never ends (until the client hangs up)."),
    Fault(
        "gzip-bomb",
        ("/faults/gzip-bomb",),
        "Content-Encoding: gzip; a few hundred KB that inflate to `bomb_bytes` of HTML whitespace.",
    ),
    Fault(
        "xml-bomb",
        ("/faults/sitemap-bomb.xml", "/faults/feed-bomb.xml"),
        "A sitemap and an RSS feed built on a billion-laughs entity expansion (named in robots.txt and "
        "linked from the home page when on).",
    ),
    Fault(
        "malformed-xml",
        ("/faults/sitemap-malformed.xml", "/faults/feed-malformed.xml"),
        "A sitemap and an RSS feed that are truncated, badly nested XML (named in robots.txt and linked "
        "from the home page when on).",
    ),
    Fault(
        "broken-html",
        ("/faults/broken-html",),
        "An article with unclosed and stray tags and unquoted attributes; the text is all there.",
    ),
    Fault("nul-bytes", ("/faults/nul-bytes",), "An article with NUL bytes between tags and inside a paragraph."),
    Fault(
        "invalid-utf8",
        ("/faults/invalid-utf8",),
        "An article declared UTF-8 with invalid byte sequences in a comment, an attribute and between tags.",
    ),
    Fault("robots-503", ("/robots.txt",), "robots.txt answers 503 (try later, not 'allow all')."),
    Fault("robots-403", ("/robots.txt",), "robots.txt answers 403 (disallow all)."),
    Fault("outage", ("/",), "Every path answers 503: a host that keeps failing."),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _FAULT_LIST}
FAULT_PATHS: dict[str, tuple[str, ...]] = {fault.name: fault.paths for fault in _FAULT_LIST}

# (request path, path of the article it ends at, fault): faults whose answer is, in the end, an article.
ARTICLE_FAULT_PATHS: tuple[tuple[str, str, str], ...] = (
    ("/faults/rate-limit", "/faults/rate-limit", "rate-limit"),
    ("/faults/rate-limit-date", "/faults/rate-limit-date", "rate-limit"),
    ("/faults/unavailable", "/faults/unavailable", "unavailable"),
    ("/faults/slow", "/faults/slow", "slow"),
    ("/faults/reset", "/faults/reset", "reset"),
    ("/faults/redirect-chain", "/faults/redirect-target", "redirect-chain"),
    ("/faults/cp1252", "/faults/cp1252", "cp1252"),
    ("/faults/latin1", "/faults/latin1", "latin1-meta"),
    ("/faults/huge", "/faults/huge", "huge"),
    ("/faults/broken-html", "/faults/broken-html", "broken-html"),
    ("/faults/nul-bytes", "/faults/nul-bytes", "nul-bytes"),
    ("/faults/invalid-utf8", "/faults/invalid-utf8", "invalid-utf8"),
)

# What an ordinary article path may fail with when the site is built with flaky > 0.
FLAKY_KINDS = ("503", "429", "reset", "slow")

CP1252_PARAGRAPH = (
    "The £1.2m grant – about €1.4m – will let the café at Boë Hall reopen after a ‘complete’ refurbishment."
)
LATIN1_PARAGRAPH = (
    "The £1.2m grant will let the café at Boë Hall reopen after a «complete» refurbishment, at ½ the cost."
)
_LATIN1_SAFE = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "€": "EUR"})


def latin1_safe(text: str) -> str:
    return text.translate(_LATIN1_SAFE)


def fault_body_extras(fault: str) -> Callable[[tuple[Block, ...]], tuple[Block, ...]] | None:
    """How a fault article's body differs from a generated one (charset pages carry telling characters)."""
    if fault == "cp1252":
        return lambda blocks: (blocks[0], Block("p", CP1252_PARAGRAPH), *blocks[1:])
    if fault == "latin1-meta":

        def latin1(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
            safe = tuple(
                Block(
                    b.kind,
                    latin1_safe(b.text),
                    None if b.link is None else (latin1_safe(b.link[0]), b.link[1]),
                )
                for b in blocks
            )
            return (safe[0], Block("p", LATIN1_PARAGRAPH), *safe[1:])

        return latin1
    return None


_bomb_lock = threading.Lock()
_bombs: dict[int, bytes] = {}


def gzip_bomb(size: int) -> bytes:
    """A gzip member that inflates to `size` bytes (a 1 MiB multiple) of HTML and spaces.

    Deflating a block after a full flush yields the same bytes each time, so one compressed MiB is
    repeated instead of compressing the whole payload (256 MiB takes ~60 ms, not seconds)."""
    mib = 1 << 20
    count = max(1, size // mib)
    with _bomb_lock:
        if count in _bombs:
            return _bombs[count]
        head = b"<!DOCTYPE html><html><head><title>Bomb</title></head><body>"
        first = head + b" " * (mib - len(head))
        rest = b" " * mib
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        first_segment = compressor.compress(first) + compressor.flush(zlib.Z_FULL_FLUSH)
        segment = compressor.compress(rest) + compressor.flush(zlib.Z_FULL_FLUSH)
        tail = compressor.flush(zlib.Z_FINISH)
        crc = zlib.crc32(first)
        for _ in range(count - 1):
            crc = zlib.crc32(rest, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        trailer = struct.pack("<II", crc & 0xFFFFFFFF, (count * mib) & 0xFFFFFFFF)
        body = header + first_segment + segment * (count - 1) + tail + trailer
        _bombs[count] = body
        return body


def _laughs_dtd(root: str) -> str:
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = "lol" if level == 1 else f"lol{level - 1}"
        entities.append(f'<!ENTITY lol{level} "{("&" + previous + ";") * 10}">')
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {root} [\n  ' + "\n  ".join(entities) + "\n]>\n"


def sitemap_bomb(base: str) -> bytes:
    return (
        _laughs_dtd("urlset")
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + f"  <url><loc>{escape(base)}/bomb-&lol9;</loc><lastmod>&lol9;</lastmod></url>\n</urlset>\n"
    ).encode()


def feed_bomb(base: str, name: str) -> bytes:
    return (
        _laughs_dtd("rss")
        + f'<rss version="2.0"><channel><title>{escape(name)} &lol9;</title><link>{escape(base)}/</link>\n'
        + f"<description>&lol9;</description><item><title>&lol9;</title><link>{escape(base)}/bomb</link>"
        + "<description>&lol9;</description></item></channel></rss>\n"
    ).encode()


def sitemap_malformed(base: str, paths: list[str]) -> bytes:
    """Starts like a real sitemap (its first URLs are real articles), then breaks and stops mid-element."""
    urls = "".join(f"<url><loc>{escape(base + path)}</loc></url>\n" for path in paths[:3])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + urls
        + f"<url><loc>{base}/a&b=c</loc><lastmod>2025-13-45</lastmod></uri>\n<url><loc>{base}/trunc"
    ).encode()


def feed_malformed(base: str, name: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(base + path)}</link></item>\n" for title, path in items[:3]
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{escape(name)}</title>\n'
        + entries
        + "<item><title>Broken &nbsp; entity <b>unclosed</title><link>"
    ).encode()
