"""Find the article body in a parsed page and turn it into clean block text.

Steps: drop elements that are never text (scripts, forms, media); drop comment threads; score
paragraph containers by their text (readability-style: each paragraph credits its parent,
grandparent and great-grandparent, weighted by commas and length, discounted by link density,
nudged by class names); take the best container plus siblings that look like its continuation;
remove boilerplate inside it (navigation, share bars, related links, newsletter and cookie boxes,
captions, bylines, link lists); then write out one line per block, blocks separated by a blank line.

Everything here mutates the tree: call it after the metadata and paywall markup are read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..config import ExtractRules
from .authors import split_names
from .scan import collapse_space

_NEVER_TEXT = (
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas", "button",
    "input", "select", "textarea", "option", "video", "audio", "map", "dialog", "link", "meta",
    "noembed", "noframes", "datalist",
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "div", "section", "article",
        "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "figure", "header", "footer", "main",
        "aside", "nav", "br", "hr", "address", "details", "summary", "center", "form", "fieldset",
    }
)  # fmt: skip
_BREAK_TAGS = frozenset({"br", "hr"})
_MARK_SELECTOR = ", ".join(sorted(_BLOCK_TAGS))
_MARK = "\ue000"
_WRAPPER_TAGS = frozenset({"html", "body", "main", "article"})
_NEVER_TEXT_SET = frozenset(_NEVER_TEXT)
_INLINE_TAGS = frozenset({"a", "span", "strong", "em", "b", "i", "u", "mark", "abbr", "small", "sup", "sub"})
_SENTENCE_TAGS = frozenset({"p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd"})
_TABLE_PART_TAGS = frozenset({"tr", "td", "th", "tbody", "thead", "tfoot", "col", "colgroup"})
_ALWAYS_DROP_TAGS = frozenset({"nav", "aside", "footer", "figure", "figcaption", "form", "h1", "header"})
# Comment threads and similar page furniture are removed before scoring, because their many
# short paragraphs would otherwise win the body vote.
# (Cookie and consent boxes never win the body vote; inside the body, clean_container drops them.)
# Text the publisher hides from the reader is never archived (it is how some pages ship the text
# behind a paywall): elements with the hidden attribute, an inline style of display:none or
# visibility:hidden (the selector narrows them down, _is_hidden decides), and blocks marked
# aria-hidden (kept from screen readers: a duplicate of the text, or no text of the article).
# Inline elements, images and SVGs marked aria-hidden (icons, separators, drop caps inside a
# sentence) are kept; the selector leaves them out too, as they are most of its matches and
# each match costs a little.
_ARIA_HIDDEN_KEPT_TAGS = _INLINE_TAGS | {"svg", "img"}
PRE_DROP = (
    '[id*="comments"], [class*="comments"], [id="comment"], [class*="newsletter"], [hidden], '
    '[role="navigation"], [role="contentinfo"], [role="complementary"], '
    f'[aria-hidden="true" i]:not({", ".join(sorted(_ARIA_HIDDEN_KEPT_TAGS))}), '
    '[style*="display" i][style*="none" i], [style*="visibility" i]'
)
_HIDING_STYLE_RE = re.compile(
    r"(?:^|[;\s])(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))\b", re.IGNORECASE
)

# Class/id fragments that raise or lower a container's score (matched as substrings of the
# lower-cased class and id: plain `in` tests are several times faster than one big regex here).
_STRONG_POSITIVE = (
    "articlebody", "article-body", "article_body", "article__body", "articletext", "article-text",
    "article_text", "article-content", "article_content", "articlecontent", "storybody", "story-body",
    "story_body", "entry-content", "post-content", "post_content", "postcontent", "post-body",
    "content-body", "body-text", "bodytext", "body_text", "paywall",
)  # fmt: skip
_POSITIVE = ("article", "story", "entry", "main", "content", "text", "body", "blog", "post")
_NEGATIVE = (
    "comment", "footer", "sidebar", "side-bar", "widget", "related", "recommend", "teaser", "promo",
    "sponsor", "advert", "banner", "share", "social", "nav", "menu", "masthead", "popular", "trending",
    "newsletter", "outbrain", "taboola", "byline", "meta", "breadcrumb", "card", "listing", "more-stories",
    "read-more", "readmore", "shopping", "signup", "subscribe", "cookie", "modal", "popup",
)  # fmt: skip
# Class/id words that mark boilerplate inside the chosen container. Matched as whole words after
# splitting camelCase and separators, so "shareholder" or "metadata-free" class names survive;
# only "related" counts inside a word too ("penci-ilrelated-posts", "inlinerelated").
_BOILER_WORDS = frozenset(
    [
        "share",
        "shares",
        "sharing",
        "sharebar",
        "sharetools",
        "social",
        "socials",
        "socialmedia",
        "related",
        "relatedarticles",
        "recommended",
        "recommendations",
        "recommendation",
        "newsletter",
        "newsletters",
        "subscribe",
        "signup",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "comment",
        "comments",
        "commenting",
        "disqus",
        "breadcrumb",
        "breadcrumbs",
        "nav",
        "navigation",
        "navbar",
        "menu",
        "footer",
        "sidebar",
        "widget",
        "widgets",
        "promo",
        "promotion",
        "promoted",
        "advert",
        "advertisement",
        "advertising",
        "ad",
        "ads",
        "adslot",
        "adunit",
        "adcontainer",
        "ad-wrapper",
        "dfp",
        "sponsor",
        "sponsored",
        "outbrain",
        "taboola",
        "byline",
        "bylines",
        "author",
        "authors",
        "caption",
        "captions",
        "figcaption",
        "credit",
        "credits",
        "tags",
        "tag",
        "taglist",
        "topics",
        "keywords",
        "popular",
        "trending",
        "mostread",
        "most-read",
        "readmore",
        "read-more",
        "moreon",
        "more-stories",
        "morestories",
        "toolbar",
        "print",
        "pagination",
        "pager",
        "login",
        "modal",
        "overlay",
        "banner",
        "skip",
        "sronly",
        "visually",
        "visuallyhidden",
        "screenreader",
        "meta",
        "metadata",
        "timestamp",
        "dateline",
        "date",
        "published",
        "updated",
        "inline-related",
        "teaser",
        "teasers",
        "rail",
        "aside",
        "infobox",
        "embed",
        "embedded",
        "video",
        "player",
        "gallery",
        "slideshow",
        "carousel",
        "copyright",
        "disclaimer",
        "feedback",
        "rating",
        "survey",
        "poll",
        "placeholder",
    ]
)
_CAMEL_RE = re.compile(r"([a-z0-9])([A-Z])")
_WORD_SPLIT_RE = re.compile(r"[^a-z0-9]+")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_JUNK_LINE_RE = re.compile(
    r"^(?:advertisement|anzeige|werbung|publicité|publicidad|reklame|annons|mainos|reklama|"
    r"share(?: this)?(?: article| story)?|share on \w+|teilen|tweet|email|print|drucken|"
    r"read more|weiterlesen|mehr zum thema|lesen sie auch|auch interessant|related|related articles?|"
    r"more on this|more from \w+|continue reading|click here|skip to \w+|back to top|nach oben|"
    r"advertisement - scroll to continue|scroll to continue with content|image|photo|foto|bild|"
    r"listen|listen to this article|anhören|artikel anhören|copy link|link kopieren|"
    r"czytaj (?:więcej|też|także)|lire (?:aussi|plus)|à lire aussi|leer más|lee también|lees ook|läs också|"
    r"les også|læs også|leggi anche|\d+ (?:mins?|minutes?|hours?|hrs?|days?) ago\s*[\d:]*|"
    r"\d+ ?min(?:ute)?s?(?: read)?|lesezeit:? \d+ min(?:uten)?\.?|\d+ ?min(?:uten)?\.? lesezeit|"
    r"(?:zum )?hauptinhalt|(?:skip to )?main content|mit dpa|with agencies)$",
    re.IGNORECASE,
)
_MIN_PARAGRAPH = 25
# Lines that announce other content: "Mehr zum Thema: ...", "WATCH | Palestinians react ...".
_TEASER_LINE_RE = re.compile(
    r"^(?:(?:lesen sie )?mehr zum thema\b|(?:watch|listen|video|audio|podcast)\s*[|:]\s)", re.IGNORECASE
)
_CREDIT_TAIL_RE = re.compile(
    r"(?:(?:bildrechte|bildquelle|fotos?|photos?|image|picture|credit|crédit|copyright)\s*:|©)\s*[^.!?:©]{1,60}$",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"\w+")
_MIN_LEAD = 140


@dataclass
class _Candidate:
    node: LexborNode
    score: float


def _class_raw(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


# Both tests below depend only on the class/id string, which repeats across a page's elements
# (and across pages of one site): caching by string saves most of their cost.
@lru_cache(maxsize=8192)
def _is_boiler_raw(raw: str) -> bool:
    if ":" in raw:
        # Utility-CSS variants ("print:hidden", "desktop:mb-10") describe looks, not roles.
        raw = " ".join(token for token in raw.split() if ":" not in token)
    words = set(_WORD_SPLIT_RE.split(_CAMEL_RE.sub(r"\1 \2", raw).lower()))
    return bool(words & _BOILER_WORDS) or any("related" in word for word in words)


@lru_cache(maxsize=8192)
def _weight_of_raw(raw: str) -> float:
    raw = raw.lower()
    if len(raw) < 4:
        return 0.0
    weight = 0.0
    if any(word in raw for word in _STRONG_POSITIVE):
        weight += 40
    elif any(word in raw for word in _POSITIVE):
        weight += 15
    if any(word in raw for word in _NEGATIVE):
        weight -= 25
    return weight


def _class_weight(node: LexborNode) -> float:
    attrs = node.attributes
    return _weight_of_raw(f"{attrs.get('class') or ''} {attrs.get('id') or ''} {attrs.get('itemprop') or ''}")


def _text_len(node: LexborNode) -> int:
    return len(node.text(deep=True).strip())


def _link_density(node: LexborNode, total: int, anchor_chars: dict[int, int]) -> float:
    """Share of the node's `total` characters that sit in links. `anchor_chars` remembers each
    link's length by mem_id: the candidates measured are often nested, sharing their links."""
    if total == 0:
        return 1.0
    linked = 0
    for anchor in node.css("a"):
        key = anchor.mem_id
        length = anchor_chars.get(key)
        if length is None:
            length = anchor_chars[key] = len(anchor.text(deep=True).strip())
        linked += length
    return min(1.0, linked / total)


