"""Article metadata (title, authors, dates, section, tags, language, URLs, standfirst, image).

Order of trust, highest first; a field is taken from the first source that has it:

1. the outlet's ExtractRules selectors (title, byline, date, section), when configured;
2. JSON-LD: the page's main NewsArticle / Article / BlogPosting ... object (searched through
   `@graph` and arrays; nested `author` objects, lists and strings);
3. OpenGraph and `article:*` meta tags (og:title, article:published_time, article:author, ...);
4. Dublin Core and other meta tags (DC.*, dcterms.*, parsely-*, sailthru.*, name=author, date, ...);
5. microdata (`itemprop` headline / author / datePublished / articleSection);
6. heuristics: `<h1>`, `<time datetime>`, byline elements ("By X | 02 October 2013", a labelled
   field such as "<strong>Autor</strong> Jane Doe"), `<title>`; for the date, last of all a date
   closing the `<title>` ("Headline | Site | 28.04.2023"), then an element whose class names a
   date ("meta_date").

Exceptions, each because the higher source is known to be lossy or to serve another reader:
- where og:title and the JSON-LD headline differ, the shorter one comes first (OpenGraph on a
  tie, or when it only adds a kicker to the other): the longer usually adds a sub-header or
  search-engine words, and a headline is "as short as possible" (the news corpus' convention:
  on its 44 pages where the two differ, JSON-LD matches 55%, og:title 41%, the shorter 68%).
  An og:title that is only the site's name is skipped, and one that wraps another source's
  headline in a bar-separated label or site name ("Topic | Headline", "Headline：Site"), or
  between a kicker and a label ("Topic: Headline | Section"), gives way to that plainer
  headline. Two that differ only in quote marks are one headline (the plainer, or the
  typography the page's <h1> and <title> show); one cut from the other mid-sentence gives way
  to the full one; a `<meta name="title">` equal to one of them decides (see _social_first).
  Site names are cut from titles ("Headline | Site");
- a JSON-LD or OpenGraph headline that is a cut-down prefix of the page's `<h1>` gives way to
  the `<h1>`;
- a date without time or offset gives way to a lower source naming the same day with a time
  and offset;
- authors that are only the publisher's own name ("STERN.de", or what `<meta name="publisher">`
  says) are a fallback: a byline element naming a person, or a bold paragraph of names atop the
  body, is preferred;
- JSON-LD authors come from the main object, or from another object with the same headline
  that lists more of them, the main object's included.
Dates are ISO 8601 with the offset when the page gives one, naive otherwise.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..config import ExtractRules
from .authors import clean_authors
from .dates import find_date_in_text, has_time, parse_date, to_iso
from .jsonld import types_of
from .scan import ScanNode, page_nodes, scan_nodes

ARTICLE_TYPES = frozenset(
    {
        "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
        "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "SatiricalArticle",
        "BlogPosting", "LiveBlogPosting", "Report", "TechArticle", "ScholarlyArticle", "SocialMediaPosting",
        "DiscussionForumPosting", "Review", "VideoObject", "Recipe",
    }
)  # fmt: skip
_PAGE_TYPES = frozenset({"WebPage", "ItemPage", "CollectionPage"})
_SPACE_RE = re.compile(r"\s+")
_TITLE_SPLIT_RE = re.compile(r"\s+[|–—·•:»*-]\s+|\s+[|–—·•»]\s*|\s*[|–—·•»]\s+|\s*[：｜]\s*")
# Characters that join a headline to decoration around it ("Kicker: Headline | Site").
_DECORATION_EDGE = "|–—·•:»*-：｜ㅣ/"
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# One broad, cheap query (few substring tests, case-insensitive) narrowed in Python: a long
# list of `[class*=...]` selectors costs as much as a third of the parse.
_BYLINE_QUERY = (
    '[class*="author" i], [class*="byline" i], [id*="byline" i], [rel="author"], [itemprop="author"], '
    '[data-testid*="byline"], [class*="autor" i], [class*="meta" i]'
)
_AUTHOR_CLASS_PARTS = (
    "author-name", "authorname", "author__name", "article-author", "article__author", "meta-author",
    "post-author", "story-author", "byline", "autor", "authors", "author-",
)  # fmt: skip
_AUTHOR_CLASS_TAGS = frozenset({"address", "span", "a", "div"})
_AUTHOR_LABEL_RE = re.compile(
    r"^(?:autor(?:in)?(?:/autor(?:in)?)?|autoren|authors?|auteurs?|autore|autores|reporter|byline):?$", re.IGNORECASE
)
_BYLINE_TEXT_RE = re.compile(r"^(?:by|von|par|por|door|av|af|przez)\s+\w", re.IGNORECASE)


def norm_space(text: str | None) -> str:
    text = text or ""
    if "&" in text:
        # Metadata is often entity-encoded twice ("&amp;quot;" in the HTML, "&quot;" once parsed).
        text = html_lib.unescape(text)
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()


@dataclass
class Metadata:
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    image: str | None = None
    word_count: int | None = None
    site_name: str | None = None
    # Texts that are metadata, not body (byline, headline): the body extractor drops lines equal to them.
    byline_texts: list[str] = field(default_factory=list)
    # True when the authors are only the publisher's own name (or none): a byline in the body
    # text may then name the people.
    authors_weak: bool = True
    # Every declared summary (JSON-LD, OpenGraph, meta description): the body extractor looks
    # for the visible standfirst among them.
    descriptions: list[str] = field(default_factory=list)


class MetaTags:
    """All `<meta>` values by lower-cased name/property/itemprop, in document order; from the
    meta elements or their attribute dicts."""

    def __init__(self, nodes: Iterable[LexborNode | dict[str, str | None]]) -> None:
        self.values: dict[str, list[str]] = {}
        for node in nodes:
            attrs = node if isinstance(node, dict) else node.attributes
            content = attrs.get("content")
            if not content or not content.strip():
                continue
            for key_attr in ("property", "name", "itemprop", "http-equiv"):
                key = attrs.get(key_attr)
                if key:
                    self.values.setdefault(key.strip().lower(), []).append(content.strip())

    def first(self, *names: str) -> str | None:
        for name in names:
            values = self.values.get(name)
            if values:
                return values[0]
        return None

    def all(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(self.values.get(name, ()))
        return out


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return norm_space(value) or None
    if isinstance(value, list):
        for item in value:
            found = _str(item)
            if found:
                return found
    if isinstance(value, dict):
        return _str(value.get("@value") or value.get("name") or value.get("url"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _names(value: Any, depth: int = 0) -> list[str]:
    """Author names from a JSON-LD author value: string, object, or a list of either."""
    if depth > 4:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_names(item, depth + 1))
        return out
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str | list | dict):
            return _names(name, depth + 1)
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            return [f"{given} {family}"]
    return []


def _ld_authors(main: dict[str, Any], objects: list[dict[str, Any]]) -> list[str]:
    """The JSON-LD authors of the article: the main object's, or a longer list that includes
    them on another object with the same headline (an SEO plugin's graph often names only
    the first author of a story whose NewsArticle lists all)."""
    names = _names(main.get("author")) or _names(main.get("creator"))
    headline = main.get("headline")
    if not headline:
        return names
    for obj in objects:
        if obj is main or obj.get("headline") != headline:
            continue
        more = _names(obj.get("author"))
        if len(more) > len(names) and set(names) <= set(more):
            names = more
    return names


def _image_url(value: Any, depth: int = 0) -> str | None:
    if depth > 4:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        for item in value:
            found = _image_url(item, depth + 1)
            if found:
                return found
    if isinstance(value, dict):
        return _image_url(value.get("url") or value.get("contentUrl"), depth + 1)
    return None


def _main_object(objects: list[dict[str, Any]], url: str) -> dict[str, Any] | None:
    """The JSON-LD object describing this page's article: an article type with a headline,
    preferring one that names this URL and then the one carrying the most fields."""
    best: tuple[int, dict[str, Any]] | None = None
    for obj in objects:
        types = types_of(obj)
        if not types & ARTICLE_TYPES:
            continue
        score = len(obj)
        if obj.get("headline"):
            score += 20
        if obj.get("articleBody"):
            score += 10
        if obj.get("datePublished"):
            score += 10
        for key in ("url", "mainEntityOfPage", "@id"):
            own = _str(obj.get(key))
            if own and url and own.split("#")[0].rstrip("/") == url.split("#")[0].rstrip("/"):
                score += 15
                break
        if "VideoObject" in types or "Recipe" in types or "Review" in types:
            score -= 25
        if best is None or score > best[0]:
            best = (score, obj)
    if best is None:
        for obj in objects:
            if types_of(obj) & _PAGE_TYPES and (obj.get("headline") or obj.get("datePublished")):
                return obj
    return best[1] if best else None


def _first_text(tree: LexborHTMLParser, selector: str | None) -> str | None:
    if not selector:
        return None
    try:
        node = tree.css_first(selector)
    except Exception:  # a bad selector in a user's config must not break extraction
        return None
    return norm_space(node.text(deep=True, separator=" ")) if node is not None else None


def _texts(nodes: Iterable[LexborNode]) -> list[str]:
    out = []
    for node in nodes:
        attrs = node.attributes
        value = attrs.get("content") if node.tag == "meta" else None
        out.append(norm_space(value or node.text(deep=True, separator=" ")))
    return out


def _all_texts(tree: LexborHTMLParser, selector: str | None) -> list[str]:
    if not selector:
        return []
    try:
        nodes = tree.css(selector)
    except Exception:
        return []
    return [norm_space(node.text(deep=True, separator=" ")) for node in nodes]


# "By Jane Smith", "By MJ reporter | 02 October 2013", "Von Max Muster": a capitalised lead-in word.
_PLAIN_BYLINE_RE = re.compile(r"^(?:By|From|Von|Par|Por|Door)\s+[A-ZÀ-Ý][^.!?]{1,80}$")


def _byline_nodes(tree: LexborHTMLParser) -> list[LexborNode]:
    """Elements that hold a byline: rel/itemprop author, a class naming a byline or an author,
    or a meta-info element whose text reads as a byline ("von Dr. Max Kolter"). Elements whose
    class names the author's name come first: they hold the name without labels around it."""
    out = []
    named: list[LexborNode] = []
    for node in tree.css(_BYLINE_QUERY):
        attrs = node.attributes
        classes = (attrs.get("class") or "").lower()
        if "comment" in classes:
            continue  # commenters' names
        if "meta" in classes and "author" not in classes and "byline" not in classes:
            text = node.text(deep=True, separator=" ").strip()
            if len(text) < 80 and _BYLINE_TEXT_RE.match(text):
                out.append(node)
            continue
        if (
            attrs.get("rel") == "author"
            or attrs.get("itemprop") == "author"
            or "byline" in (attrs.get("id") or "").lower()
            or "byline" in (attrs.get("data-testid") or "")
            or any(part in classes for part in _AUTHOR_CLASS_PARTS)
            or classes.strip() == "author"
            or (node.tag in _AUTHOR_CLASS_TAGS and "author" in classes.split())
        ):
            (named if "name" in classes else out).append(node)
    if not named and not out:
        # No marked-up byline: a short plain paragraph near the top that reads as one
        # ("By MJ reporter | 02 October 2013") is the byline.
        for node in tree.css("p")[:6]:
            text = node.text(deep=True, separator=" ").strip()
            if len(text) < 120 and _PLAIN_BYLINE_RE.match(text):
                return [node]
        # A labelled field ("<li><strong>Autorin/Autor</strong> Jane Doe</li>"): the label's parent.
        # The label is the element's own text ("<strong>Autor</strong>"): reading only that keeps
        # nested bold runs from costing their whole subtree each.
        for node in tree.css("strong, b, dt, th"):
            if _AUTHOR_LABEL_RE.match(node.text(deep=False).strip()):
                parent = node.parent
                if parent is not None and len(parent.text(deep=True).strip()) < 120:
                    return [parent]
    return named + out


