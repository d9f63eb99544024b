"""Archive scale: batched inserts with the FTS triggers on, size per article, query latency at N rows.

    .venv/bin/python benchmarks/archive.py --quick          # 50,000 articles
    .venv/bin/python benchmarks/archive.py                  # 1,000,000 articles (several minutes, ~10 GB in /tmp)
    .venv/bin/python benchmarks/archive.py --rows 200000 --path /tmp/a.db --keep

The archive is made by scraper.archive.Archive.open (the real schema: indexes, articles_fts with the
porter tokenizer and its triggers) plus scraper.browse.prepare_for_datasette (the daily-counts
table and its triggers). Articles are generated deterministically: ~600 words each, drawn from a
Zipf-distributed vocabulary in sentences, with topical two-word phrases ("housing revenue") mixed
in as news text has them, spread over four years and five outlets, 2% exact duplicates.

Reported, each query as the median of --repeat runs after one warm-up:
- insert rate: articles per second spent in executemany + commit (generation not counted), and
  the same over the first --baseline-rows rows against a baseline archive without the daily-counts
  triggers, built in the same run (the triggers' cost as a ratio);
- database size per article (after a WAL checkpoint);
- the stored search query (bm25-ranked, snippets, highlights) for a topical two-word phrase, and
  for a phrase of two very common words (the worst case: both doclists cover most articles);
- the stored "articles per week per outlet" query (reads article_days) and, as its baseline, the
  same aggregation computed from articles.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraper.archive import Archive  # noqa: E402
from scraper.browse import prepare_for_datasette  # noqa: E402
from scraper.browse.schema import COUNTS_TRIGGERS  # noqa: E402
from scraper.browse.plugins.scraper_browse import fts_query  # noqa: E402
from scraper.browse.queries import ARTICLES_PER_WEEK, SEARCH  # noqa: E402

OUTLETS = (
    ("mj", "The MJ", 0.30, {"free": 0.55, "teaser": 0.35, "subscriber": 0.10}),
    ("lgc", "Local Government Chronicle", 0.25, {"free": 0.30, "teaser": 0.60, "subscriber": 0.10}),
    ("herald", "Borchester Herald", 0.20, {"free": 0.90, "teaser": 0.10, "subscriber": 0.0}),
    ("gazette", "Casterbridge Gazette", 0.15, {"free": 0.70, "teaser": 0.25, "subscriber": 0.05}),
    ("review", "Public Finance Review", 0.10, {"free": 0.20, "teaser": 0.50, "subscriber": 0.30}),
)
COMMON = (
    "the of and to a in that is for on it with as was be by at this have from or are an they which you "
    "not but were been their has more one had also its all would will about there said council after "
    "than other new when some year could people who out over into two first up only can time his her "
    "we may them so no what local government its budget years should must"
).split()
TOPICS = (
    "housing revenue", "social care", "council tax", "business rates", "children services",
    "adult care", "capital programme", "pension fund", "climate emergency", "planning appeal",
    "local plan", "highways maintenance", "waste collection", "section 114", "care homes",
    "bus services", "leisure centre", "levelling up", "devolution deal", "audit committee",
)
SYLLABLES = (
    "quor val bren tas mor lin dex fal rin tho gra vel sim par den kol mab ter sor vin lum bar cas "
    "pel dor rix tam hol ner fen gis bol wen"
).split()
START = date(2021, 1, 1)
DAYS = 4 * 365
WORDS_PER_ARTICLE = 600


def pseudo_word(n: int) -> str:
    parts = []
    for _ in range(3):
        n, digit = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts)


class Generator:
    """Deterministic article rows; a pool of sentences keeps generation cheap next to the insert."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        vocabulary = COMMON + [pseudo_word(i) for i in range(30_000)]
        weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf, s = 1
        self.sentences = []
        for _ in range(40_000):
            words = self.rng.choices(vocabulary, weights=weights, k=self.rng.randint(8, 22))
            self.sentences.append(" ".join(words).capitalize() + ".")
        self.authors = [f"{first} {last}" for first in ("Amelia", "Tom", "Priya", "Kwame", "Helen", "Imran")
                        for last in ("Shah", "Hale", "Brook", "Moss", "Okafor", "Reid", "Lowe")]
        self.outlet_weights = [o[2] for o in OUTLETS]
        self.recent: list[tuple[int, str, str]] = []  # (id, text, hash) of recent originals, for copies

    def text(self) -> str:
        rng = self.rng
        paragraphs, words = [], 0
        while words < WORDS_PER_ARTICLE:
            sentences = rng.choices(self.sentences, k=4)
            if rng.random() < 0.5:
                topic = rng.choice(TOPICS)
                sentences.insert(rng.randrange(5), f"The {topic} report was discussed.")
            paragraph = " ".join(sentences)
            words += paragraph.count(" ") + 1
            paragraphs.append(paragraph)
        return "\n\n".join(paragraphs)

    def rows(self, count: int, first_id: int = 1) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for i in range(first_id, first_id + count):
            slug, _, _, access_mix = rng.choices(OUTLETS, weights=self.outlet_weights)[0]
            day = START + timedelta(days=rng.randrange(DAYS))
            published = f"{day.isoformat()}T{rng.randrange(6, 22):02d}:{rng.randrange(60):02d}:00+00:00"
            access = rng.choices(list(access_mix), weights=list(access_mix.values()))[0]
            duplicate_of = None
            if self.recent and rng.random() < 0.02:
                duplicate_of, text, content_hash = rng.choice(self.recent)
            else:
                text = self.text()
                content_hash = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
                if len(self.recent) < 2000:
                    self.recent.append((i, text, content_hash))
                else:
                    self.recent[rng.randrange(2000)] = (i, text, content_hash)
            title = rng.choice(self.sentences)[:90]
            url = f"https://{slug}.example/news/{day.year}/{i}"
            yield {
                "id": i, "outlet": slug, "url": url, "canonical_url": url, "title": title,
                "description": rng.choice(self.sentences), "published": published, "modified": published,
                "authors": json.dumps(rng.sample(self.authors, rng.choice((1, 1, 1, 2)))),
                "section": rng.choice(("News", "Finance", "Social care", "Housing", "Politics", "Opinion")),
                "tags": json.dumps(rng.sample(TOPICS, 2)), "language": "en", "text": text,
                "word_count": text.count(" ") + 1, "access": access,
                "paywall_declared": None if access == "free" else 1, "paywall_signals": "[]",
                "content_hash": content_hash, "duplicate_of": duplicate_of,
                "duplicate_rule": "exact" if duplicate_of else None, "similarity": 1.0 if duplicate_of else None,
                "version": 1, "first_seen": published, "fetched_at": published, "last_checked": published,
                "run_id": 1,
            }