def _remove(nodes: list[LexborNode]) -> None:
    # Last first: a match nested in another is removed before its ancestor frees it.
    for node in reversed(nodes):
        node.decompose()


# Selector matching costs about (elements x selectors): the page-wide query keeps to the few
# selectors that matter for choosing the body; elements that are never text are removed from
# the chosen container only (a much smaller subtree).
_LINK_BLOCK_SELECTOR = "a, ul, ol, div, section, table, p, dl"
_CLEAN_SELECTOR = ", ".join(_NEVER_TEXT) + ", nav, aside, footer, figure, figcaption, form, h1, header, [class], [id]"


_PRE_DROP_ROLES = frozenset({"navigation", "contentinfo", "complementary"})
# Never dropped as hidden: a page that hides its whole body until a script shows it is shown.
_NEVER_HIDDEN_TAGS = frozenset({"html", "body"})


# React's streamed rendering sends each finished part of the page in a <div hidden id="S:1a">
# that its inline script moves into place at once: shown to every reader, the article included.
_REACT_SEGMENT_RE = re.compile(r"S:[0-9a-f]+")


def _has_hidden_attribute(attrs: dict[str, str | None]) -> bool:
    # React streams finished parts of the page in <div hidden id="S:1"> and shows them at once.
    return "hidden" in attrs and _REACT_SEGMENT_RE.fullmatch(attrs.get("id") or "") is None