_MAX_DATE_CLASS_NODES = 20


def _date_class_nodes(tree: LexborHTMLParser) -> list[LexborNode]:
    """The first few short elements whose class names a date ("meta_date", "entry-date")."""
    out = []
    # A bounded look: reading an element's text costs its whole subtree, and on a degenerate page
    # (thousands of nested "date" elements) every match holds the rest of the page.
    for node in tree.css('[class*="date" i]')[:_MAX_DATE_CLASS_NODES]:
        if len(node.text(deep=True)) <= 100:
            out.append(node)
            if len(out) == 4:
                break
    return out


def _title_date(title: str) -> datetime | None:
    """A date that is the last part of a page title ("Headline | DW | 28.04.2023")."""
    parts = _TITLE_SPLIT_RE.split(title)
    if len(parts) < 2:
        return None
    last = parts[-1].strip()
    match = _DATE_ONLY_RE.fullmatch(last)
    return parse_date(last) if match else None


def _node_date(node: LexborNode) -> datetime | None:
    attrs = node.attributes
    for key in ("datetime", "content", "data-datetime", "data-timestamp", "title"):
        parsed = parse_date(attrs.get(key))
        if parsed is not None:
            return parsed
    text = norm_space(node.text(deep=True, separator=" "))
    return parse_date(text) or find_date_in_text(text)


