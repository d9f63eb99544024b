"""Extraction quality and speed: scraper.extract against trafilatura on the shared page sets.

    .venv/bin/python benchmarks/extraction.py [--quick] [--passes N]

For ../shared/extraction-bench and ../shared/news-corpus prints body F1 / precision / recall /
page_F1 (metric in benchmarks/_metrics.py), and for news-corpus title, published and author
accuracy, for us and for trafilatura (with metadata, as the issue's comparison). Speed is parse +
extract only, single process, median CPU time of several passes over the same in-memory pages; the ratio
is against trafilatura's default settings (trafilatura.extract) measured in the same run. A
second speed line times the extractor with the paywall stage (scraper.extract.paywall) replaced
by no-ops, to show what each part costs; a third line sets the 10x goal's time budget per page
against what parsing alone (selectolax's LexborHTMLParser, which the extractor must use) takes.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _metrics as metrics
from selectolax.lexbor import LexborHTMLParser

import scraper.extract as extract_module
from scraper.extract import extract_article
from scraper.extract.paywall import MarkupSignals, PaywallReport

warnings.simplefilter("ignore")  # dateutil and trafilatura warn on odd pages; the scores say enough


def _ours(case: metrics.Case) -> dict[str, Any]:
    article = extract_article(case.html, case.url)
    return {
        "text": article.text,
        "title": article.title,
        "authors": article.authors,
        "published": article.published,
    }


def _trafilatura(case: metrics.Case) -> dict[str, Any]:
    import trafilatura

    doc: Any = trafilatura.bare_extraction(case.html, url=case.url or None, with_metadata=True)
    if doc is None:
        return {"text": "", "title": None, "authors": (), "published": None}
    authors = tuple(a.strip() for a in (doc.author or "").split(";") if a.strip())
    return {"text": doc.text or "", "title": doc.title, "authors": authors, "published": doc.date}


@contextlib.contextmanager
def _without_paywall_stage() -> Iterator[None]:
    """Swap the paywall reader for no-ops (the body text passes through unchanged)."""
    module = extract_module.paywall
    saved = module.markup_signals, module.finish

    def no_markup(tree: object, jsonld: object, rules: object = None, nodes: object = None) -> MarkupSignals:
        return MarkupSignals(declared=None, word_count=None, signals=())

    def no_finish(text: str, markup: object, rules: object = None) -> PaywallReport:
        return PaywallReport(declared=None, cut=False, signals=(), text=text)

    module.markup_signals, module.finish = no_markup, no_finish
    try:
        yield
    finally:
        module.markup_signals, module.finish = saved


def _timed(runs: dict[str, Callable[[str], object]], pages: list[str], passes: int) -> dict[str, float]:
    """Median CPU seconds per page of each run over `passes` passes. The runs take turns within
    each pass, and CPU time of this process is measured, so other load on the machine skews
    the ratios less than wall-clock time would."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(passes):
        for name, run in runs.items():
            start = time.process_time()
            for html in pages:
                run(html)
            times[name].append((time.process_time() - start) / len(pages))
    return {name: statistics.median(values) for name, values in times.items()}


def _ours_without_paywall(html: str) -> object:
    with _without_paywall_stage():
        return extract_article(html, "")


def _report(name: str, cases: list[metrics.Case], with_meta: bool, passes: int) -> None:
    print(f"\n== {name}: {len(cases)} pages")
    header = f"{'':14}{'F1':>7}{'prec':>7}{'recall':>7}{'page_F1':>9}"
    if with_meta:
        header += f"{'title':>8}{'published':>11}{'authors':>9}"
    print(header)
    for label, extractor in (("scraper", _ours), ("trafilatura", _trafilatura)):
        results = [extractor(case) for case in cases]
        body = metrics.body_score((case.body, result["text"]) for case, result in zip(cases, results, strict=True))
        line = f"{label:14}{body.f1:7.3f}{body.precision:7.3f}{body.recall:7.3f}{body.page_f1:9.3f}"
        if with_meta:
            n = len(cases)
            pairs = list(zip(cases, results, strict=True))
            title = sum(metrics.title_matches(c.title, r["title"]) for c, r in pairs) / n
            published = sum(metrics.published_matches(c.published, r["published"]) for c, r in pairs) / n
            authors = sum(metrics.authors_match(c.authors, r["authors"]) for c, r in pairs) / n
            line += f"{title:8.1%}{published:11.1%}{authors:9.1%}"
        print(line)

    import trafilatura

    pages = [case.html for case in cases]
    timed = _timed(
        {
            "ours": lambda html: extract_article(html, ""),
            "bare": _ours_without_paywall,
            "theirs": lambda html: trafilatura.extract(html),
            "parse": LexborHTMLParser,
        },
        pages,
        passes,
    )
    ours, bare, theirs, parse = timed["ours"], timed["bare"], timed["theirs"], timed["parse"]
    print(
        f"speed (median of {passes}): scraper {1 / ours:7.1f} pages/s, trafilatura {1 / theirs:6.1f} pages/s"
        f" -> {theirs / ours:.1f}x"
    )
    print(
        f"  per page: scraper {ours * 1000:.2f} ms = extractor {bare * 1000:.2f} ms"
        f" + paywall stage {(ours - bare) * 1000:.2f} ms; trafilatura {theirs * 1000:.2f} ms"
        f" (extractor alone {theirs / bare:.1f}x)"
    )
    budget = theirs / 10
    print(
        f"  10x budget {budget * 1000:.2f} ms per page; parsing alone (LexborHTMLParser) takes"
        f" {parse * 1000:.2f} ms of it ({parse / budget:.0%})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="first 30 pages of each set, one timing pass")
    parser.add_argument("--passes", type=int, default=3, help="timing passes (median is reported)")
    args = parser.parse_args()
    if not metrics.BENCH_DIR.exists() or not metrics.CORPUS_DIR.exists():
        print(f"shared data not found under {metrics.SHARED}", file=sys.stderr)
        return 2
    passes = 1 if args.quick else max(1, args.passes)
    for name, loader, with_meta in (
        ("extraction-bench", metrics.load_bench, False),
        ("news-corpus", metrics.load_corpus, True),
    ):
        cases = loader()
        if args.quick:
            cases = cases[:30]
        _report(name, cases, with_meta, passes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