def _is_hidden(attrs: dict[str, str | None], tag: str) -> bool:
    """Whether the element is hidden from the reader (see PRE_DROP)."""
    if _has_hidden_attribute(attrs):
        return True
    style = attrs.get("style")
    if style and _HIDING_STYLE_RE.search(style):
        return True
    aria = attrs.get("aria-hidden")
    return aria is not None and aria.lower() == "true" and tag not in _ARIA_HIDDEN_KEPT_TAGS


def is_pre_drop(attrs: dict[str, str | None], tag: str = "") -> bool:
    """Whether an element with these attributes (and tag) is to be dropped before scoring: the
    test behind PRE_DROP in Python, for elements gathered by any query. PRE_DROP finds a few
    more (an inline style may name "none" or "visibility" and hide nothing): ask this too."""
    ident = attrs.get("id") or ""
    classes = attrs.get("class") or ""
    return (
        "comments" in ident
        or "comments" in classes
        or ident == "comment"
        or "newsletter" in classes
        or attrs.get("role") in _PRE_DROP_ROLES
        or _is_hidden(attrs, tag)
    )


def preclean(tree: LexborHTMLParser, matches: list[LexborNode] | None = None) -> None:
    """Drop comment threads, cookie and newsletter boxes, hidden and navigation landmarks from
    the body before the body is chosen (the head is never read for text). `matches`, when
    given, are the body's elements matching PRE_DROP, in document order (from a query made
    for other readers too, before any element was removed)."""
    root = tree.body or tree.root
    if root is None:
        return
    if matches is None:
        matches = [node for node in root.css(PRE_DROP) if is_pre_drop(node.attributes, node.tag or "")]
    for node in reversed(matches):
        tag = node.tag or ""
        # Page wrappers sometimes carry such classes ("cookie-consent-open" on <body>), and are
        # hidden for a moment by scripts that every reader runs: aria-hidden on the app's root
        # while a cookie dialog is open, visibility:hidden until the fonts load. The hidden
        # attribute says the content is not for the reader (a hidden <article> is paywalled
        # text): such a wrapper goes whatever it holds. (Most matches are no wrapper: their
        # attributes, which selectolax reads anew each time, are not read.)
        if (
            tag not in _NEVER_TEXT_SET
            and (tag in _WRAPPER_TAGS or node.css_first("h1, article, main") is not None)
            and (tag in _NEVER_HIDDEN_TAGS or not _has_hidden_attribute(node.attributes))
        ):
            continue
        node.decompose()