_GENERIC_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "gv", "or", "ne", "go"})


@lru_cache(maxsize=1024)
def _host_key(host: str) -> str:
    """The site's own label in a host name: "news.example.com" -> "example", "www.bbc.co.uk" -> "bbc"."""
    labels = [label for label in host.casefold().split(".") if label]
    if len(labels) > 1:
        labels = labels[:-1]  # the top-level domain
        if len(labels) > 1 and labels[-1] in _GENERIC_SECOND_LEVEL:
            labels = labels[:-1]
    return labels[-1] if labels else ""


def _strip_site_name(title: str, site_names: Iterable[str | None], host: str) -> str:
    """'Headline | Site' -> 'Headline' when the tail names the site."""
    parts = _TITLE_SPLIT_RE.split(title)
    if len(parts) < 2:
        return title
    known = {norm_space(s).casefold() for s in site_names if s}
    host_key = _host_key(host)
    while len(parts) > 1:
        tail = parts[-1].casefold()
        compact = re.sub(r"[^\w]", "", tail)
        if (
            tail in known
            or find_date_in_text(tail) is not None
            or (host_key and (host_key in compact or compact in host_key) and len(compact) > 2)
            or (compact and compact == host_key)
            or tail.startswith("by ")
        ):
            cut = title.rfind(parts[-1])
            title = title[:cut].rstrip(" |–—·•:»-")
            parts = parts[:-1]
            continue
        head = parts[0].casefold()
        compact = re.sub(r"[^\w]", "", head)
        if head in known or (host_key and (host_key in compact) and len(compact) > 2):
            title = title[len(parts[0]) :].lstrip(" |–—·•:»-")
            parts = parts[1:]
            continue
        break
    return title.strip()


