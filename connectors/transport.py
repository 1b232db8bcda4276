"""The transport under both clients (and any other HTTP a flow sends with credentials): a requests
adapter that

* connects only to addresses that may receive a credential: the host name is resolved here, every
  address it resolves to is checked (no cloud metadata service, no link-local, multicast or
  unspecified address; `core.config.forbidden_address`), and the socket connects to exactly the
  checked address, so a name that resolves differently a moment later cannot slip past. The TLS
  handshake and the request come after the check;
* gives up on a host that keeps refusing connections (`HostBreakers`): after a few connection
  failures in a row every further request to that host fails at once with `HostUnreachable`,
  naming the host, instead of each repo or project paying its own retries;
* removes GitHub's numeric rate-limit headers when they are not finite numbers
  (`X-RateLimit-Reset: nan`), which PyGithub would otherwise turn into an OverflowError before our
  error handling sees the answer.

PyGithub (2.10) builds its `requests` session inside `HTTPSRequestsConnectionClass`; the client
gives its requester a subclass that mounts this adapter (`github_connection_classes`). The jira
library's `ResilientSession` is a `requests.Session`: the adapter is mounted on it directly.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError

from connectors._http import header_number
from connectors.errors import SourceError
from core.config import forbidden_address

log = logging.getLogger(__name__)

# Connection failures in a row (refused, no route, name not resolved, connect timeout) after
# which a host is given up on. GitHub's client retries a request 4 times, so a dead host costs
# the first repo 3 attempts (a few seconds of backoff) and every other repo nothing.
BREAKER_THRESHOLD = 3
# A host given up on stays so this long (then one request may try again); each sync run starts
# with every host closed again (`BREAKERS.reset()`), so a long-lived `radar serve` recovers.
BREAKER_COOLDOWN_SECONDS = 900.0
RATE_LIMIT_NUMBERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used")


class ForbiddenAddress(SourceError):
    """The host resolves to an address no credential may go to (metadata, link-local)."""


class HostUnreachable(SourceError):
    """The host refused (or never answered) several connections in a row; skipped for this run."""


# -- the dead-host breaker -----------------------------------------------------------------------


@dataclass
class _Host:
    failures: int = 0
    opened_at: float | None = None
    last_error: str = ""


class HostBreakers:
    """One breaker per host (scheme, host, port), shared by every client of the process: the
    repo tasks of one run use many clients against one GitHub host."""

    def __init__(
        self,
        threshold: int = BREAKER_THRESHOLD,
        cooldown: float = BREAKER_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hosts.clear()

    def check(self, origin: str, service: str) -> None:
        """Raise HostUnreachable when `origin` has been given up on (and has not cooled down)."""
        with self._lock:
            host = self._hosts.get(origin)
            if host is None or host.opened_at is None:
                return
            if self.clock() - host.opened_at >= self.cooldown:
                host.opened_at = None  # one more try; a failure opens it again at once
                host.failures = self.threshold - 1
                return
            raise self._unreachable(origin, service, host)

    def failed(self, origin: str, service: str, error: BaseException) -> HostUnreachable | None:
        """Count a connection failure; returns the error to raise once the host is given up on."""
        with self._lock:
            host = self._hosts.setdefault(origin, _Host())
            host.failures += 1
            host.last_error = _reason(error)
            if host.failures < self.threshold:
                return None
            host.opened_at = self.clock()
            log.warning("%s host %s: %d connection failures in a row; giving up on it for this run",
                        service, origin, host.failures)  # fmt: skip
            return self._unreachable(origin, service, host)

    def succeeded(self, origin: str) -> None:
        with self._lock:
            self._hosts.pop(origin, None)

    def _unreachable(self, origin: str, service: str, host: _Host) -> HostUnreachable:
        return HostUnreachable(
            f"{service} host {origin} is unreachable ({host.failures} connection failures in a row, "
            f"last: {host.last_error}); not tried again in this run"
        )


BREAKERS = HostBreakers()


def _reason(error: BaseException) -> str:
    """The kind of connection failure, without the exception's text (which names the URL)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        cause = pending.pop()
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, NameResolutionError | socket.gaierror):
            return "host name not resolved"
        links = (getattr(cause, "reason", None), cause.__cause__, cause.__context__, *cause.args)
        pending += [link for link in links if isinstance(link, BaseException)]
    return "connect timeout" if isinstance(error, requests.ConnectTimeout) else "no connection"


def is_connect_failure(error: BaseException) -> bool:
    """True when no connection was made at all (refused, unresolved, connect timeout); a
    connection that dropped mid-answer is a transient fault of a live host, not a dead one."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError, NameResolutionError too


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


# -- the checked connection ----------------------------------------------------------------------


def checked_addresses(host: str, port: int, service: str) -> list[tuple[Any, ...]]:
    """Resolve `host` and return its addresses (getaddrinfo tuples); ForbiddenAddress when any of
    them is one no credential may go to, so a name that resolves to both is refused too."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        address = str(info[4][0])
        reason = forbidden_address(address)
        if reason is not None:
            raise ForbiddenAddress(
                f"{service} host {host} resolves to {address}, {reason}; nothing is sent there"
            )
    return infos


