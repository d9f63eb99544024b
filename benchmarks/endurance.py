"""Endurance: many consecutive scheduled runs against a changing, faulty sample outlet.

Between runs the outlet publishes, updates and deletes articles, and a share of its article
pages fail their first requests (503 or a reset mid-body). Each run is a real `scraper run`
subprocess, as cron would start it. Reported: runs completed, articles expected vs archived
(goal: equal), duplicate rows for one URL (goal: 0), versions caught, peak memory per run
(goal: flat, under 150 MB) and WARC bytes written vs bytes downloaded.

    .venv/bin/python benchmarks/endurance.py            # 50 runs
    .venv/bin/python benchmarks/endurance.py --runs 10  # quicker
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REVISIT_DAYS = 30
sys.path.insert(0, str(ROOT))

from scraper.sample_outlet import SampleServer, build_site  # noqa: E402


def run_once(config: Path) -> tuple[int, float, float]:
    """(exit status, seconds, peak RSS in MB) of one `scraper run` subprocess."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", "run", "--config", str(config), "--quiet"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    assert proc.stderr is not None
    proc.stderr.read()
    return os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    site = build_site(
        seed=args.seed, articles=args.articles, flaky=0.1, flaky_kinds=("503", "reset"), now=datetime.now(UTC)
    )
    with tempfile.TemporaryDirectory() as tmp, SampleServer(site) as server:
        folder = Path(tmp)
        config = folder / "config.toml"
        config.write_text(
            f'[archive]\ndatabase = "{folder / "archive.db"}"\nwarc_dir = "{folder / "warc"}"\n'
            "[fetch]\nretries = 2\nbackoff = 0.05\n"
            f'[outlets.sample]\nname = "Sample"\nhome = "{server.url}"\ndelay = 0.005\nconcurrency = 4\n'
            f"revisit_days = {REVISIT_DAYS}\n"
        )
        seen: set[str] = set()  # paths of articles that were online during at least one run
        updated: set[str] = set()
        statuses: list[int] = []
        peaks: list[float] = []
        seconds: list[float] = []
        for number in range(args.runs):
            if number:
                site.publish(rng.randint(0, 3))
                live = [a for a in site.allowed_articles if not a.deleted and not a.path_override]
                # Updates happen to recent stories: those inside the outlet's revisit window.
                recent = [a for a in live if (datetime.now(UTC) - a.published).days < REVISIT_DAYS]
                for article in rng.sample(recent, k=min(2, len(recent))):
                    site.update(article.slug)
                    updated.add(article.path)
                if rng.random() < 0.3 and live:
                    site.delete(rng.choice(live).slug, gone=rng.random() < 0.5)
                site.reset_faults()
            seen |= {a.path for a in site.allowed_articles if not a.deleted and not a.path_override}
            status, elapsed, peak = run_once(config)
            statuses.append(status)
            peaks.append(peak)
            seconds.append(elapsed)
        # A last run with faults switched off, so pages that failed every try get their chance.
        site.options = dataclasses.replace(site.options, flaky=0.0)
        final_status, _, _ = run_once(config)

        db = sqlite3.connect(folder / "archive.db")
        base = server.url.rstrip("/")
        archived = {url.removeprefix(base) for (url,) in db.execute("SELECT canonical_url FROM articles").fetchall()}
        duplicates = db.execute("SELECT COUNT(*) - COUNT(DISTINCT canonical_url) FROM articles").fetchone()[0]
        versions = db.execute("SELECT COUNT(DISTINCT article_id) FROM versions").fetchone()[0]
        downloaded = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM requests").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        warc_bytes = sum(p.stat().st_size for p in (folder / "warc").glob("*.warc.gz*"))

    missing = sorted(seen - archived)
    completed = sum(1 for s in statuses if s in (0, 1))
    print(
        f"runs completed        {completed}/{args.runs} (exit statuses: {sorted(set(statuses))}; final {final_status})"
    )
    print(f"articles expected     {len(seen)}")
    print(f"articles archived     {len(seen & archived)}  (missing: {missing[:5]})")
    print(f"duplicate URL rows    {duplicates}")
    free_updates = sum(1 for a in site.all_articles if a.path in updated and not a.paywalled)
    print(
        f"updated on site       {len(updated)} recent articles, {free_updates} of them free "
        f"(a paywalled update may change only the subscriber part); with versions in archive: {versions}"
    )
    print(
        f"peak RSS per run (MB) first {peaks[0]:.0f}, median {sorted(peaks)[len(peaks) // 2]:.0f}, max {max(peaks):.0f}"
    )
    print(f"seconds per run       median {sorted(seconds)[len(seconds) // 2]:.2f}")
    print(f"WARC bytes / downloaded bytes  {warc_bytes:,} / {downloaded:,} = {warc_bytes / max(downloaded, 1):.2f}")
    print(f"integrity_check       {integrity}")


if __name__ == "__main__":
    main()
