"""Running sample outlets: `SampleServer` (one site on a loopback port, in a thread) and `make_outlets`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from ._handler import _HTTPServer
from ._model import SESSION_COOKIE, SampleArticle
from ._site import Site, build_site


class SampleServer:
    """Serves a `Site` on 127.0.0.1 (port 0: a free port) from a background thread.

    with SampleServer(build_site(seed=1)) as server:
        httpx.get(server.url)            # "http://127.0.0.1:PORT/"
    """

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SampleServer:
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(self._address, self.site)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sample-outlet-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SampleServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the sample server is not running; call start() first")
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the sample server is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        """The origin without a trailing slash: "http://127.0.0.1:PORT"."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The home page: "http://127.0.0.1:PORT/"."""
        return self.base + "/"

    def url_for(self, path_or_article: str | SampleArticle) -> str:
        path = path_or_article.path if isinstance(path_or_article, SampleArticle) else path_or_article
        return self.base + path

    def cookies_txt(self, path: str | Path, token: str | None = None) -> Path:
        """Write a Netscape/Mozilla cookies.txt holding a logged-in session (a new one unless `token`)."""
        token = token or self.site.make_session()
        expiry = int(time.time()) + 30 * 86400
        target = Path(path)
        target.write_text(
            "# Netscape HTTP Cookie File\n# Written by scraper.sample_outlet for tests.\n"
            f"{self.host}\tFALSE\t/\tFALSE\t{expiry}\t{SESSION_COOKIE}\t{token}\n",
            encoding="utf-8",
        )
        target.chmod(0o600)
        return target


OUTLET_NAMES = (
    "The Sample MJ",
    "Sample Council Chronicle",
    "Sample Municipal Review",
    "Sample Town Hall Weekly",
    "Sample County Gazette",
    "Sample Public Finance",
    "Sample Care Journal",
    "Sample Housing Today",
)


class Outlets:
    """Several sample outlets, each on its own port (so its own host:port), started together."""

    def __init__(self, servers: list[SampleServer]) -> None:
        self.servers = servers

    @property
    def sites(self) -> list[Site]:
        return [server.site for server in self.servers]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def __iter__(self) -> Iterator[SampleServer]:
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)

    def close(self) -> None:
        for server in self.servers:
            server.stop()

    def __enter__(self) -> Outlets:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def make_outlets(
    n: int, articles_each: int = 100, seed: int = 1, *, syndicate: bool = False, **options: Any
) -> Outlets:
    """Build and start `n` outlets (seeds seed, seed+1, ...). With `syndicate`, outlets after the
    first carry lightly edited copies of the first one's press releases."""
    servers: list[SampleServer] = []
    first: Site | None = None
    try:
        for i in range(n):
            name = OUTLET_NAMES[i] if i < len(OUTLET_NAMES) else f"Sample Outlet {i + 1}"
            site = build_site(seed + i, articles_each, name, syndicate_with=first if syndicate else None, **options)
            first = first or site
            servers.append(SampleServer(site).start())
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return Outlets(servers)


def wait_until_responds(url: str, timeout: float = 5.0) -> None:
    """Block until `url` answers (for servers started in another process)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
