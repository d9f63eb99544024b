"""A small HTTP server on 127.0.0.1 whose answers a test sets path by path, for running the real
pipeline against crafted sites (tests/test_pipeline_hardening.py, tests/test_identity_hardening.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Response = tuple[int, list[tuple[str, str]], bytes]
Route = Response | Callable[[BaseHTTPRequestHandler], Response]


@dataclass
class Site:
    """A server whose answers the test sets path by path; it notes every path asked for."""

    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def article_requests(self) -> list[str]:
        """The article paths asked for (/news/..., /p/...), in the order asked."""
        return [path for path in self.requested if path.startswith(("/news/", "/p/"))]

    def listing(self, *paths: str) -> None:
        """robots.txt pointing at a sitemap of `paths`."""
        self.routes["/robots.txt"] = (
            200,
            [("Content-Type", "text/plain")],
            f"User-agent: *\nAllow: /\nSitemap: {self.url}/sitemap.xml\n".encode(),
        )
        body = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        body += "".join(f"<url><loc>{self.url}{path}</loc></url>" for path in paths) + "</urlset>"
        self.routes["/sitemap.xml"] = (200, [("Content-Type", "application/xml")], body.encode())


@contextmanager
def serve(home: bytes) -> Iterator[Site]:
    """A crafted site answering `home` at "/" and 404 wherever no route is set."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            state.requested.append(self.path)
            route = state.routes.get(self.path, (404, [("Content-Type", "text/plain")], b"not here"))
            status, headers, body = route(self) if callable(route) else route
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Site(f"http://127.0.0.1:{server.server_address[1]}")
    state.routes["/"] = (200, [("Content-Type", "text/html; charset=utf-8")], home)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