def fill(path: Path, rows: int, batch: int, seed: int, *, counts: bool, quiet: bool = False) -> tuple[float, float]:
    """Fill a new archive; returns (seconds inserting, wall seconds)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    archive = Archive.open(path)
    if counts:
        prepare_for_datasette(archive.db)
    else:  # in case Archive.open already prepared it
        for trigger in COUNTS_TRIGGERS:
            archive.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    archive.upsert_outlets({"slug": s, "name": n, "home": f"https://{s}.example/"} for s, n, _, _ in OUTLETS)
    archive.db.execute("INSERT INTO runs (id, started_at, status) VALUES (1, '2021-01-01T00:00:00+00:00', 'ok')")
    archive.db.conn.commit()
    conn = archive.db.conn
    generator = Generator(seed)
    columns = list(next(Generator(seed).rows(1)).keys())
    sql = f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    inserting = 0.0
    wall = time.perf_counter()
    done = 0
    while done < rows:
        n = min(batch, rows - done)
        values = [tuple(row[c] for c in columns) for row in generator.rows(n, first_id=done + 1)]
        start = time.perf_counter()
        with conn:
            conn.executemany(sql, values)
        inserting += time.perf_counter() - start
        done += n
        if not quiet and (done // batch) % 20 == 0:
            print(f"  {done:>9,} rows, {done / inserting:,.0f}/s inserting", file=sys.stderr, flush=True)
    wall = time.perf_counter() - wall
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.close()
    return inserting, wall


def median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="articles to generate [1,000,000]")
    parser.add_argument("--quick", action="store_true", help="50,000 articles")
    parser.add_argument("--batch", type=int, default=5_000, help="articles per transaction [5,000]")
    parser.add_argument("--baseline-rows", type=int, default=50_000,
                        help="rows in the baseline archive without daily-counts triggers [50,000]")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query [7]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--path", type=Path, default=Path("/tmp/scraper-bench-archive.db"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    rows = 50_000 if args.quick else args.rows
    baseline_rows = min(args.baseline_rows, rows)

    print(f"archive benchmark: {rows:,} articles of ~{WORDS_PER_ARTICLE} words, batches of {args.batch:,}, "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs", flush=True)
    baseline_path = args.path.with_name(args.path.stem + "-baseline.db")
    base_insert, _ = fill(baseline_path, baseline_rows, args.batch, args.seed, counts=False, quiet=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{baseline_path}{suffix}").unlink(missing_ok=True)
    # The same first rows with the counts triggers, timed alone so the two rates compare like with like.
    first_insert, _ = fill(args.path, baseline_rows, args.batch, args.seed, counts=True, quiet=True)
    inserting, wall = (first_insert, first_insert) if rows == baseline_rows else fill(
        args.path, rows, args.batch, args.seed, counts=True
    )
    size = args.path.stat().st_size
    print(f"insert: {rows / inserting:,.0f} articles/s inserting ({inserting:.1f} s; {rows / wall:,.0f}/s "
          f"including generation, {wall:.1f} s)")
    print(f"  first {baseline_rows:,} rows: {baseline_rows / first_insert:,.0f}/s with daily-counts triggers, "
          f"{baseline_rows / base_insert:,.0f}/s without (ratio {base_insert / first_insert:.2f})")
    print(f"size: {size / 1e9:.2f} GB, {size / rows / 1024:.1f} KiB per article")

    db = sqlite3.connect(f"file:{args.path}?mode=ro", uri=True)
    db.create_function("fts_query", 1, fts_query, deterministic=True)
    blank = {"outlet": "", "since": "", "until": ""}
    for label, phrase in (
        ("topical phrase", '"housing revenue"'),
        ("topical phrase", '"pension fund"'),
        ("common-word phrase", f'"{COMMON[1]} {COMMON[2]}"'),
    ):
        ms, result = median_ms(lambda p=phrase: db.execute(SEARCH.sql, {**blank, "q": p}).fetchall(), args.repeat)
        hits = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [phrase]).fetchone()[0]
        print(f"search {label} {phrase}: {ms:.1f} ms median (top {len(result)} of {hits:,} matches)")
    weekly_ms, weekly = median_ms(
        lambda: db.execute(ARTICLES_PER_WEEK.sql, {"outlet": "", "since": ""}).fetchall(), args.repeat
    )
    raw_sql = (
        "SELECT outlet, date(substr(published, 1, 10), 'weekday 0', '-6 days') AS week, COUNT(*) "
        "FROM articles WHERE published IS NOT NULL GROUP BY outlet, week ORDER BY week, outlet"
    )
    raw_ms, raw = median_ms(lambda: db.execute(raw_sql).fetchall(), max(1, args.repeat // 2))
    assert [tuple(r[:3]) for r in weekly] == [tuple(r) for r in raw], "article_days disagrees with articles"
    print(f"articles per week per outlet: {weekly_ms:.1f} ms median from article_days ({len(weekly):,} rows); "
          f"{raw_ms:.0f} ms computed from articles (ratio {raw_ms / weekly_ms:.0f}x)")
    facet_ms, _ = median_ms(
        lambda: db.execute("SELECT outlet, count(*) FROM articles GROUP BY outlet").fetchall(), args.repeat
    )
    print(f"outlet facet (GROUP BY over articles): {facet_ms:.0f} ms median")
    db.close()
    if not args.keep:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{args.path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