def check_peer(sock: socket.socket, host: str, service: str) -> None:
    """The address a socket is connected to must be one a credential may go to."""
    address = str(sock.getpeername()[0])
    reason = forbidden_address(address)
    if reason is not None:
        sock.close()
        raise ForbiddenAddress(
            f"{service} host {host} connected to {address}, {reason}; nothing is sent there"
        )


class _CheckedConnection:
    """Mixed into urllib3's connections: connect only to checked addresses (see the module doc)."""

    service = "HTTP"
    host: str
    port: int
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            infos = checked_addresses(self._dns_host, self.port, self.service)
        except socket.gaierror:
            return super()._new_conn()  # type: ignore[misc]  # urllib3 raises NameResolutionError
        name = self._dns_host
        error: BaseException | None = None
        for info in infos:
            self._dns_host = str(info[4][0])  # exactly the checked address; SNI still uses `host`
            try:
                sock: socket.socket = super()._new_conn()  # type: ignore[misc]
            except ConnectTimeoutError as failure:  # refused or timed out: try the next address
                error = failure
                continue
            finally:
                self._dns_host = name
            check_peer(sock, self.host, self.service)
            return sock
        assert error is not None
        raise error


def _pools(service: str) -> dict[str, type[HTTPConnectionPool]]:
    http = type(f"{service}Connection", (_CheckedConnection, HTTPConnection), {"service": service})
    https = type(f"{service}TLSConnection", (_CheckedConnection, HTTPSConnection), {"service": service})
    return {
        "http": type(f"{service}Pool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type(f"{service}TLSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }


class GuardedAdapter(HTTPAdapter):
    """requests' adapter with the address check, the dead-host breaker and sane rate-limit headers."""

    def __init__(
        self,
        service: str,
        breakers: HostBreakers | None = None,
        *,
        epoch_rate_limit_headers: bool = False,
        **kwargs: Any,
    ) -> None:
        self.service = service
        self.breakers = breakers or BREAKERS
        self.epoch_rate_limit_headers = epoch_rate_limit_headers  # GitHub's; Jira's reset is ISO 8601
        self._pool_classes = _pools(service.replace(" ", ""))
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        origin = origin_of(request.url or "")
        self.breakers.check(origin, self.service)
        try:
            response = super().send(request, *args, **kwargs)
        except requests.ConnectionError as error:
            if is_connect_failure(error):
                given_up = self.breakers.failed(origin, self.service, error)
                if given_up is not None:
                    raise given_up from None
            raise
        self.breakers.succeeded(origin)
        return response

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        if self.epoch_rate_limit_headers:
            drop_unusable_rate_limit_headers(response.headers)
        return response


def drop_unusable_rate_limit_headers(headers: Any) -> None:
    """Remove numeric rate-limit headers that are not finite numbers (`nan`, `inf`, `soon`)."""
    for name in RATE_LIMIT_NUMBERS:
        value = headers.get(name)
        if value is not None and header_number(value) is None:
            log.warning("dropped the header %s: %r is not a finite number", name, str(value)[:40])
            del headers[name]


def guard_session(session: requests.Session, service: str, **adapter_options: Any) -> requests.Session:
    """Mount the guarded adapter on a session for both schemes."""
    for scheme in ("https://", "http://"):
        session.mount(scheme, GuardedAdapter(service, **adapter_options))
    return session


def _mount_on_github_connection(connection: Any, breakers: HostBreakers) -> None:
    connection.adapter = GuardedAdapter(
        "GitHub",
        breakers,
        epoch_rate_limit_headers=True,
        max_retries=connection.retry,
        pool_connections=connection.pool_size,
        pool_maxsize=connection.pool_size,
    )
    connection.session.mount(f"{connection.protocol}://", connection.adapter)


class GuardedHttpsConnection(HTTPSRequestsConnectionClass):
    """PyGithub's HTTPS connection, sending through the guarded adapter."""

    breakers: HostBreakers = BREAKERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _mount_on_github_connection(self, self.breakers)


class GuardedHttpConnection(HTTPRequestsConnectionClass):
    """PyGithub's plain-HTTP connection (`allow_insecure`, tests), through the guarded adapter."""

    breakers: HostBreakers = BREAKERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _mount_on_github_connection(self, self.breakers)


GITHUB_CONNECTION_CLASSES: Mapping[str, type] = {
    "https": GuardedHttpsConnection,
    "http": GuardedHttpConnection,
}


def github_connection_classes(breakers: HostBreakers) -> Mapping[str, type]:
    """PyGithub's connection classes by scheme, counting connection failures on `breakers`
    (PyGithub builds its connections itself, so the breaker is a class attribute)."""
    if breakers is BREAKERS:
        return GITHUB_CONNECTION_CLASSES
    return {
        scheme: type(cls.__name__, (cls,), {"breakers": breakers})
        for scheme, cls in GITHUB_CONNECTION_CLASSES.items()
    }
