"""A Slack incoming-webhook stand-in on https://127.0.0.1 (a throwaway CA the client trusts through
SSL_CERT_FILE): each path answers from its own script of (status, headers, body) replies, the last
one repeated, and records every request with the time it arrived.

slack_sdk's WebhookClient sends with urllib, which `responses` cannot intercept; a real loopback
HTTPS server also exercises the client's own TLS and retry code.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.e2e.tls import make_certificates

Reply = tuple[int, dict[str, str], str]
OK: Reply = (200, {"Content-Type": "text/plain"}, "ok")


@dataclass
class Received:
    path: str
    payload: dict[str, Any]
    at: float


@dataclass
class Receiver:
    url: str
    scripts: dict[str, list[Reply]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def hook(self, name: str, *replies: Reply) -> str:
        """A webhook URL at /services/<name> answering `replies` in turn (200 ok by default)."""
        self.scripts[f"/services/{name}"] = list(replies) or [OK]
        return f"{self.url}/services/{name}"

    def to(self, name: str) -> list[Received]:
        return [r for r in self.received if r.path == f"/services/{name}"]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, json.loads(body or b"{}"), time.monotonic()))
            script = receiver.scripts.get(self.path) or [(404, {}, "no_service")]
            status, headers, text = script.pop(0) if len(script) > 1 else script[0]
            data = text.encode("utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve(folder: Path) -> Iterator[tuple[Receiver, Path]]:
    """Start the receiver; yields it and the CA file to trust."""
    certs = make_certificates(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = Receiver(f"https://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(receiver)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert, certs.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, certs.ca
    finally:
        server.shutdown()
        server.server_close()
