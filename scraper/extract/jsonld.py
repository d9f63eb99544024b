"""Read schema.org JSON-LD blocks from a parsed page into a flat list of objects."""

from __future__ import annotations

import json
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from .scan import ScanNode

_MAX_BLOCK_CHARS = 2_000_000


def _flatten(value: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(item, out, depth + 1)
    elif isinstance(value, dict):
        out.append(value)
        graph = value.get("@graph")
        if graph is not None:
            _flatten(graph, out, depth + 1)


def load_jsonld(tree: LexborHTMLParser, nodes: list[ScanNode] | None = None) -> list[dict[str, Any]]:
    """Every JSON object in the page's `application/ld+json` scripts, with `@graph` members
    and top-level arrays flattened out. Blocks that are not valid JSON are skipped. `nodes`,
    when given, is the page's scan (scan.page_nodes), which holds every script."""
    objects: list[dict[str, Any]] = []
    if nodes is None:
        scripts = tree.css('script[type="application/ld+json"]')
    else:
        scripts = [
            n.node
            for n in nodes
            if n.tag == "script" and (n.attrs.get("type") or "").strip().lower() == "application/ld+json"
        ]
    for script in scripts:
        raw = script.text(deep=True, strip=False)
        if not raw or len(raw) > _MAX_BLOCK_CHARS:
            continue
        raw = raw.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue
        _flatten(data, objects)
    return objects


def types_of(obj: dict[str, Any]) -> set[str]:
    """The object's @type values as a set of plain names ("NewsArticle", ...)."""
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1] for v in values if isinstance(v, str)}
