"""Scoring helpers shared by the extraction benchmark and the corpus regression tests.

Body metric as in scrapinghub/article-extraction-benchmark `evaluate.py` (see
../shared/extraction-bench/README.md): 4-token shingles compared as multisets; corpus precision
is the mean page precision over pages with non-empty output, recall the mean page recall over
pages with non-empty truth, F1 their harmonic mean; `page_f1` is the mean per-page F1 with an
empty output counting 0. Metadata checks follow the news-corpus README / issue 4."""

from __future__ import annotations

import gzip
import json
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_TOKEN_RE = re.compile(r"\w+")
_SHINGLE = 4

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH_DIR = SHARED / "extraction-bench"
CORPUS_DIR = SHARED / "news-corpus"


@dataclass(frozen=True)
class Case:
    """One page with its expected output."""

    id: str
    url: str
    html: str
    body: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None


@dataclass(frozen=True)
class BodyScore:
    precision: float
    recall: float
    f1: float
    page_f1: float


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < _SHINGLE:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(len(tokens) - _SHINGLE + 1))


def page_counts(truth: str, prediction: str) -> tuple[int, int, int]:
    """(tp, fp, fn) shingle counts for one page."""
    want, got = shingles(truth), shingles(prediction)
    tp = sum((want & got).values())
    return tp, sum((got - want).values()), sum((want - got).values())


def page_scores(truth: str, prediction: str) -> tuple[float | None, float | None, float]:
    """(precision or None when the output is empty, recall or None when the truth is empty, F1)."""
    tp, fp, fn = page_counts(truth, prediction)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    p, r = precision or 0.0, recall or 0.0
    return precision, recall, (2 * p * r / (p + r) if p + r else 0.0)


def body_score(pairs: Iterable[tuple[str, str]]) -> BodyScore:
    """Corpus scores over (truth, prediction) pairs."""
    precisions: list[float] = []
    recalls: list[float] = []
    f1s: list[float] = []
    for truth, prediction in pairs:
        precision, recall, f1 = page_scores(truth, prediction)
        if precision is not None:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
        f1s.append(f1)
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return BodyScore(p, r, 2 * p * r / (p + r) if p + r else 0.0, statistics.fmean(f1s) if f1s else 0.0)


def normalise_title(title: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", title or "").split())


def title_matches(truth: str | None, got: str | None) -> bool:
    return normalise_title(truth) == normalise_title(got)


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def published_matches(truth: str | None, got: str | None) -> bool:
    """Equal to the minute in UTC. A naive truth is compared with the wall-clock time of `got`;
    a naive `got` against an aware truth cannot be compared and counts as a miss."""
    if not truth:
        return not got
    want = _parse_time(truth)
    have = _parse_time(got) if got else None
    if want is None or have is None:
        return False
    if want.tzinfo is None:
        have = have.replace(tzinfo=None)
    elif have.tzinfo is None:
        return False
    else:
        want, have = want.astimezone(UTC), have.astimezone(UTC)
    return want.replace(second=0, microsecond=0) == have.replace(second=0, microsecond=0)


def authors_match(truth: Sequence[str], got: Sequence[str]) -> bool:
    def norm(names: Sequence[str]) -> set[str]:
        return {" ".join(name.split()).casefold() for name in names if name.strip()}

    return norm(truth) == norm(got)


def _read_gz(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")


def load_bench(directory: Path = BENCH_DIR) -> list[Case]:
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    return [
        Case(
            id=key,
            url=entry.get("url") or "",
            html=_read_gz(directory / "pages" / f"{key}.html.gz"),
            body=entry.get("articleBody") or "",
        )
        for key, entry in sorted(truth.items())
    ]


def load_corpus(directory: Path = CORPUS_DIR) -> list[Case]:
    cases = []
    with (directory / "truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            cases.append(
                Case(
                    id=entry["id"],
                    url=entry.get("url") or "",
                    html=_read_gz(directory / entry["html_file"]),
                    body=entry.get("body_text") or "",
                    title=entry.get("title"),
                    authors=tuple(entry.get("authors") or ()),
                    published=entry.get("published"),
                )
            )
    return cases
