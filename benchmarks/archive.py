"""Archive scale: batched inserts with the FTS triggers on, size per article, query latency at N rows.

    .venv/bin/python benchmarks/archive.py --quick          # 50,000 articles
    .venv/bin/python benchmarks/archive.py                  # 1,000,000 articles (several minutes, ~10 GB in /tmp)
    .venv/bin/python benchmarks/archive.py --rows 200000 --path /tmp/a.db --keep
    .venv/bin/python benchmarks/archive.py --queries-only --path /tmp/a.db   # re-time the queries

The archive is made by scraper.archive.Archive.open (the real schema: indexes, articles_fts with the
porter tokenizer and its triggers) plus scraper.browse.prepare_for_datasette (the daily-counts
table and its triggers, the FTS5 merge settings). Articles are generated deterministically: ~600
words each, drawn from a Zipf-distributed vocabulary in sentences, with topical two-word phrases
("housing revenue") mixed in as news text has them, spread over four years and five outlets, 2%
exact duplicates.

Reported:
- insert rate: articles per second spent in Archive.insert_articles, the bulk path (generation
  not counted, its own rate shown), in wall time and per CPU second of this process (the fair
  figure when other jobs share the machine). Over the first --baseline-rows rows, against
  baselines built in the same run: with FTS5's default settings, with one INSERT statement per
  article (executemany), without the daily-counts triggers, and without the FTS triggers as well
  (the share of the insert time that full-text indexing takes); and FTS5 alone indexing the same
  texts (the first --fts-alone-rows) in a file of its own, porter and unstemmed: with the no-FTS
  row cost, the most any schema with this index can reach on one core;
- database size per article (after a WAL checkpoint);
- search for --phrases two-word phrases, two adjacent words from a sentence of each of the first
  archived articles: median (90th percentile, max) over the phrases, each timed as the median of
  its runs, for the stored search query (bm25-ranked, snippets, highlights), the stored
  search_latest query (newest first, stops at its LIMIT) and the articles table's search box;
- the same three for chosen topical phrases of different frequency and for two very common words
  (the worst case), each the median of --repeat runs after one warm-up;
- the stored "articles per week per outlet" query (reads article_days) and, as its baseline, the
  same aggregation computed from articles.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraper.archive import Archive
from scraper.browse import prepare_for_datasette
from scraper.browse.plugins.scraper_browse import fts_query, register_functions
from scraper.browse.queries import ARTICLES_PER_WEEK, SEARCH, SEARCH_LATEST
from scraper.browse.schema import COUNTS_TRIGGERS, FTS_SETTINGS

OUTLETS = (
    ("mj", "The MJ", 0.30, {"free": 0.55, "teaser": 0.35, "subscriber": 0.10}),
    ("lgc", "Local Government Chronicle", 0.25, {"free": 0.30, "teaser": 0.60, "subscriber": 0.10}),
    ("herald", "Borchester Herald", 0.20, {"free": 0.90, "teaser": 0.10, "subscriber": 0.0}),
    ("gazette", "Casterbridge Gazette", 0.15, {"free": 0.70, "teaser": 0.25, "subscriber": 0.05}),
    ("review", "Public Finance Review", 0.10, {"free": 0.20, "teaser": 0.50, "subscriber": 0.30}),
)
COMMON = (  # noqa: SIM905  (word lists read better as text)
    "the of and to a in that is for on it with as was be by at this have from or are an they which "
    "you not but were been their has more one had also its all would will about there said council "
    "after than other new when some year could people who out over into two first up only can time "
    "his her we may them so no what local government its budget years should must"
).split()
# Topic phrases: each article is about one (sometimes two), popularity Zipf-like (s = 0.7), so the
# most common phrase is in ~9% of articles, the 10th in ~2%, the 60th in ~0.5%, as in a trade archive.
_FIRST = (  # noqa: SIM905  (word lists read better as text)
    "housing social adult capital pension business council planning waste bus climate children "
    "highways school library leisure parking audit care public"
).split()
_SECOND = (  # noqa: SIM905  (word lists read better as text)
    "revenue care rates fund services plan appeal collection homes emergency programme maintenance "
    "committee deal budget reform"
).split()
TOPICS = tuple(random.Random(7).sample([f"{a} {b}" for a in _FIRST for b in _SECOND if a != b], 100))
TOPIC_WEIGHTS = [1 / (rank + 1) ** 0.7 for rank in range(len(TOPICS))]
SYLLABLES = (  # noqa: SIM905  (word lists read better as text)
    "quor val bren tas mor lin dex fal rin tho gra vel sim par den kol mab ter sor vin lum bar cas "
    "pel dor rix tam hol ner fen gis bol wen"
).split()
# FTS5's built-in settings, the baseline for FTS_SETTINGS.
FTS_DEFAULTS = {"automerge": 4, "crisismerge": 16, "hashsize": 1024 * 1024}
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
        cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))  # Zipf
        self.sentences = []
        for _ in range(40_000):
            words = self.rng.choices(vocabulary, cum_weights=cumulative, k=self.rng.randint(8, 22))
            self.sentences.append(" ".join(words).capitalize() + ".")
        self.authors = [
            f"{first} {last}"
            for first in ("Amelia", "Tom", "Priya", "Kwame", "Helen", "Imran")
            for last in ("Shah", "Hale", "Brook", "Moss", "Okafor", "Reid", "Lowe")
        ]
        self.outlet_weights = [o[2] for o in OUTLETS]
        self.recent: list[tuple[int, str, str]] = []  # (id, text, hash) of recent originals, for copies

    def text(self) -> str:
        rng = self.rng
        topics = rng.choices(TOPICS, weights=TOPIC_WEIGHTS, k=2 if rng.random() < 0.3 else 1)
        paragraphs: list[str] = []
        words = 0
        while words < WORDS_PER_ARTICLE:
            sentences = rng.choices(self.sentences, k=4)
            if len(paragraphs) < 3:  # the topic is named in the first paragraphs, as in a news story
                sentences.insert(rng.randrange(5), f"The {topics[len(paragraphs) % len(topics)]} report was discussed.")
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
                "id": i,
                "outlet": slug,
                "url": url,
                "canonical_url": url,
                "title": title,
                "description": rng.choice(self.sentences),
                "published": published,
                "modified": published,
                "authors": json.dumps(rng.sample(self.authors, rng.choice((1, 1, 1, 2)))),
                "section": rng.choice(("News", "Finance", "Social care", "Housing", "Politics", "Opinion")),
                "tags": json.dumps(rng.sample(TOPICS[:20], 2)),
                "language": "en",
                "text": text,
                "word_count": text.count(" ") + 1,
                "access": access,
                "paywall_declared": None if access == "free" else 1,
                "paywall_signals": "[]",
                "content_hash": content_hash,
                "duplicate_of": duplicate_of,
                "duplicate_rule": "exact" if duplicate_of else None,
                "similarity": 1.0 if duplicate_of else None,
                "version": 1,
                "first_seen": published,
                "fetched_at": published,
                "last_checked": published,
                "run_id": 1,
            }


class Timing(NamedTuple):
    inserting: float  # wall seconds in Archive.insert_articles
    cpu: float  # this process's CPU seconds in the same calls (other jobs on the machine don't count)
    generating: float  # seconds making the rows
    wall: float
    last_rows: int  # the last tenth or so of the rows, inserted when the archive is nearly full
    last_cpu: float  # CPU seconds those took


def fill(
    path: Path,
    rows: int,
    batch: int,
    seed: int,
    *,
    counts: bool,
    fts: bool = True,
    fts_defaults: bool = False,
    per_row: bool = False,
    quiet: bool = False,
) -> Timing:
    """Fill a new archive with the schema Archive.open makes, less what the flags turn off."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    archive = Archive.open(path)
    if counts:
        prepare_for_datasette(archive.db)
    else:  # in case Archive.open already prepared it
        for trigger in COUNTS_TRIGGERS:
            archive.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if not fts:  # sqlite-utils' names for the triggers that keep articles_fts in step
        for trigger in ("articles_ai", "articles_ad", "articles_au"):
            archive.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if fts_defaults:  # FTS5's own merge settings instead of scraper.browse.schema.FTS_SETTINGS
        for key, value in FTS_DEFAULTS.items():
            archive.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES (?, ?)", [key, value])
    archive.upsert_outlets({"slug": s, "name": n, "home": f"https://{s}.example/"} for s, n, _, _ in OUTLETS)
    archive.db.execute("INSERT INTO runs (id, started_at, status) VALUES (1, '2021-01-01T00:00:00+00:00', 'ok')")
    archive.db.conn.commit()
    conn = archive.db.conn
    rows_iter = Generator(seed).rows(rows)
    inserting = cpu = generating = 0.0
    wall = time.perf_counter()
    done = 0
    last_tenth_from: tuple[int, float] | None = None  # rows done and CPU seconds spent at its start
    while done < rows:
        n = min(batch, rows - done)
        start = time.perf_counter()
        chunk = list(itertools.islice(rows_iter, n))
        generating += time.perf_counter() - start
        if last_tenth_from is None and done >= rows * 0.9:
            last_tenth_from = (done, cpu)
        start, start_cpu = time.perf_counter(), time.process_time()
        if per_row:  # what insert_articles avoids: one INSERT statement per article
            columns = list(chunk[0])
            with conn:
                conn.executemany(
                    f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                    [tuple(row[c] for c in columns) for row in chunk],
                )
        else:
            archive.insert_articles(chunk, batch_size=batch)
        inserting += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        done += n
        if not quiet and (done // batch) % 20 == 0:
            print(f"  {done:>9,} rows, {done / inserting:,.0f}/s inserting", file=sys.stderr, flush=True)
    wall = time.perf_counter() - wall
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.close()
    last_done, last_cpu = last_tenth_from or (0, 0.0)
    return Timing(inserting, cpu, generating, wall, rows - last_done, cpu - last_cpu)


def fts_alone(path: Path, rows: int, batch: int, seed: int, tokenize: str) -> float:
    """CPU seconds FTS5 takes to index the first `rows` articles' title and text in a database of
    its own, as the archive is kept (a file, WAL): no article row, no triggers. With the article
    row's own cost (the no-FTS baseline) this bounds the insert rate from above."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize={tokenize!r})")
    for key, value in FTS_SETTINGS.items():
        conn.execute("INSERT INTO fts (fts, rank) VALUES (?, ?)", [key, value])
    conn.commit()
    cpu = 0.0
    texts = ((row["id"], row["title"], row["text"]) for row in Generator(seed).rows(rows))
    while chunk := list(itertools.islice(texts, batch)):
        start = time.process_time()
        with conn:
            conn.executemany("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)", chunk)
        cpu += time.process_time() - start
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return cpu


# What Datasette runs for ?_search= on the articles table (sorted by the default, published desc).
SEARCH_BOX_SQL = (
    "SELECT id, outlet, title, published, access FROM articles WHERE rowid IN "
    "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q) ORDER BY published DESC, id LIMIT 101"
)


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
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=50_000,
        help="rows in the baseline archive without daily-counts triggers [50,000]",
    )
    parser.add_argument(
        "--fts-alone-rows", type=int, default=20_000, help="texts FTS5 indexes on its own for the ceiling line [20,000]"
    )
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query [7]")
    parser.add_argument(
        "--phrases",
        type=int,
        default=50,
        help="two-word phrases sampled from the archived texts for the median search [50]",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--path", type=Path, default=Path("/tmp/scraper-bench-archive.db"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--queries-only", action="store_true", help="only time the queries, on the archive already at --path (kept)"
    )
    args = parser.parse_args()
    if args.queries_only:
        measure_queries(args.path, args.repeat, args.phrases, args.seed)
        return
    rows = 50_000 if args.quick else args.rows
    baseline_rows = min(args.baseline_rows, rows)

    print(
        f"archive benchmark: {rows:,} articles of ~{WORDS_PER_ARTICLE} words, batches of {args.batch:,}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs",
        flush=True,
    )
    baseline_path = args.path.with_name(args.path.stem + "-baseline.db")
    no_counts = fill(baseline_path, baseline_rows, args.batch, args.seed, counts=False, quiet=True)
    no_fts = fill(baseline_path, baseline_rows, args.batch, args.seed, counts=False, fts=False, quiet=True)
    defaults = fill(baseline_path, baseline_rows, args.batch, args.seed, counts=True, fts_defaults=True, quiet=True)
    per_row = fill(baseline_path, baseline_rows, args.batch, args.seed, counts=True, per_row=True, quiet=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{baseline_path}{suffix}").unlink(missing_ok=True)
    # The same first rows with the full schema, timed alone so the rates compare like with like.
    first = fill(args.path, baseline_rows, args.batch, args.seed, counts=True, quiet=True)
    full = first if rows == baseline_rows else fill(args.path, rows, args.batch, args.seed, counts=True)
    size = args.path.stat().st_size
    print(
        f"insert: {rows / full.inserting:,.0f} articles/s inserting ({full.inserting:.1f} s; "
        f"{rows / full.cpu:,.0f}/s per CPU second of this process); {rows / full.wall:,.0f}/s including "
        f"generation ({full.wall:.1f} s; generating alone {rows / full.generating:,.0f}/s, not counted)"
    )
    if full.last_rows < rows:
        print(
            f"  last {full.last_rows:,} rows, the archive nearly full: "
            f"{full.last_rows / full.last_cpu:,.0f}/s per CPU second"
        )
    print(
        f"  first {baseline_rows:,} rows, per CPU second: {baseline_rows / first.cpu:,.0f}/s; "
        f"{baseline_rows / defaults.cpu:,.0f}/s with FTS5's default settings instead of "
        f"{FTS_SETTINGS} (ratio {defaults.cpu / first.cpu:.2f}); "
        f"{baseline_rows / no_counts.cpu:,.0f}/s without the daily-counts triggers "
        f"(ratio {no_counts.cpu / first.cpu:.2f}); {baseline_rows / per_row.cpu:,.0f}/s with one INSERT "
        f"statement per article (executemany) instead of one per batch (ratio {per_row.cpu / first.cpu:.2f})"
    )
    print(
        f"  first {baseline_rows:,} rows without the FTS triggers either: {baseline_rows / no_fts.cpu:,.0f}/s per "
        f"CPU second (full-text indexing takes {100 * (1 - no_fts.cpu / no_counts.cpu):.0f}% of the insert time)"
    )
    alone_rows = min(rows, args.fts_alone_rows)
    alone_path = args.path.with_name(args.path.stem + "-fts-alone.db")
    porter = fts_alone(alone_path, alone_rows, args.batch, args.seed, "porter")
    plain = fts_alone(alone_path, alone_rows, args.batch, args.seed, "unicode61")
    ceiling = 1 / (porter / alone_rows + no_fts.cpu / baseline_rows)
    print(
        f"  FTS5 alone, first {alone_rows:,} texts: {alone_rows / porter:,.0f}/s per CPU second with porter, "
        f"{alone_rows / plain:,.0f}/s without stemming; with the row itself (first {baseline_rows:,} rows), "
        f"at most {ceiling:,.0f}/s on one core"
    )
    print(f"size: {size / 1e9:.2f} GB, {size / rows / 1024:.1f} KiB per article")
    measure_queries(args.path, args.repeat, args.phrases, args.seed)
    if not args.keep:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{args.path}{suffix}").unlink(missing_ok=True)


def sample_phrases(count: int, seed: int) -> list[str]:
    """Two adjacent words from a random sentence of each of the first `count` archived articles."""
    rng = random.Random(seed)
    phrases = []
    for row in Generator(seed).rows(count):
        sentence = rng.choice(re.split(r"(?<=\.)\s+", row["text"]))
        words = re.findall(r"[a-z]+", sentence.lower())
        i = rng.randrange(len(words) - 1)
        phrases.append(f'"{words[i]} {words[i + 1]}"')
    return phrases


def measure_phrases(db: sqlite3.Connection, phrases: list[str], repeat: int) -> None:
    """The issue's figure: median over the sampled phrases (each the median of its timed runs)."""
    blank = {"outlet": "", "since": "", "until": ""}
    ranked, latest, box, hits = [], [], [], []
    for phrase in phrases:
        ranked.append(median_ms(lambda: db.execute(SEARCH.sql, {**blank, "q": phrase}).fetchall(), repeat)[0])  # noqa: B023
        latest.append(median_ms(lambda: db.execute(SEARCH_LATEST.sql, {**blank, "q": phrase}).fetchall(), repeat)[0])  # noqa: B023
        box.append(median_ms(lambda: db.execute(SEARCH_BOX_SQL, {"q": fts_query(phrase)}).fetchall(), repeat)[0])  # noqa: B023
        hits.append(db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [phrase]).fetchone()[0])

    def spread(times: list[float]) -> str:
        ordered = sorted(times)
        return (
            f"{statistics.median(ordered):.1f} ms median, {ordered[int(0.9 * (len(ordered) - 1))]:.0f} ms "
            f"90th percentile, {ordered[-1]:.0f} ms max"
        )

    print(
        f"search for {len(phrases)} two-word phrases sampled from the archived texts ({min(hits):,} to "
        f"{max(hits):,} matches, median {statistics.median(hits):,.0f}), each the median of {repeat} runs:"
    )
    print(f"  ranked (search): {spread(ranked)}")
    print(f"  latest first (search_latest): {spread(latest)}")
    print(f"  the table's search box: {spread(box)}")