@dataclass
class _Scores:
    candidates: list[_Candidate]
    # Characters of paragraph text under each ancestor (up to _CLIMB_LEVELS above), by mem_id.
    para_chars: dict[int, int]


def _lead_key(text: str) -> str:
    return " ".join(_TOKEN_RE.findall(text)).casefold()


class _LeadFinder:
    """Spots the standfirst: a visible element whose words are the page's declared description
    (og:description, JSON-LD description, ...), allowing a dateline before it ("Berlin. ...")
    and a description cut short with "...". The standfirst usually sits in the article header,
    outside the body container, yet it is the article's lead paragraph."""

    def __init__(self, descriptions: Iterable[str]) -> None:
        # A one-line dek is a companion of the headline, which text conventions disagree on
        # (left out on extraction-bench, kept on news-corpus); a lead paragraph is body.
        self.keys: dict[str, tuple[int, bool]] = {}
        for text in descriptions:
            if not text or len(text) < _MIN_LEAD:
                continue
            cut = text.rstrip().endswith(("...", "…"))
            key = _lead_key(text)
            if cut:
                key = key.rsplit(" ", 1)[0]  # the last word may be cut in half
            self.keys[key] = (len(text), cut)
        self.found: str | None = None

    def check(self, text: str) -> None:
        if self.found is not None or not self.keys:
            return
        length = len(text)
        for key, (size, cut) in self.keys.items():
            if cut:
                if not size * 0.9 <= length <= size * 2 or not _lead_key(text).startswith(key):
                    continue
            else:
                if abs(length - size) > 0.1 * size + 30:
                    continue
                seen = _lead_key(text)
                if seen != key and not (seen.endswith(" " + key) and seen.count(" ") - key.count(" ") <= 3):
                    continue
            self.found = " ".join(text.split())
            return


# Elements whose own text (not their children's) is a paragraph: text written straight into
# a <div> or <section> with <br> between paragraphs.
_SHALLOW_TEXT_TAGS = frozenset({"div", "section", "article"})
_FEW_PARAGRAPH_CHARS = 500


def _tag_ids(names: Iterable[str]) -> frozenset[int]:
    """Lexbor's (fixed) ids of these HTML tag names: comparing a node's tag_id is cheaper than
    reading its tag, which builds a new string each time."""
    names = list(names)
    tree = LexborHTMLParser("".join(f"<{name}></{name}>" for name in names))
    return frozenset(node.tag_id for node in tree.css(", ".join(names)))


_SHALLOW_TEXT_TAG_IDS = _tag_ids(_SHALLOW_TEXT_TAGS)


