"""Untrusted HTML into a Lexbor tree, in bounded time and memory, for every stage that parses pages.

`parse_html(html)` caps the page's size, tames it (`tame_html`) and parses it with selectolax's
Lexbor parser, whatever the text holds (lone surrogates from a wrong decode included). The
extractor, discovery's link reader and the login form reader all parse through it, so a hostile
page costs the same bounded time wherever it is read.
"""

from __future__ import annotations

import logging
import re
from itertools import islice

from selectolax.lexbor import LexborHTMLParser

__all__ = ["MAX_HTML_CHARS", "parse_html", "tame_html"]

log = logging.getLogger(__name__)

# Lexbor copes with any size, but a page this large is not an article and would only cost time.
MAX_HTML_CHARS = 20_000_000


# Lexbor's tree building, and reading the text of nested elements after it, slow down with the
# square of the nesting depth: 10 MB of nested <div>s or <ul>s would take hours, 30,000 <span>s
# nested by stray end tags ("<span></q>") take Lexbor 1.6 s and the body reader 6 s more. The
# pages of the shared corpora nest at most 290 elements deep (as counted by _depth_cut): far
# deeper marks a degenerate page, read only up to where its nesting gets too deep. Counting
# over the whole page costs a tenth of the parse (more on non-ASCII text), so a few evenly
# spaced windows are probed first (a run of opened tags fills any window it covers); only a
# suspicious window leads to the count of the real depth.
_MAX_DEPTH = 4_000
_MAX_UNCLOSED = 20_000
_DEGENERATE_PREFIX_CHARS = 20_000
_PROBE_WINDOWS = 8
_PROBE_CHARS = 2048
# Windows are never further apart than this, so that a large page hides no long run of
# opened tags or long tag (see below) between two windows.
_PROBE_MAX_STEP = 30 * 1024
_PROBE_MAX_UNCLOSED = 200
# One tag with tens of thousands of attributes makes Lexbor quadratic too (20,000 take 2 s):
# a tag longer than this with more attributes than that loses its attributes (a window with
# no ">" inside a tag finds it).
_MAX_TAG_CHARS = 32 * 1024
_MAX_ATTRIBUTES = 1_000
# Elements that have no end tag (void) or whose end tag is implied by the next sibling (<p>,
# <li>, <td>...): they add no depth, and counting them would flag pages that never close them.
_NO_DEPTH_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
        "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp",
    }
)  # fmt: skip
# A start or end tag: its slash, its name and the rest up to ">" (a final "/" closes it: <path ... />,
# in SVG). [^<>] keeps the match from running on past the next tag when a tag has no ">"; the
# possessive quantifiers keep a long run without "<" or ">" from being re-read (linear time).
_NO_DEPTH_NAMES = "|".join(sorted(_NO_DEPTH_TAGS))
_TAG_RE = re.compile(rf"<(/?)(?!(?:{_NO_DEPTH_NAMES})[\s/>])([A-Za-z][^\s/<>]*+)([^<>]*+)>", re.IGNORECASE)
# Elements whose content is text, not markup: a "<" in a script ("i<n") opens nothing.
_RAW_TEXT_END = {
    name: re.compile(rf"</{name}[\s>]", re.IGNORECASE) for name in ("script", "style", "textarea", "title", "xmp")
}
_TAG_NAME_RE = re.compile(r"/?[A-Za-z][^\s/<>]{0,63}")
_TAG_START_RE = re.compile(r"/?[A-Za-z][\w:.-]*[\s/]")
# An attribute (or the tag's name): a name, then maybe "=" and a value, quoted or not.
_ATTRIBUTE_RE = re.compile(r"""[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?""")


def _depth_cut(html: str, limit: int = _MAX_DEPTH, pos: int = 0, end: int | None = None) -> int | None:
    """Where the nesting of html[pos:end] first gets deeper than `limit`, or None."""
    depth = 0
    open_by_name: dict[str, int] = {}
    end = len(html) if end is None else end
    while (match := _TAG_RE.search(html, pos, end)) is not None:
        pos = match.end()
        slash, name, rest = match.groups()
        name = name.lower()
        raw_end = _RAW_TEXT_END.get(name)
        if raw_end is not None and not slash:
            closing = raw_end.search(html, pos, end)
            if closing is None:
                return None  # the rest is script or style text
            pos = closing.end()
            continue
        if slash:
            # An end tag only closes an open element of its name: stray ones ("</q>" with no
            # <q> open, which the parser ignores) must not hide the depth of the others.
            count = open_by_name.get(name, 0)
            if count:
                open_by_name[name] = count - 1
                depth -= 1
        elif not rest.endswith("/"):
            open_by_name[name] = open_by_name.get(name, 0) + 1
            depth += 1
            if depth > limit:
                return match.start()
    return None


