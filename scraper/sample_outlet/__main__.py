"""python -m scraper.sample_outlet: serve a sample outlet until interrupted; the URL is the first line out."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._faults import FAULTS
from ._model import TEST_PASSWORD, TEST_USERNAME
from ._server import SampleServer
from ._site import build_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.sample_outlet", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--articles", type=int, default=80, help="number of articles (default 80)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the generated content (default 1)")
    parser.add_argument("--name", default="The Sample MJ", help="the outlet's name")
    parser.add_argument("--meter", type=int, default=None, help="metered outlet: N free articles per reader")
    parser.add_argument("--crawl-delay", type=float, default=None, help="Crawl-delay to put in robots.txt")
    parser.add_argument("--session-lifetime", type=float, default=None, help="seconds a login lasts")
    parser.add_argument("--no-feeds", action="store_true", help="answer 404 for /feed and /feed/atom")
    parser.add_argument(
        "--faults", default="", help=f"comma-separated faults to switch on: {', '.join(sorted(FAULTS))}"
    )
    args = parser.parse_args(argv)
    faults = [name.strip() for name in args.faults.split(",") if name.strip()]
    try:
        site = build_site(
            args.seed,
            args.articles,
            args.name,
            faults=faults,
            meter=args.meter,
            crawl_delay=args.crawl_delay,
            session_lifetime=args.session_lifetime,
            feeds=not args.no_feeds,
        )
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with SampleServer(site, host=args.host, port=args.port) as server:
        print(server.url, flush=True)
        print(
            f"{site.name}: {len(site.articles)} articles; test account {TEST_USERNAME} / {TEST_PASSWORD}",
            file=sys.stderr,
            flush=True,
        )
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
