"""Loopback HTTPS servers that play GitHub and Jira for the end-to-end tests.

One `Service` is a `ThreadingHTTPServer` on 127.0.0.1 (ephemeral port) behind TLS with the
throwaway certificate from tls.py. It logs every request as a line (`GET /repos/acme/x/pulls`,
`POST /graphql PullRequestsPage`), answers through an app callable (the fake GitHub or Jira), and
can be told to misbehave: a canned reply (429, 403, 502 with HTML, GraphQL errors, 401), a
dropped connection (closed without an answer) or a truncated body (Content-Length larger than the
bytes sent). `on_request` lets a test act when the Nth request arrives (the interruption tests
kill the client there).
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.tls import Certificates

Reply = tuple[int, dict[str, str], str]


class Drop:
    """Close the connection without answering."""


class Truncate:
    """Answer as the app would, but declare more bytes than are sent, then close."""


DROP = Drop()
TRUNCATE = Truncate()
Action = Reply | Drop | Truncate


@dataclass
class Request:
    """What the apps see: the shape of a `requests.PreparedRequest` they read (url, method, body, headers)."""

    method: str
    url: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    line: str


@dataclass
class Fault:
    """Answer requests whose line contains `match` (and that are request number `at` of this
    service, if given) with `action`: `times` of them, after letting `skip` through."""

    match: str
    action: Action
    at: int | None = None
    skip: int = 0
    times: int = 1
    seen: int = 0
    fired: int = 0


def html_502() -> Reply:
    body = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return 502, {"Content-Type": "text/html"}, body


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json.dumps(payload)


class Service:
    """One fake service on https://127.0.0.1:<port>."""

    def __init__(self, name: str, certs: Certificates) -> None:
        self.name = name
        self.app: Callable[[Request], Reply] | None = None
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.faults: list[Fault] = []
        self.on_request: Callable[[int, str], None] | None = None
        self.requested = threading.Event()  # set by every request; tests clear it
        self._lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.service = self
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self._httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-{name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- test controls ----------------------------------------------------------------------------

    def reset(self, app: Callable[[Request], Reply] | None = None) -> None:
        with self._lock:
            if app is not None:
                self.app = app
            self.lines.clear()
            self.errors.clear()
            self.faults.clear()
            self.on_request = None

    def fault(
        self, action: Action, *, match: str = "", at: int | None = None, skip: int = 0, times: int = 1
    ) -> Fault:
        fault = Fault(match, action, at, skip, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    def count(self, match: str = "") -> int:
        with self._lock:
            return sum(1 for line in self.lines if match in line)

    # -- answering ---------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply | Drop:
        """The answer to one request: the app's, or the fault's (a truncated answer is a
        `_TruncatedReply`)."""
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        line = f"{method} {parts.path}"
        if method == "POST" and body:
            match = re.search(rb"query\s+(\w+)", body)
            line += f" {match.group(1).decode()}" if match else ""
        self.requested.set()
        with self._lock:
            self.lines.append(line)
            number = len(self.lines)
            hook = self.on_request
            chosen: Action | None = None
            for fault in self.faults:
                if fault.match not in line or (fault.at is not None and fault.at != number):
                    continue
                fault.seen += 1
                if chosen is None and fault.fired < fault.times and fault.seen > fault.skip:
                    fault.fired += 1
                    chosen = fault.action
        if hook is not None:
            hook(number, line)
        if isinstance(chosen, Drop):
            return chosen
        if isinstance(chosen, tuple):
            return chosen
        request = Request(method, f"{self.url}{target}", parts.path, query, headers, body, line)
        try:
            assert self.app is not None, f"{self.name}: no app installed"
            reply = self.app(request)
        except Exception as error:  # a broken fake must fail the test, not hang the client
            with self._lock:
                self.errors.append(f"{line}: {type(error).__name__}: {error}")
            return json_reply(500, {"message": f"fake {self.name} failed: {error}"})
        if isinstance(chosen, Truncate):
            return _TruncatedReply(reply)
        return reply


class _TruncatedReply(tuple):  # type: ignore[type-arg]
    """A reply to be cut short on the wire."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    service: Service

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request, or a connection this server dropped on purpose: not news.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "fake-service"
    sys_version = ""

    def setup(self) -> None:
        self.request.settimeout(60)
        self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        action = self.server.service.handle(self.command, self.path, self.headers, body)  # type: ignore[arg-type]
        if isinstance(action, Drop):
            self.close_connection = True
            return
        status, headers, text = action
        data = text.encode("utf-8")
        truncated = isinstance(action, _TruncatedReply)
        try:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data) + (512 if truncated else 0)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if truncated else data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True
            return
        if truncated:
            self.close_connection = True