def measure_queries(path: Path, repeat: int, phrases: int, seed: int) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"queries on {rows:,} articles:")
    register_functions(db)
    measure_phrases(db, sample_phrases(phrases, seed), max(1, repeat // 2))
    print(f"search for chosen phrases, median of {repeat} runs after a warm-up:")
    blank = {"outlet": "", "since": "", "until": ""}
    for label, phrase in (
        ("most common topic", f'"{TOPICS[0]}"'),
        ("10th topic", f'"{TOPICS[9]}"'),
        ("60th topic", f'"{TOPICS[59]}"'),
        ("two very common words (worst case)", f'"{COMMON[1]} {COMMON[2]}"'),
    ):
        search = functools.partial(db.execute, SEARCH.sql, {**blank, "q": phrase})
        ms, _ = median_ms(lambda: search().fetchall(), repeat)  # noqa: B023  (called at once)
        latest = functools.partial(db.execute, SEARCH_LATEST.sql, {"outlet": "", "since": "", "q": phrase})
        latest_ms, _ = median_ms(lambda: latest().fetchall(), repeat)  # noqa: B023
        box = functools.partial(db.execute, SEARCH_BOX_SQL, {"q": fts_query(phrase)})
        box_ms, _ = median_ms(lambda: box().fetchall(), repeat)  # noqa: B023
        hits = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [phrase]).fetchone()[0]
        print(
            f"search {label} {phrase}, {hits:,} matches: {ms:.1f} ms median ranked (search), "
            f"{latest_ms:.1f} ms latest first (search_latest), {box_ms:.1f} ms the table's search box"
        )
    weekly_ms, weekly = median_ms(
        lambda: db.execute(ARTICLES_PER_WEEK.sql, {"outlet": "", "since": ""}).fetchall(), repeat
    )
    raw_sql = (
        "SELECT outlet, date(substr(published, 1, 10), 'weekday 0', '-6 days') AS week, COUNT(*) "
        "FROM articles WHERE published IS NOT NULL GROUP BY outlet, week ORDER BY week, outlet"
    )
    raw_ms, raw = median_ms(lambda: db.execute(raw_sql).fetchall(), max(1, repeat // 2))
    assert [tuple(r[:3]) for r in weekly] == [tuple(r) for r in raw], "article_days disagrees with articles"
    print(
        f"articles per week per outlet: {weekly_ms:.1f} ms median from article_days ({len(weekly):,} rows); "
        f"{raw_ms:.0f} ms computed from articles (ratio {raw_ms / weekly_ms:.1f}x)"
    )
    facet_ms, _ = median_ms(
        lambda: db.execute("SELECT outlet, count(*) FROM articles GROUP BY outlet").fetchall(), repeat
    )
    print(f"outlet facet (GROUP BY over articles): {facet_ms:.0f} ms median")
    db.close()


if __name__ == "__main__":
    main()