@dataclass
class _PageScan:
    """The elements metadata is read from, gathered in one pass over the tree."""

    metas: list[dict[str, str | None]] = field(default_factory=list)  # each meta tag's attributes
    canonical: str | None = None
    title: LexborNode | None = None
    h1s: list[LexborNode] = field(default_factory=list)
    times: list[LexborNode] = field(default_factory=list)
    itemprops: dict[str, list[LexborNode]] = field(default_factory=dict)


_DATE_ONLY_RE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}-\d{2}-\d{2}")
_DATE_META_NAMES = (
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "date", "pubdate",
    "publishdate", "publish-date", "publication_date", "parsely-pub-date", "sailthru.date", "datepublished",
    "article.published", "displaydate", "last-modified",
)  # fmt: skip
_SCAN_SELECTOR = 'meta[content], link[rel="canonical"], title, h1, time, [itemprop], [pubdate]'
# Selector matching costs about (elements x selectors): the head and the body are asked only
# for what they hold.
_HEAD_SCAN_SELECTOR = 'meta[content], link[rel="canonical"], title, [itemprop]'
_BODY_SCAN_SELECTOR = "meta[content], h1, time, [itemprop], [pubdate]"


def _scan_nodes(tree: LexborHTMLParser) -> list[ScanNode]:
    head, body = tree.head, tree.body
    if head is None or body is None:
        return page_nodes(tree, _SCAN_SELECTOR)
    return scan_nodes([*head.css(_HEAD_SCAN_SELECTOR), *body.css(_BODY_SCAN_SELECTOR)])


