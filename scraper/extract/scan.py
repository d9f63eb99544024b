"""One selector pass over the page for everything the metadata, JSON-LD and paywall readers need.

Each page-wide CSS query costs a walk of the whole tree (about as much as a tenth of the parse),
whatever it matches: asking once for the union of what the readers want, and letting each
reader pick its elements from the (short) result in Python, saves two walks per page. Each
element's tag and attributes are read once here too (selectolax builds a new dict per call)."""

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


def page_nodes(tree: LexborHTMLParser, selector: str = PAGE_SELECTOR) -> list[ScanNode]:
    """The page's elements matching `selector`, in document order."""
    return scan_nodes(tree.css(selector))
