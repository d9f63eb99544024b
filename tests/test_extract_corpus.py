"""Regression floors for scraper.extract on the shared page sets (../shared, skipped when absent).

The floors sit slightly below the figures benchmarks/extraction.py measured; a change that
drops below them has made extraction worse on real pages."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
sys.path.insert(0, str(ROOT / "benchmarks"))

import _metrics as metrics  # noqa: E402

from scraper.extract import extract_article  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (SHARED / "extraction-bench").exists() or not (SHARED / "news-corpus").exists(),
    reason="shared corpora not present",
)


def test_extraction_bench_body_f1() -> None:
    cases = metrics.load_bench(SHARED / "extraction-bench")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = metrics.body_score((c.body, extract_article(c.html, c.url).text) for c in cases)
    assert score.f1 >= 0.980
    assert score.page_f1 >= 0.977


def test_news_corpus_body_and_metadata() -> None:
    cases = metrics.load_corpus(SHARED / "news-corpus")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        articles = [extract_article(c.html, c.url) for c in cases]
    pairs = list(zip(cases, articles, strict=True))
    n = len(pairs)
    score = metrics.body_score((c.body, a.text) for c, a in pairs)
    assert score.f1 >= 0.963
    assert sum(metrics.title_matches(c.title, a.title) for c, a in pairs) / n >= 0.94
    assert sum(metrics.published_matches(c.published, a.published) for c, a in pairs) / n >= 0.965
    assert sum(metrics.authors_match(c.authors, a.authors) for c, a in pairs) / n >= 0.915