def _scan(tree: LexborHTMLParser, nodes: list[ScanNode] | None = None) -> _PageScan:
    scan = _PageScan()
    for node, tag, attrs in _scan_nodes(tree) if nodes is None else nodes:
        if tag == "script":
            continue  # in the shared scan (scan.page_nodes) for the JSON-LD and paywall readers
        if tag == "meta":
            scan.metas.append(attrs)
            continue
        if tag == "link":
            if scan.canonical is None:
                scan.canonical = (attrs.get("href") or "").strip() or None
            continue
        if tag == "title":
            parent = node.parent
            # An <svg>'s <title> in the body names a picture, not the page.
            if scan.title is None and (parent is None or parent.tag not in ("svg", "g", "symbol")):
                scan.title = node
            continue
        if tag == "h1":
            scan.h1s.append(node)
        elif tag == "time" or "pubdate" in attrs:
            scan.times.append(node)
        itemprop = attrs.get("itemprop")
        if itemprop:
            for name in itemprop.split():
                scan.itemprops.setdefault(name, []).append(node)
    return scan


def _h1(scan: _PageScan) -> str | None:
    for node in scan.h1s:
        text = norm_space(node.text(deep=True, separator=" "))
        if len(text) >= 8:
            return text
    return None


@lru_cache(maxsize=4096)  # the same publisher and host names come back for every author and page
def _org_key(name: str | None) -> str:
    """A publisher name or host reduced to its core letters: "www.stern.de" -> "stern"."""
    if not name:
        return ""
    name = name.casefold().removeprefix("www.")
    name = re.sub(r"\.(?:de|com|co\.uk|uk|org|net|fr|es|it|at|ch|jp|kr|tr|com\.tr)$", "", name)
    return re.sub(r"[^\w]", "", name)


def _is_org_name(name: str, publisher_keys: set[str]) -> bool:
    if "." in name and " " not in name:
        return True  # a domain ("mdr.de")
    key = _org_key(name)
    # The first word naming the site ("Ilanga D" on ilanganews) is an account, not a person.
    first = _org_key(name.split()[0]) if name.split() else ""
    return any(
        key and (key in p or p in key or (len(first) >= 4 and p.startswith(first)))
        for p in publisher_keys
        if len(p) > 2
    )


def _undecorated(title: str, others: Iterable[str | None]) -> str:
    """The plainer headline inside a decorated one: when another source's headline sits in
    `title` between separators ("Topic: Headline | Section News", "Headline：Site"), the rest
    is decoration (kicker, section, site name) that the other source left out."""
    for other in others:
        if not other or len(other) < 10 or other == title or other not in title:
            continue
        before, _, after = title.partition(other)
        before, after = before.rstrip(), after.lstrip()
        # A kicker before the headline ("Topic: Headline", "Topic / Headline") is part of it on
        # most pages that use one; a bar-separated prefix is a section or site label, and so is
        # any prefix when a label follows the headline too ("Topic: Headline | Section").
        label_after = not after or after[0] in _DECORATION_EDGE
        label_before = not before or before[-1] in "|｜ㅣ*" or bool(after and before[-1] in _DECORATION_EDGE)
        if label_after and label_before:
            return other
    return title


