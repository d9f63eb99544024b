"""One selector pass over the page for everything the metadata, JSON-LD and paywall readers
(and the body's pre-cleaning) need.

Each page-wide CSS query costs a walk of the whole tree (a tenth to a fifth of the parse),
whatever it matches: asking once for the union of what the readers want, and letting each
reader pick its elements from the (short) result in Python, saves three walks per page. Each
element's tag and attributes are read once here too (selectolax builds a new dict per call).
The readers must not change the tree while they hold these nodes."""

from __future__ import annotations

from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

# meta/script/link/title: head data (and JSON-LD or meta tags in the body); h1/time/[itemprop]/
# [pubdate]: metadata heuristics; the "wall" attributes: paywall gate candidates.
PAGE_SELECTOR = (
    'meta, script, link[rel="canonical"], title, h1, time, [itemprop], [pubdate], '
    '[class*="wall" i], [id*="wall" i], [data-paywall]'
)


class ScanNode(NamedTuple):
    node: LexborNode
    tag: str
    attrs: dict[str, str | None]


def scan_nodes(nodes: list[LexborNode]) -> list[ScanNode]:
    """`nodes` with their tag and attributes read."""
    return [ScanNode(node, node.tag or "", node.attributes) for node in nodes]


def page_nodes(tree: LexborHTMLParser | LexborNode, selector: str = PAGE_SELECTOR) -> list[ScanNode]:
    """The elements of the page (or of a node's subtree) matching `selector`, in document order."""
    return scan_nodes(tree.css(selector))


def page_and_body_nodes(tree: LexborHTMLParser, body_selector: str) -> tuple[list[ScanNode], list[ScanNode] | None]:
    """page_nodes (plus whatever else matched in the body), and the body's elements matching
    PAGE_SELECTOR or `body_selector`: one walk over the head and one over the body answer both.
    The second is None when the page has no head and body to split the walk by."""
    head, body = tree.head, tree.body
    if head is None or body is None:
        return page_nodes(tree), None
    in_body = page_nodes(body, f"{PAGE_SELECTOR}, {body_selector}")
    return [*page_nodes(head), *in_body], in_body


def collapse_space(text: str) -> str:
    """`text` with its whitespace runs made single spaces, none at the ends (as " ".join(text.split()))."""
    # Most block texts only have whitespace around them (the markup's line breaks and indents):
    # then the split into words (a string each) and the join are skipped. Every whitespace
    # character but " " is unprintable, so a printable text without double spaces is done.
    text = text.strip()
    if not text.isprintable() or "  " in text:
        text = " ".join(text.split())
    return text