def _collect_paragraphs(paras: Iterable[LexborNode], starts: dict[int, list[object]], lead: _LeadFinder | None) -> int:
    """Add each paragraph's length and score to the element it credits; return the characters."""
    total = 0
    for para in paras:
        # Most of `paras` are divs without text of their own (only whitespace between their
        # children): they are told apart by tag id, and asking for their text without the
        # whitespace-only nodes answers "" without building a string.
        shallow = para.tag_id in _SHALLOW_TEXT_TAG_IDS
        if shallow and not para.text(deep=False, skip_empty=True):
            continue
        text = para.text(deep=not shallow).strip()
        length = len(text)
        if length < _MIN_PARAGRAPH:
            continue
        tag = para.tag
        if lead is not None:
            lead.check(text)
        if tag == "h2":
            continue
        if tag == "td" and para.css_first("p, td, div") is not None:
            continue
        total += length
        commas = text.count(",")
        if not text.isascii():  # isascii is a flag check; the CJK commas need two more scans
            commas += text.count("、") + text.count("，")
        score = 1.0 + commas + min(length / 100, 3.0)
        node = para if shallow else para.parent
        if node is None:
            continue
        entry = starts.get(node.mem_id)
        if entry is None:
            starts[node.mem_id] = [node, length, score]
        else:
            entry[1] += length  # type: ignore[operator]
            entry[2] += score  # type: ignore[operator]
    return total


# How far _widen climbs above the best candidate, itself at most 3 levels above a paragraph.
_WIDEN_LEVELS = 6
_CLIMB_LEVELS = 3 + _WIDEN_LEVELS


def _score_candidates(root: LexborNode, lead: _LeadFinder | None = None) -> _Scores:
    # Paragraphs are first summed per parent (many share one), then each parent's sums climb
    # its ancestors once: the climb is the costly part (a Python object per step).
    starts: dict[int, list[object]] = {}
    total = _collect_paragraphs(root.css("p, pre, td, div, section, article, h2"), starts, lead)
    if total < _FEW_PARAGRAPH_CHARS:
        # No paragraph markup: text sits in spans (or <font>) inside divs.
        _collect_paragraphs(root.css("span, font"), starts, None)
    candidates: dict[int, _Candidate] = {}
    para_chars: dict[int, int] = {}
    parents: dict[int, LexborNode | None] = {}
    for start, length, score in starts.values():
        node: LexborNode | None = start  # type: ignore[assignment]
        level = 0
        # Only the levels that _widen can read (a candidate and the ancestors it climbs): the
        # climb to the root would cost elements x depth, minutes on a page nested 20,000 deep.
        while node is not None and level < _CLIMB_LEVELS:
            key = node.mem_id
            para_chars[key] = para_chars.get(key, 0) + length  # type: ignore[operator]
            if level < 3:
                candidate = candidates.get(key)
                if candidate is None:
                    bonus = 10 if node.tag == "article" else 0
                    candidate = candidates[key] = _Candidate(node, _class_weight(node) + bonus)
                candidate.score += score / (1, 2, 3)[level]  # type: ignore[operator]
            level += 1
            if key in parents:
                node = parents[key]
            else:
                node = parents[key] = node.parent
    ranked = sorted(candidates.values(), key=lambda c: c.score, reverse=True)
    return _Scores(ranked, para_chars)


def _cached_len(node: LexborNode, lengths: dict[int, int]) -> int:
    """_text_len, remembered by mem_id in `lengths` (valid while the tree is not changed): the
    same large containers are measured by several steps of choosing the body."""
    key = node.mem_id
    length = lengths.get(key)
    if length is None:
        length = lengths[key] = _text_len(node)
    return length


def _widen(node: LexborNode, para_chars: dict[int, int], lengths: dict[int, int]) -> LexborNode:
    """Climb to the ancestor that holds the whole article when the body is split into chunks
    (ad slots, grid cells): as long as an ancestor adds mostly paragraph text."""
    para, total = para_chars.get(node.mem_id, 0), _cached_len(node, lengths)
    ancestor = node.parent
    for _ in range(_WIDEN_LEVELS):
        if ancestor is None or ancestor.tag in ("body", "html", "#document"):
            break
        up_para = para_chars.get(ancestor.mem_id, 0)
        added_para = up_para - para
        if added_para >= max(_MIN_PARAGRAPH * 4, 0.1 * para):
            up_total = _cached_len(ancestor, lengths)
            if added_para >= 0.6 * (up_total - total):
                node, para, total = ancestor, up_para, up_total
        ancestor = ancestor.parent
    return node


