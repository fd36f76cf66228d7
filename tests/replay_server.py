"""A local HTTP server that replays recorded answers, for tests of code that fetches over HTTP.

There is no internet in the test suite: a test scripts what each request should get and points
the code under test at `server.url`. A script maps a request (path and query parameters) to a
sequence of replies; each matching request takes the next reply, and the last one repeats once
the sequence is spent. So "answer 503 with Retry-After: 1 the first time, then the page" is

    server.script("/oai", {"verb": "ListRecords", ...}, Reply(503, headers={"Retry-After": "1"}),
                  Reply.file(FIXTURES / "page.xml"))

Every request is recorded (`server.requests`) with its arrival time on `time.monotonic`, so a
test can check what was asked, how often, and how far apart. A request no script matches gets a
404 whose body names it, and is recorded too.

    with ReplayServer() as server:
        ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"

    @classmethod
    def file(cls, path: Path | str, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status=status, body=Path(path).read_bytes(), headers=dict(headers or {}))


@dataclass(frozen=True)
class ReceivedRequest:
    """A request the server got: what was asked and when (time.monotonic)."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    arrived: float


class ReplayServer:
    """Replays scripted replies on 127.0.0.1 at a free port, from a background thread."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._scripts: list[tuple[str, dict[str, str] | None, list[Reply]]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, path: str, params: Mapping[str, str] | None, *replies: Reply) -> None:
        """Answer requests for `path` with exactly these query `params` (None: any) with `replies`.

        Scripts with exact parameters win over `params=None` ones; later scripts for the same
        request replace earlier ones.
        """
        if not replies:
            raise ValueError("a script needs at least one reply")
        wanted = dict(params) if params is not None else None
        with self._lock:
            self._scripts = [s for s in self._scripts if (s[0], s[1]) != (path, wanted)]
            self._scripts.append((path, wanted, list(replies)))

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path]

    def start(self) -> ReplayServer:
        # A short poll interval: `shutdown` waits for the next poll, and tests stop many servers.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _next_reply(self, method: str, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(ReceivedRequest(method, path, params, headers, time.monotonic()))
            exact = [s for s in self._scripts if s[0] == path and s[1] == params]
            loose = [s for s in self._scripts if s[0] == path and s[1] is None]
            for _, _, replies in exact or loose:
                return replies.pop(0) if len(replies) > 1 else replies[0]
        return Reply(404, f"replay server: no script for {method} {path} {params}".encode(), {}, "text/plain")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                reply = server._next_reply("GET", parts.path, params, dict(self.headers.items()))
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return Handler


def arxiv_api_query(start: int, *, size: int, category: str = "cs.SE") -> dict[str, str]:
    """The query parameters papersift's harvester sends to the arXiv search API for one page."""
    return {
        "search_query": f"cat:{category}",
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": str(start),
        "max_results": str(size),
    }
