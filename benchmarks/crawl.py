"""Crawl benchmark (issue 3): many local outlets crawled at once, total time against the politeness
lower bound, and peak memory.

    .venv/bin/python benchmarks/crawl.py             # 20 outlets x 100 articles, delay 0.05 s, 3 runs
    .venv/bin/python benchmarks/crawl.py --outlets 5 --articles 40 --delay 0.1 --runs 1

The sample outlets (each on its own port, so each its own host) are served by separate processes
(`--server-processes`), so that serving pages costs the crawler neither CPU time under its GIL
nor memory. Each run is a fresh crawler process: discovery (robots.txt, sitemaps, feeds) and then
every discovered article page fetched through one Fetcher, all outlets concurrently, each host
with `--delay` between request starts and one request in flight. No extraction.

At 20 hosts and 0.05 s the crawler starts 400 requests a second; each costs it about a
millisecond of CPU (mostly httpx), and the sample servers as much again. A request that starts
late because the CPU was busy delays every later request of its host, so the ratio measures CPU
headroom as well as scheduling: run it on an otherwise idle machine (the CPU time both sides
used is printed, to tell the two apart).

Lower bound: a host that receives n requests needs at least (n - 1) * delay seconds, whatever the
crawler does, so the run can take no less than the largest such figure over hosts. Reported:
elapsed / bound (goal <= 1.15) and the crawler's peak RSS (goal < 150 MB), medians over runs.
For scale, the sum of the per-host bounds is what a crawler taking outlets one after another
would need at least.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraper.config import FetchSettings, Outlet
from scraper.discover import discover
from scraper.errors import FetchError
from scraper.fetch import Fetcher, RequestRecord, host_key

GOAL_RATIO = 1.15
GOAL_RSS_MB = 150.0


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS; this benchmark targets Linux CI).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def crawl(urls: list[str], delay: float) -> dict[str, Any]:
    """Discover and fetch every article of every outlet; figures for one run."""
    records: list[RequestRecord] = []
    settings = FetchSettings(retries=2, backoff=0.1)
    failures: Counter[str] = Counter()
    body_bytes = 0

    async def fetch_article(fetcher: Fetcher, url: str) -> None:
        nonlocal body_bytes
        try:
            page = await fetcher.get(url)
        except FetchError as exc:
            failures[type(exc).__name__] += 1
            return
        body_bytes += len(page.body)  # counted, then dropped: a crawler hands pages on, it does not hoard them

    async def outlet_run(fetcher: Fetcher, index: int, home: str) -> int:
        outlet = Outlet(slug=f"o{index}", name=f"Outlet {index}", home=home, delay=delay, concurrency=1)
        fetcher.configure_host(home, delay=outlet.delay, concurrency=outlet.concurrency)
        result = await discover(outlet, fetcher, {})
        for _url, message in result.errors:
            failures[f"discovery: {message[:60]}"] += 1
        await asyncio.gather(*(fetch_article(fetcher, c.url) for c in result.candidates))
        return len(result.candidates)

    rss_before = _rss_mb()
    started = time.perf_counter()
    async with Fetcher(settings, on_request=records.append) as fetcher:
        found = await asyncio.gather(*(outlet_run(fetcher, i, url) for i, url in enumerate(urls)))
    elapsed = time.perf_counter() - started
    per_host = Counter(host_key(record.url) for record in records)
    bounds = [(count - 1) * delay for count in per_host.values()]
    answer_ms = sorted(record.elapsed_ms for record in records)
    return {
        "elapsed_s": elapsed,
        "bound_s": max(bounds),
        "serial_bound_s": sum(bounds),
        "ratio": elapsed / max(bounds),
        "requests": len(records),
        "max_requests_per_host": max(per_host.values()),
        "candidates": sum(found),
        "body_mb": body_bytes / 1e6,
        "failures": dict(failures),
        "rss_before_mb": rss_before,
        "answer_ms_p50": answer_ms[len(answer_ms) // 2],
        "answer_ms_p90": answer_ms[len(answer_ms) * 9 // 10],
        "peak_rss_mb": _rss_mb(),
        "cpu_s": _cpu_s(),
    }


def _serve(first: int, outlets: int, articles: int, conn: Connection) -> None:
    from scraper.sample_outlet import make_outlets

    with make_outlets(outlets, articles, seed=first + 1) as running:
        conn.send(running.urls)
        conn.recv()  # block until the parent says stop
        conn.send(_cpu_s())


def _start_servers(outlets: int, articles: int, processes: int) -> tuple[list[str], list[Connection]]:
    """Outlets spread over several server processes. One process holding every outlet would be
    the bottleneck: its threads queue for one GIL, and answers slow down for reasons that are the
    test server's, not the crawler's."""
    urls: list[str] = []
    pipes: list[Connection] = []
    share = -(-outlets // processes)
    for first in range(0, outlets, share):
        parent, child = multiprocessing.Pipe()
        count = min(share, outlets - first)
        multiprocessing.Process(target=_serve, args=(first, count, articles, child), daemon=True).start()
        pipes.append(parent)
    for parent in pipes:
        urls += parent.recv()
    return urls, pipes


def _one_run(urls: list[str], delay: float) -> dict[str, Any]:
    """A crawl in a fresh interpreter, so each run's peak memory is its own."""
    completed = subprocess.run(
        [sys.executable, __file__, "--crawl-child", "--delay", str(delay), *urls],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=20)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between request starts per host")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server-processes", type=int, default=4, help="processes serving the outlets")
    parser.add_argument("--crawl-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("urls", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.crawl_child:
        print(json.dumps(asyncio.run(crawl(args.urls, args.delay))))
        return 0

    load_before = os.getloadavg()[0]
    urls, pipes = _start_servers(args.outlets, args.articles, args.server_processes)
    server_cpu = 0.0
    try:
        runs = []
        for n in range(args.runs):
            figures = _one_run(urls, args.delay)
            runs.append(figures)
            print(
                f"run {n + 1}: {figures['elapsed_s']:.2f} s for {figures['requests']} requests "
                f"(bound {figures['bound_s']:.2f} s, ratio {figures['ratio']:.3f}); "
                f"{figures['candidates']} articles, {figures['body_mb']:.1f} MB of pages; "
                f"peak RSS {figures['peak_rss_mb']:.0f} MB (after imports {figures['rss_before_mb']:.0f} MB); "
                f"answers p50 {figures['answer_ms_p50']:.0f} ms, p90 {figures['answer_ms_p90']:.0f} ms; "
                f"crawler CPU {figures['cpu_s']:.1f} s; failures {figures['failures'] or 'none'}",
                flush=True,
            )
    finally:
        for parent in pipes:
            parent.send("stop")
        server_cpu = sum(parent.recv() for parent in pipes)
    ratio = statistics.median(r["ratio"] for r in runs)
    rss = statistics.median(r["peak_rss_mb"] for r in runs)
    elapsed = statistics.median(r["elapsed_s"] for r in runs)
    serial = statistics.median(r["serial_bound_s"] for r in runs)
    print(
        f"\n{args.outlets} outlets x {args.articles} articles, delay {args.delay} s, median of {len(runs)} runs:\n"
        f"  total {elapsed:.2f} s = {ratio:.3f} x the politeness lower bound (goal <= {GOAL_RATIO}); "
        f"outlets one after another would need >= {serial:.1f} s\n"
        f"  peak RSS {rss:.0f} MB (goal < {GOAL_RSS_MB:.0f} MB); the servers used {server_cpu:.1f} s of CPU\n"
        f"  machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after (the crawl itself adds about 1)"
    )
    return 0 if ratio <= GOAL_RATIO and rss < GOAL_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