# Quote marks, typographic and straight: two headlines that differ only in these are one headline.
_QUOTE_MARKS_RE = re.compile(r"[\"'‘’‚‛“”„‟«»‹›]")
_STRAIGHT_QUOTES = str.maketrans("‘’‚‛“”„‟", "''''\"\"\"\"")


def _cut_from(short: str, full: str) -> bool:
    """Whether `short` is the start of `full` cut off mid-sentence ("Who is X's partner?" from
    "Who is X's partner and how many children do they have?"): a social-media or length-limit
    shortening, not another headline. A sub-header after a separator ("Headline: more") does not
    count: there the shorter one is the headline."""
    stem = short.translate(_STRAIGHT_QUOTES).rstrip("?!.…: ")
    full = full.translate(_STRAIGHT_QUOTES)
    if len(stem) < 20 or not full.startswith(stem):
        return False
    rest = full[len(stem) :]
    return len(rest) > 1 and rest[0] == " " and rest[1].isalnum()


def _social_first(og: str, ld: str, page_titles: tuple[str | None, ...], declared: str | None) -> bool:
    """Whether og:title goes before the JSON-LD headline where the two differ.

    The shorter one wins by default: the longer usually adds a sub-header or search-engine words
    (the news corpus keeps the headline "as short as possible"). Counting <h1>, <title> and
    twitter:title as votes does worse: on 13 of the 29 corpus pages where the two are different
    headlines, the expected one is repeated by none of these. Exceptions, in order:
    - an og:title that only adds a kicker or label to the headline keeps it (the kicker is part of it);
    - the same words with other quote marks: fewer marks is plainer; with as many, the typography
      that more of the page's own titles (<h1>, <title>) show, og:title on a tie;
    - one cut from the other mid-sentence: the full one;
    - a `<meta name="title">` equal to one of them, a third declaration of the headline, decides.
    """
    if ld in og:
        return True
    if _QUOTE_MARKS_RE.sub("", og) == _QUOTE_MARKS_RE.sub("", ld):
        if len(og) != len(ld):
            return len(og) < len(ld)
        return sum(t == og for t in page_titles) >= sum(t == ld for t in page_titles)
    if _cut_from(og, ld) or _cut_from(ld, og):
        return len(og) > len(ld)
    if declared in (og, ld):
        return declared == og
    return len(og) <= len(ld)


def _pick_title(candidates: list[str | None], h1: str | None) -> str | None:
    for candidate in candidates:
        if not candidate:
            continue
        if h1 and len(h1) > len(candidate):
            # A headline cut to a length limit ("...") or shortened for social media.
            stem = candidate.rstrip(".… ")
            if stem and h1.startswith(stem):
                return h1
        return candidate
    return h1


def _pick_date(candidates: Iterable[datetime | None]) -> datetime | None:
    """The first date, upgraded by a later one with time and offset on the same day."""
    first: datetime | None = None
    for candidate in candidates:
        if candidate is None:
            continue
        if first is None:
            first = candidate
            if has_time(first) and first.tzinfo is not None:
                return first
            continue
        if (
            candidate.date() == first.date()
            and has_time(candidate)
            and (candidate.tzinfo is not None or not has_time(first))
        ):
            return candidate
    return first