def _best_container(tree: LexborHTMLParser, lead: _LeadFinder | None = None) -> list[LexborNode]:
    root = tree.body or tree.root
    if root is None:
        return []
    scores = _score_candidates(root, lead)
    ranked = scores.candidates
    if not ranked:
        return [root]
    lengths: dict[int, int] = {}
    anchor_chars: dict[int, int] = {}
    top = ranked[:4]
    for candidate in top:
        candidate.score *= 1.0 - _link_density(candidate.node, _cached_len(candidate.node, lengths), anchor_chars)
    top.sort(key=lambda c: c.score, reverse=True)
    best = top[0]
    node = _widen(best.node, scores.para_chars, lengths)
    # Siblings that continue the article (text split by ad slots into several containers).
    parent = node.parent
    if parent is None or node.tag == "body":
        return [node]
    by_id = {c.node.mem_id: c.score for c in ranked}
    threshold = max(10.0, best.score * 0.2)
    chosen: list[LexborNode] = []
    sibling = parent.child
    while sibling is not None:
        if sibling.mem_id == node.mem_id:
            chosen.append(sibling)
        elif sibling.tag and not sibling.tag.startswith("#"):
            score = by_id.get(sibling.mem_id, 0.0)
            if score > 0 and _class_weight(sibling) >= 0:
                score = score * (1.0 - _link_density(sibling, _cached_len(sibling, lengths), anchor_chars))
            if score >= threshold:
                chosen.append(sibling)
            elif sibling.tag == "p":
                length = _cached_len(sibling, lengths)
                if length > 80 and _link_density(sibling, length, anchor_chars) < 0.25:
                    chosen.append(sibling)
        sibling = sibling.next
    return chosen or [node]


def _is_boilerplate(node: LexborNode) -> bool:
    attrs = node.attributes
    raw = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    return len(raw) > 2 and _is_boiler_raw(raw)


def _linked_chars(container: LexborNode, anchors: Iterable[LexborNode]) -> dict[int, int]:
    """Characters of link text under each element of `container`, by mem_id."""
    own = container.mem_id
    linked: dict[int, int] = {}
    for anchor in anchors:
        length = len(anchor.text(deep=True).strip())
        if not length:
            continue
        node = anchor.parent
        while node is not None:
            key = node.mem_id
            linked[key] = linked.get(key, 0) + length
            if key == own:
                break
            node = node.parent
    return linked


def _doom(el: LexborNode, doomed: list[LexborNode], inside_doomed: set[int]) -> None:
    """Mark `el` for removal, and its descendants as decided (see clean_container)."""
    doomed.append(el)
    if el.first_child is not None:
        inside_doomed.update(node.mem_id for node in el.css("*"))


def clean_container(nodes: list[LexborNode]) -> None:
    """Remove boilerplate elements inside the chosen body nodes."""
    for container in nodes:
        own = container.mem_id  # css() on a node also matches the node itself
        container_len = -1  # measured when first needed: most containers hold no boilerplate
        doomed: list[LexborNode] = []
        # A match inside an element already doomed goes with it whatever it is, and no decision
        # depends on another (nothing is removed before the loop ends): such matches, most of
        # them (the links and icons of a share bar), are skipped by mem_id undecided.
        inside_doomed: set[int] = set()
        # One query for both kinds of removal: never-text elements and boilerplate by tag or class.
        for el in container.css(_CLEAN_SELECTOR):
            key = el.mem_id
            if key in inside_doomed:
                continue
            tag = el.tag
            if tag in _ALWAYS_DROP_TAGS or tag in _NEVER_TEXT_SET:
                if key != own:
                    _doom(el, doomed, inside_doomed)
                continue
            # Class names on table rows and cells describe data ("player-2020"), not page parts;
            # a link or highlight inside a paragraph ("tag-link" on a name) is part of a sentence.
            if tag in _TABLE_PART_TAGS or not _is_boilerplate(el) or el.mem_id == own:
                continue
            if tag in _INLINE_TAGS:
                parent = el.parent
                if parent is not None and parent.tag in _SENTENCE_TAGS:
                    continue
            # An embedded post quoted in the article (a tweet in "social-media-embed") is text;
            # a boilerplate-looking wrapper that holds paragraphs of the text is a false match
            # (e.g. class="article-meta-wrapper" around the whole body). One query for both.
            if tag == "blockquote" or el.css_first("blockquote, p + p + p + p") is not None:
                continue
            length = _text_len(el)
            # Only an element over 80 characters can pass 0.4 x container > 200.
            if length > 80 and container_len < 0:
                container_len = _text_len(container)
            if length > 80 and length > 0.4 * container_len > 200:
                continue
            # Long paragraphs are text whatever their class says ("paywall" on served paragraphs).
            if el.tag in ("p", "blockquote") and length >= 200:
                continue
            _doom(el, doomed, inside_doomed)
        _remove(doomed)
        # One walk for the links and the blocks they may fill.
        anchors: list[LexborNode] = []
        blocks: list[LexborNode] = []
        for el in container.css(_LINK_BLOCK_SELECTOR):
            (anchors if el.tag == "a" else blocks).append(el)
        linked = _linked_chars(container, anchors)
        doomed = []
        for el in blocks:
            key = el.mem_id
            if key == own or key not in linked:
                continue
            length = _text_len(el)
            if length and length < 2000 and linked[key] / length > (0.5 if el.tag == "p" else 0.45):
                doomed.append(el)
        _remove(doomed)