def _suspicious_window(html: str, pos: int) -> bool:
    end = pos + _PROBE_CHARS
    # A window can leave no more elements unclosed than it opens tags: counting "<" alone is
    # several times cheaper than counting "</" too, and ordinary markup has too few to matter.
    opened = html.count("<", pos, end)
    if opened <= _PROBE_MAX_UNCLOSED:
        return False
    if opened - 2 * html.count("</", pos, end) > _PROBE_MAX_UNCLOSED:
        return True
    # As many end tags as start tags, but stray ones ("<span></q>") nest as deep: in the few
    # windows this dense, the depth is counted by name.
    return _depth_cut(html, _PROBE_MAX_UNCLOSED // 2, pos, end) is not None


def _long_tag(html: str, pos: int) -> tuple[tuple[int, int] | None, int]:
    """For the window at `pos`, which has no ">": the span of a tag with a flood of attributes
    around it, from its "<" to its ">" (or the page's end), or None; and where the stretch
    without ">" that holds the window ends (the next window to look at lies beyond it)."""
    end = pos + _PROBE_CHARS
    # Most such windows are in a long script or paragraph with a ">" not far off on both sides:
    # two scans of bounded length tell so, before any scan that may cross the whole page.
    before = html.rfind(">", max(0, pos - _MAX_TAG_CHARS), pos)
    after = html.find(">", end, pos + _MAX_TAG_CHARS)
    if before >= 0 and after >= 0 and after - before <= _MAX_TAG_CHARS:
        return None, after
    after = html.find(">", end)
    after = len(html) if after < 0 else after
    start = html.find("<", html.rfind(">", 0, pos) + 1, end)
    # A tag's name ends at a space or "/" (its attributes follow); "<t.length" or "<e;" in a
    # script does not open one.
    if start < 0 or after - start <= _MAX_TAG_CHARS or _TAG_START_RE.match(html, start + 1) is None:
        return None, after
    # Real tags this long hold one long value (JSON in a data attribute, an SVG path, a data:
    # URL), which costs nothing: only a flood of attributes is quadratic.
    attributes = islice(_ATTRIBUTE_RE.finditer(html, start + 1, after), _MAX_ATTRIBUTES + 1)
    return ((start, after) if sum(1 for _ in attributes) > _MAX_ATTRIBUTES else None), after


def tame_html(html: str) -> str:
    """`html` made safe to hand to an HTML parser in bounded time: a tag longer than
    _MAX_TAG_CHARS loses its attributes, and a page nested deeper than _MAX_DEPTH is cut where
    it gets that deep. Ordinary pages come back unchanged, at the cost of a few window probes.
    For any code that parses raw HTML with selectolax (or another HTML5 parser)."""
    if not isinstance(html, str):
        return ""
    size = len(html)
    step = max(_PROBE_CHARS, min(size // _PROBE_WINDOWS, _PROBE_MAX_STEP))
    suspicious = False
    long_tags: list[tuple[int, int]] = []
    judged_until = -1  # windows before this lie in a stretch without ">" already looked at
    for pos in range(0, size, step):
        if html.find(">", pos, pos + _PROBE_CHARS) < 0:
            if pos >= judged_until:
                span, judged_until = _long_tag(html, pos)
                if span is not None:
                    long_tags.append(span)
        elif not suspicious:
            suspicious = _suspicious_window(html, pos)
    if long_tags:
        log.debug("page has %d overlong tags: reading them without attributes", len(long_tags))
        parts: list[str] = []
        done = 0
        for start, end in long_tags:
            name = _TAG_NAME_RE.match(html, start + 1)
            parts += (html[done:start], "<", name.group() if name else "")
            done = end
        parts.append(html[done:])
        html = "".join(parts)
    if suspicious:
        # Far more tags opened than closed (runs of <br>, "<" or unclosed cells) is degenerate
        # whatever the depth, and cheaper to count than the depth.
        unclosed = html.count("<") - 2 * html.count("</") - html.count("<!")
        if unclosed > _MAX_UNCLOSED:
            log.debug("page leaves %d elements unclosed: reading its start only", unclosed)
            return html[:_DEGENERATE_PREFIX_CHARS]
        cut = _depth_cut(html)
        if cut is not None:
            log.debug("page nests more than %d elements deep: reading its start only", _MAX_DEPTH)
            return html[:cut]
    return html


def parse_html(html: str) -> LexborHTMLParser:
    """The page's tree: at most MAX_HTML_CHARS of it, tamed (see tame_html)."""
    html = tame_html(html[:MAX_HTML_CHARS] if isinstance(html, str) else "")
    try:
        return LexborHTMLParser(html)
    except UnicodeEncodeError:
        # Lone surrogates (from a wrong decode) cannot be handed to the C parser.
        return LexborHTMLParser(html.encode("utf-8", errors="replace").decode("utf-8"))