def read_metadata(
    tree: LexborHTMLParser,
    url: str,
    jsonld: list[dict[str, Any]],
    rules: ExtractRules | None = None,
    nodes: list[ScanNode] | None = None,
) -> Metadata:
    """Everything but the body text, read without changing the tree. `nodes` is the page's
    one-pass scan (scan.page_nodes), read instead of a query of its own."""
    scan = _scan(tree, nodes)
    meta = MetaTags(scan.metas)
    ld = _main_object(jsonld, url) or {}
    out = Metadata()
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]

    site_name = meta.first("og:site_name", "application-name", "publisher", "dc.publisher")
    publisher = ld.get("publisher")
    out.site_name = site_name or (_str(publisher) if publisher else None)

    # Title
    h1 = _h1(scan)
    html_title_node = scan.title
    html_title = norm_space(html_title_node.text()) if html_title_node is not None else None
    site_names = [site_name, out.site_name]
    site_keys = {k for k in (_org_key(site_name), _org_key(out.site_name), _org_key(host)) if k}
    og_title, ld_title = (
        _strip_site_name(norm_space(value), site_names, host) if value else None
        for value in (
            meta.first("og:title", "twitter:title"),
            _str(ld.get("headline")) or _str(ld.get("name")),
        )
    )
    if og_title and _org_key(og_title) in site_keys:
        og_title = None  # the site's name standing in for a headline
    if og_title:
        og_title = _undecorated(og_title, (ld_title, h1))
    dc_title = meta.first("dc.title", "dcterms.title", "parsely-title", "sailthru.title", "title")
    page_title = _strip_site_name(html_title, site_names, host) if html_title else None
    declared = meta.first("title")
    social_first = bool(
        og_title
        and ld_title
        and _social_first(
            og_title,
            ld_title,
            (h1, page_title),
            _strip_site_name(norm_space(declared), site_names, host) if declared else None,
        )
    )
    candidates: list[str | None] = [
        _first_text(tree, rules.title) if rules else None,
        *((og_title, ld_title) if social_first or not ld_title else (ld_title, og_title)),
        _strip_site_name(norm_space(dc_title), site_names, host) if dc_title else None,
        _texts(scan.itemprops.get("headline", ())[:1])[0] if "headline" in scan.itemprops else None,
    ]
    title = _pick_title(candidates, h1)
    if not title:
        title = page_title
    out.title = norm_space(title) or None

    # Authors
    author_sources: list[list[str]] = [
        _all_texts(tree, rules.byline) if rules else [],
        _ld_authors(ld, jsonld),
        [v for v in meta.all("article:author", "og:article:author") if not v.startswith("http")],
        meta.all("author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author", "byl", "byline"),
        _texts(scan.itemprops.get("author", ())[:5]),
    ]
    # The publisher's own name in the author field ("STERN.de", "n-tv NACHRICHTEN") is a
    # fallback only: a person named by a lower source is the better answer.
    publisher_keys = {
        k
        for k in (_org_key(site_name), _org_key(_str(publisher)), _org_key(meta.first("publisher")), _org_key(host))
        if k
    }
    weak: tuple[str, ...] = ()
    for source in author_sources:
        names = clean_authors(source)
        if names and all(_is_org_name(name, publisher_keys) for name in names):
            weak = weak or names
            continue
        if names:
            out.authors = names
            break
    # None until read: the query walks the whole page, so it runs at most once.
    byline_nodes: list[LexborNode] | None = None
    if not out.authors:
        byline_nodes = _byline_nodes(tree)
        texts = []
        for node in byline_nodes[:6]:
            text = norm_space(node.text(deep=True, separator=" "))
            if 0 < len(text) < 120:
                texts.append(text)
        people: tuple[str, ...] = ()
        # The first byline element that names a person: a wrapper holding the byline together
        # with dates and reading time gives nothing, its "von Jemima Kelly" item does.
        for text in texts[:4]:
            names = clean_authors([text])
            # "von David Straub, MDR THÜRINGEN": the desk or outlet after the person is not an author;
            # an all-lower-case word ("capital") is a label, not a name.
            people = tuple(name for name in names if not _is_org_name(name, publisher_keys) and not name.islower())
            if people:
                break
        out.authors = people or weak
        out.byline_texts.extend(texts)
    out.authors_weak = not out.authors or all(_is_org_name(n, publisher_keys) for n in out.authors)

    # Dates
    def heuristic_dates() -> Iterator[datetime | None]:
        # Only read when the structured sources give no date with time and offset.
        found = False
        for node in [*scan.itemprops.get("datePublished", ()), *scan.times][:3]:
            value = _node_date(node)
            found = found or value is not None
            yield value
        if not found:
            for node in (_byline_nodes(tree) if byline_nodes is None else byline_nodes)[:6]:
                value = find_date_in_text(norm_space(node.text(deep=True, separator=" ")))
                found = found or value is not None
                yield value
        if not found:
            # Last resorts: a date that closes the page's <title> ("Headline | Site | 28.04.2023"),
            # then the first element whose class names a date ("meta_date", "post-date").
            value = _title_date(html_title) if html_title else None
            found = value is not None
            yield value
        if not found:
            for node in _date_class_nodes(tree):
                value = _node_date(node) or find_date_in_text(norm_space(node.text(deep=True, separator=" ")))
                yield value
                if value is not None:
                    break

    def published_candidates() -> Iterator[datetime | None]:
        if rules and rules.date:
            date_node: LexborNode | None
            try:
                date_node = tree.css_first(rules.date)
            except Exception:  # a bad selector in a user's config must not break extraction
                date_node = None
            yield _node_date(date_node) if date_node is not None else None
        yield parse_date(_str(ld.get("datePublished"))) or parse_date(_str(ld.get("dateCreated")))
        yield parse_date(meta.first("article:published_time", "og:article:published_time", "og:published_time"))
        yield parse_date(meta.first(*_DATE_META_NAMES))
        yield from heuristic_dates()

    published = _pick_date(published_candidates())
    out.published = to_iso(published)
    modified = _pick_date(
        [
            parse_date(_str(ld.get("dateModified"))),
            parse_date(meta.first("article:modified_time", "og:updated_time", "dcterms.modified", "datemodified")),
        ]
    )
    out.modified = to_iso(modified)

    # Section and tags
    out.section = (
        (_first_text(tree, rules.section) if rules else None)
        or _str(ld.get("articleSection"))
        or meta.first("article:section", "og:article:section", "parsely-section", "section", "dc.subject")
        or (_texts(scan.itemprops["articleSection"][:1])[0] if "articleSection" in scan.itemprops else None)
    )
    keywords = ld.get("keywords")
    tags: list[str] = []
    if isinstance(keywords, list):
        tags = [k for k in (_str(item) for item in keywords) if k]
    elif isinstance(keywords, str):
        tags = keywords.split(",")
    if not tags:
        tags = meta.all("article:tag", "og:article:tag")
    if not tags:
        raw = meta.first("news_keywords", "keywords")
        tags = raw.split(",") if raw else []
    seen: set[str] = set()
    clean_tags = []
    for tag in tags:
        tag = norm_space(tag)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            clean_tags.append(tag)
    out.tags = tuple(clean_tags)

    # Language: the document's own declaration first, then what the metadata says.
    html = tree.root
    lang_values = [
        html.attributes.get("lang") if html is not None else None,
        html.attributes.get("xml:lang") if html is not None else None,
        _str(ld.get("inLanguage")),
        meta.first("og:locale", "content-language", "language", "dc.language"),
    ]
    for value in lang_values:
        if value and _LANG_RE.match(value.strip()):
            out.language = value.strip().replace("_", "-").split("-")[0].lower()
            break

    # URLs, standfirst, image, word count
    canonical_url = scan.canonical or meta.first("og:url") or _str(ld.get("url"))
    if canonical_url:
        try:
            out.canonical_url = urljoin(url, canonical_url)
        except ValueError:
            out.canonical_url = None
    out.description = (
        _str(ld.get("description"))
        or meta.first("og:description", "twitter:description", "description", "dc.description")
        or None
    )
    if out.description:
        out.description = norm_space(out.description)
    out.descriptions = [
        norm_space(d)
        for d in (
            _str(ld.get("description")),
            *meta.all("og:description", "twitter:description", "description"),
        )
        if d
    ]
    image = meta.first("og:image", "og:image:url", "twitter:image", "twitter:image:src") or _image_url(ld.get("image"))
    if image:
        try:
            out.image = urljoin(url, image)
        except ValueError:
            out.image = None
    word_count = ld.get("wordCount")
    if isinstance(word_count, int | float | str) and not isinstance(word_count, bool):
        try:
            out.word_count = int(float(word_count))
        except ValueError:
            out.word_count = None
    return out