def serialise(nodes: list[LexborNode]) -> list[str]:
    """Block texts in document order: one entry per paragraph, heading, list item or cell."""
    lines: list[str] = []
    for container in nodes:
        # One query for both: a line break only ends a line, a block is a line of its own.
        for el in container.css(_MARK_SELECTOR):
            if el.tag not in _BREAK_TAGS:
                el.insert_before(_MARK)
            el.insert_after(_MARK)
        text = container.text(deep=True)
        for chunk in text.split(_MARK):
            line = collapse_space(chunk)
            if line:
                lines.append(line)
    return lines


def _drop_lines(lines: list[str], drop: Iterable[str]) -> list[str]:
    dropped = {" ".join(d.split()).casefold() for d in drop if d and d.strip()}
    # Case folding never shortens a string: a line longer than every dropped text (most of the
    # body's lines) cannot equal one, and is not folded.
    longest = max(map(len, dropped), default=-1)
    out = []
    for line in lines:
        if (len(line) <= longest and line.casefold() in dropped) or (len(line) < 60 and _JUNK_LINE_RE.match(line)):
            continue
        tail = line[-80:]
        if (len(line) < 400 and (":" in tail or "©" in tail) and _CREDIT_TAIL_RE.search(tail)) or (
            len(line) < 120 and _TEASER_LINE_RE.match(line)
        ):
            continue  # a caption outside <figure> ("... Bildrechte: MDR"), a "Mehr zum Thema" teaser
        out.append(line)
    return out


# Headings that open the page furniture after an article (tags, related links, comments), in the
# corpora's languages; a line that starts with one of the _FURNITURE_LABELS ("Tags: ...") is one too.
_FURNITURE_HEADINGS = frozenset(
    {
        "tags", "topics", "related", "related articles", "related stories", "related content", "related topics",
        "you may also like", "you might also like", "more stories", "more on this story",
        "most read", "most popular", "comments", "schlagwörter", "schlagwörter zu diesem artikel", "themen",
        "mehr zum thema", "weitere informationen", "die redaktion empfiehlt", "audio und video zum thema",
        "das könnte sie auch interessieren", "kommentare", "meistgelesen", "häufig gelesen", "sur le même sujet",
        "commentaires", "mots-clés", "etiquetas", "comentarios", "noticias relacionadas", "comentários",
        "leia também", "veja também", "argomenti", "commenti", "reacties",
    }
)  # fmt: skip
_FURNITURE_LABELS = ("filed under:", "tags:", "schlagwörter:", "themen:", "topics:")
_FURNITURE_TAIL_LINES = 12
_FURNITURE_LINE_WORDS = 25


def _is_furniture_heading(line: str) -> bool:
    low = line.casefold().rstrip(" :.…")
    return low in _FURNITURE_HEADINGS or low.startswith(_FURNITURE_LABELS)


def _cut_trailing_furniture(lines: list[str]) -> list[str]:
    """Drop a tags / related-links / comments block at the end of the text: from a heading in
    _FURNITURE_HEADINGS on, when all that follows is a few short lines (its items)."""
    start = max(3, len(lines) - _FURNITURE_TAIL_LINES)
    for pos in range(start, len(lines)):
        if _is_furniture_heading(lines[pos]) and all(
            len(line.split()) <= _FURNITURE_LINE_WORDS for line in lines[pos + 1 :]
        ):
            return lines[:pos]
    return lines


