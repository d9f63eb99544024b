"""A small real HTTP/1.1 server on 127.0.0.1 for the fetch and discovery tests (helpers, and a check
of the helper itself). Each route is a function of the request; every request is logged with its
arrival time, so tests can assert on what the server saw."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() when the request line arrived


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


# A route answers with a Reply, or writes to the socket itself (resets, trickles) and returns None.
Route = Callable[[Hit, BaseHTTPRequestHandler], Reply | None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        at = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        hit = Hit(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, at)
        owner = self.server.owner
        with owner.lock:
            owner.hits.append(hit)
            owner.in_flight += 1
            owner.peak_in_flight = max(owner.peak_in_flight, owner.in_flight)
        try:
            route = owner.routes.get(self.path) or owner.routes.get(self.path.split("?", 1)[0])
            reply = route(hit, self) if route else Reply(404, b"not found", {"Content-Type": "text/plain"})
            if reply is not None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
        except (ConnectionError, OSError):
            self.close_connection = True
        finally:
            with owner.lock:
                owner.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-answer is what several tests do on purpose


class LocalServer:
    """`with LocalServer() as server: server.route("/x", ...); server.url + "/x"`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, route: Route | Reply | bytes | str) -> None:
        """Serve `path` with a function, a fixed Reply, or an HTML body."""
        if isinstance(route, str):
            route = route.encode()
        if isinstance(route, bytes):
            route = Reply(200, route)
        if isinstance(route, Reply):
            fixed = route
            self.routes[path] = lambda hit, handler: fixed
        else:
            self.routes[path] = route

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    def hits_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def sequence(*replies: Reply) -> Route:
    """A route answering with each reply in turn, then repeating the last one."""
    count = 0
    lock = threading.Lock()

    def route(hit: Hit, handler: BaseHTTPRequestHandler) -> Reply:
        nonlocal count
        with lock:
            index = min(count, len(replies) - 1)
            count += 1
        return replies[index]

    return route


def robots(text: str) -> Reply:
    return Reply(200, text.encode(), {"Content-Type": "text/plain"})


def test_local_server_serves_routes_and_logs_hits() -> None:
    with LocalServer() as server:
        server.route("/a", "<p>a</p>")
        with urllib.request.urlopen(server.url + "/a") as response:
            assert response.read() == b"<p>a</p>"
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(server.url + "/missing")
        assert raised.value.code == 404
        assert server.paths() == ["/a", "/missing"]
