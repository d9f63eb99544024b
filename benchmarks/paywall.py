"""Paywall benchmark (issue 5): how well `paywall_declared` matches the news corpus' labels, and
which pages the extractor calls cut teasers.

    .venv/bin/python benchmarks/paywall.py            # ../shared/news-corpus, 5 timing runs
    .venv/bin/python benchmarks/paywall.py --runs 1 --corpus DIR

Labels: `free_access` in `truth.jsonl` is the publisher's own declaration (schema.org
`isAccessibleForFree`, or a site rule for five publishers; see the corpus README). A page labelled
`false` should get `paywall_declared` True, one labelled `true` should get False. Unlabelled
pages (null) are not scored. `signals.jsonl` is not read: it is not ground truth.

Two accuracies are printed. The headline reads a silent page (`paywall_declared` None) as
"not declared paywalled", the corpus' own convention for its site rules (a page without the
wall marker is labelled free) and Fundus' default. The strict one counts every None as wrong;
it is printed with the coverage so nothing hides behind the convention.

Cut: most corpus pages carry their full text (Fundus only keeps complete articles), so
`paywall_cut` should be rare; every page called cut is listed with the evidence.

Timing: `markup_signals` CPU time per page (median of `--runs` runs over the corpus; CPU time,
because other jobs share these machines), next to the time to parse the page with selectolax
measured in the same run, the floor no selectolax-based extractor can go under.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _metrics import CORPUS_DIR, load_corpus

from scraper.extract import extract_article
from scraper.extract.jsonld import load_jsonld
from scraper.extract.paywall import markup_signals


def load_labels(directory: Path) -> dict[str, bool | None]:
    labels: dict[str, bool | None] = {}
    with (directory / "truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            labels[entry["id"]] = entry.get("free_access")
    return labels


def score(predictions: dict[str, bool | None], labels: dict[str, bool | None]) -> dict[str, object]:
    """Accuracy figures and the confusion matrix over labelled pages."""
    confusion: Counter[tuple[str, str]] = Counter()
    lenient = strict = total = 0
    wrong: list[str] = []
    for page_id, free in labels.items():
        if free is None:
            continue
        total += 1
        want_walled = not free
        got = predictions.get(page_id)
        confusion["walled" if want_walled else "free", {True: "True", False: "False", None: "None"}[got]] += 1
        strict += got is want_walled
        if (got is True) == want_walled:
            lenient += 1
        else:
            wrong.append(page_id)
    return {
        "total": total,
        "accuracy": lenient / total if total else 0.0,
        "strict_accuracy": strict / total if total else 0.0,
        "coverage": sum(1 for k, v in labels.items() if v is not None and predictions.get(k) is not None)
        / (total or 1),
        "confusion": confusion,
        "wrong": wrong,
    }


def corpus_predictions(directory: Path) -> dict[str, bool | None]:
    """paywall_declared for every corpus page (markup only: what the extractor reports)."""
    out: dict[str, bool | None] = {}
    for case in load_corpus(directory):
        tree = LexborHTMLParser(case.html)
        out[case.id] = markup_signals(tree, load_jsonld(tree)).declared
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (args.corpus / "truth.jsonl").exists():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    cases = load_corpus(args.corpus)
    labels = load_labels(args.corpus)

    parse_ms: list[float] = []
    markup_ms: list[float] = []
    predictions: dict[str, bool | None] = {}
    trees = []
    for run in range(max(1, args.runs)):
        started = time.process_time()
        trees = [LexborHTMLParser(case.html) for case in cases]
        parse_ms.append((time.process_time() - started) * 1000 / len(cases))
        jsonlds = [load_jsonld(tree) for tree in trees]
        started = time.process_time()
        results = [markup_signals(tree, jsonld) for tree, jsonld in zip(trees, jsonlds, strict=True)]
        markup_ms.append((time.process_time() - started) * 1000 / len(cases))
        if run == 0:
            predictions = {case.id: result.declared for case, result in zip(cases, results, strict=True)}

    figures = score(predictions, labels)
    confusion = figures["confusion"]
    assert isinstance(confusion, Counter)
    print(f"news-corpus: {len(cases)} pages, {figures['total']} labelled (free_access true/false)")
    print(
        f"paywall_declared accuracy: {figures['accuracy']:.1%} (None read as not paywalled); "
        f"strict {figures['strict_accuracy']:.1%}; coverage {figures['coverage']:.1%}"
    )
    print("confusion (rows: label, columns: paywall_declared)")
    print(f"  {'':8} {'True':>6} {'False':>6} {'None':>6}")
    for row in ("walled", "free"):
        print(f"  {row:8} " + " ".join(f"{confusion[row, col]:>6}" for col in ("True", "False", "None")))
    for page_id in figures["wrong"]:  # type: ignore[attr-defined]
        print(f"  wrong: {page_id} label free_access={labels[page_id]} predicted {predictions[page_id]}")
    unlabelled = Counter(str(predictions[k]) for k, v in labels.items() if v is None)
    print(f"unlabelled pages, paywall_declared: {dict(sorted(unlabelled.items()))}")

    cut_pages = []
    for case in cases:
        article = extract_article(case.html, case.url)
        if article.paywall_cut:
            evidence = [f"{s.kind}({s.strength}): {s.detail}" for s in article.paywall_signals if s.strength != "weak"]
            cut_pages.append((case.id, labels.get(case.id), len(article.text), evidence))
    print(f"paywall_cut=True: {len(cut_pages)} of {len(cases)} pages")
    for page_id, free, chars, evidence in cut_pages:
        print(f"  {page_id} (free_access={free}, {chars} chars of text)")
        for line in evidence[:6]:
            print(f"      {line}")
    markup, parse = statistics.median(markup_ms), statistics.median(parse_ms)
    print(
        f"markup_signals: {markup:.2f} ms/page (CPU); selectolax parse {parse:.2f} ms/page; "
        f"ratio {markup / parse:.2f} (median of {len(markup_ms)} runs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