_NAME_WORD_RE = re.compile(r"^[^\W\d_][\w'’.-]*$")


def _looks_like_names(text: str) -> bool:
    """'Mathatisi Sebusi/Mohalenyane Phakela', 'MTHOBISI SITHOLE': names of 2-4 capitalised words."""
    names = split_names(text)
    if not names:
        return False
    for name in names:
        words = name.split()
        if not 2 <= len(words) <= 4:
            return False
        if not all(_NAME_WORD_RE.match(word) and word[0].isupper() for word in words):
            return False
    return True


def _in_caption(node: LexborNode, scope: LexborNode) -> bool:
    stop = scope.mem_id
    current: LexborNode | None = node
    while current is not None and current.mem_id != stop:
        if current.tag in ("figure", "figcaption") or "caption" in _class_raw(current).lower():
            return True
        current = current.parent
    return False


def _article_scope(node: LexborNode) -> LexborNode:
    scope = node
    for _ in range(4):
        parent = scope.parent
        if parent is None or parent.tag in ("body", "html"):
            break
        scope = parent
        if scope.tag in ("article", "main"):
            break
    return scope


def _take_bold_byline(nodes: list[LexborNode]) -> str | None:
    """Remove and return a byline written as a bold paragraph of names at the top of the body."""
    if not nodes:
        return None
    for para in nodes[0].css("p")[:4]:
        text = " ".join(para.text(deep=True).split())
        if not text or len(text) > 60 or text[-1] in ".!?:":
            continue
        bold = para.css_first("strong, b")
        if bold is None or " ".join(bold.text(deep=True).split()) != text or not _looks_like_names(text):
            continue
        para.decompose()
        return text
    return None


def extract_body(
    tree: LexborHTMLParser,
    rules: ExtractRules | None = None,
    drop_lines: Iterable[str] = (),
    descriptions: Iterable[str] = (),
    byline_out: list[str] | None = None,
    pre_drop: list[LexborNode] | None = None,
) -> str:
    """The article body as block text; mutates `tree`. A visible standfirst equal to one of
    `descriptions` (the page's declared summaries) leads the text when the body left it out.
    When `byline_out` is a list, a bold paragraph of names at the top of the body is taken out
    of the text and appended to it (used when the metadata names no person). `pre_drop` are
    the body's elements matching PRE_DROP when already known (see preclean)."""
    if rules is not None and rules.drop:
        pre_drop = None  # the outlet's drops may remove some of them: ask the tree again
        for selector in rules.drop:
            try:
                _remove(tree.css(selector))
            except Exception:  # a bad selector in a user's config must not break extraction
                continue
    preclean(tree, pre_drop)
    lead = _LeadFinder(descriptions)
    nodes: list[LexborNode] = []
    if rules is not None and rules.body:
        try:
            nodes = tree.css(rules.body)
        except Exception:
            nodes = []
    if nodes:
        root = tree.body
        for node in root.css("p, div, h2") if root is not None and lead.keys else ():
            lead.check(node.text(deep=node.tag != "div").strip())
    else:
        nodes = _best_container(tree, lead)
    if lead.keys and lead.found is None and nodes:
        # A standfirst written in spans ("<span>Berlin.</span><span>Lead ...</span>") sits near
        # the body: look in the enclosing article (or a few levels up), not the whole page.
        scope = _article_scope(nodes[0])
        for span in scope.css("span"):
            lead.check(span.text(deep=True).strip())
            if lead.found is not None:
                if not _in_caption(span, scope):
                    break
                lead.found = None  # a photo caption that repeats the description
    if byline_out is not None:
        byline = _take_bold_byline(nodes)
        if byline:
            byline_out.append(byline)
    clean_container(nodes)
    lines = serialise(nodes)
    drop = list(drop_lines)
    if rules is not None:
        drop.extend(rules.drop_phrases)
    lines = _cut_trailing_furniture(_drop_lines(lines, drop))
    # An excerpt of the body's own first paragraphs (WordPress) is no separate standfirst.
    if lead.found and _lead_key(lead.found) not in _lead_key(" ".join(lines[:8])):
        lines.insert(0, lead.found)
    return "\n\n".join(lines)
