"""Shared base of the service emulators: a real HTTP/1.1 server on 127.0.0.1.

The connectors talk to the emulators through the real client libraries, so this module only
deals in bytes on the wire: a tiny regex router, a log of every request received and
switchable faults (error status, Retry-After, slow answers, dropped connections) that let
tests exercise the retry paths the way the real services trigger them. Given an
``ssl.SSLContext`` (``Emulator(tls=...)``) the server speaks HTTPS instead, for clients that
only know https (simple-salesforce).
"""

from __future__ import annotations

import json
import math
import re
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "JSON_CONTENT_TYPE",
    "Emulator",
    "Fault",
    "WindowBudget",
    "FaultSet",
    "RecordedRequest",
    "Request",
    "Response",
    "json_response",
]

#: The exact Content-Type pydiscourse insists on; the other services accept it too.
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(slots=True)
class RecordedRequest:
    """One request as the emulator received it, with the status it answered (0 = dropped)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    #: The client's address and port: requests on one kept-alive connection share it.
    peer: tuple[str, int] = ("", 0)
    #: When it arrived (``time.monotonic()``).
    at: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(slots=True)
class Request:
    """What a route handler sees: the parsed request plus the route's regex groups."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup (HTTP header names are case-insensitive)."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def json(self) -> Any:
        """The body decoded as JSON; ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8") or "null")

    def form(self) -> dict[str, list[str]]:
        """The body decoded as application/x-www-form-urlencoded."""
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query-string parameter."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclass(slots=True)
class Response:
    """A complete HTTP answer; the server adds Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    payload: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = JSON_CONTENT_TYPE,
) -> Response:
    """Serialise ``payload`` as UTF-8 JSON (non-ASCII kept as is, like the real services).

    A lone surrogate (test poison) cannot be UTF-8: then everything non-ASCII goes out as
    ``\\uXXXX`` escapes, which is valid JSON and what a service would send for it.
    """
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return Response(status, body, {"Content-Type": content_type, **(headers or {})})


@dataclass(slots=True)
class Fault:
    """One switchable failure; consumed once per matching request, ``times`` times."""

    path: str
    status: int | None = None
    retry_after: int | None = None
    times: int = 1
    delay: float = 0.0
    drop: bool = False
    method: str | None = None
    lose_response: bool = False
    after: int = 0
    body: Any = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path)


class WindowBudget:
    """A service's rolling budget: at most ``requests`` in any ``window`` seconds, as it counts them."""

    def __init__(self, requests: int, window: float) -> None:
        self.requests, self.window = requests, window
        self._granted: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """None when a request fits (it is counted), else the whole seconds to wait (Retry-After)."""
        with self._lock:
            now = time.monotonic()
            while self._granted and self._granted[0] <= now - self.window:
                self._granted.popleft()
            if len(self._granted) < self.requests:
                self._granted.append(now)
                return None
            return max(1, math.ceil(self._granted[0] + self.window - now))


class FaultSet:
    """Thread-safe list of pending faults; the first matching one wins and is consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        path: str = "/",
        status: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
        delay: float = 0.0,
        drop: bool = False,
        method: str | None = None,
        lose_response: bool = False,
        after: int = 0,
        body: Any = None,
    ) -> Fault:
        """Queue a fault for requests whose path starts with ``path``.

        ``status`` answers with the service's own error body, ``delay`` sleeps first (then
        answers normally when no status is given), ``drop`` closes the connection without
        any response, ``lose_response`` handles the request and then closes the connection
        without the answer (the service did the work; the client never heard). ``after``
        lets that many matching requests through untouched first (fail the third page).
        ``body`` answers with this JSON instead (status 200 unless given): malformed data.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(path, status, retry_after, times, delay, drop, method, lose_response, after, body)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


Handler = Callable[[Request], Response]


class _HTTPHandler(BaseHTTPRequestHandler):
    """Adapts http.server to the emulator: read fully, dispatch, write with Content-Length."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections end instead of pinning a thread forever
    # TCP_NODELAY, as real servers set it: without it a kept-alive client waits ~40 ms per
    # call on Nagle and delayed ACKs, which would hide what connection reuse saves.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        recorded = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=body,
            peer=tuple(self.client_address[:2]),
            at=time.monotonic(),
        )
        response = self.server.emulator._respond(recorded)
        self.server.emulator._record(recorded)
        if response is None:  # dropped connection
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: Emulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeout tests, dropped faults) is not a server error."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class Emulator:
    """Base class: subclasses register routes and supply their service's error formats."""

    service = "emulator"
    #: Port ``start`` binds; 0 = any free port. Set it before ``start`` for a fixed address.
    listen_port: int = 0

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.requests: list[RecordedRequest] = []
        self.faults = FaultSet()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._log_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind ``listen_port`` (0: an ephemeral one) on 127.0.0.1 and serve from a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.listen_port), _HTTPHandler)
        server.emulator = self
        if self.tls is not None:
            # Handshake lazily, in the connection's own thread: a client that stalls or
            # refuses our certificate must not block the accept loop.
            server.socket = self.tls.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.service}-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.service} emulator is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    # -- routing ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` and a full-match path regex (named groups)."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def _record(self, recorded: RecordedRequest) -> None:
        with self._log_lock:
            self.requests.append(recorded)

    def _respond(self, recorded: RecordedRequest) -> Response | None:
        fault = self.faults.take(recorded.method, recorded.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                recorded.status = 0
                return None
            if fault.body is not None:
                response = json_response(fault.body, fault.status or 200)
                recorded.status = response.status
                return response
            if fault.status is not None:
                response = self.fault_response(fault)
                recorded.status = response.status
                return response
        request = Request(
            recorded.method, recorded.path, recorded.query, recorded.headers, recorded.body
        )
        try:
            response = self.dispatch(request)
        except Exception as exc:  # a bug in a handler must still answer, as a 500
            response = self.error_response(500, f"emulator error: {exc!r}")
        recorded.status = response.status
        if fault is not None and fault.lose_response:
            return None
        return response

    def dispatch(self, request: Request) -> Response:
        """Authenticate, then run the first route matching method and path."""
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            path_matched = True
            if method != request.method:
                continue
            denied = self.authenticate(request)
            if denied is not None:
                return denied
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            return handler(request)
        if path_matched:
            return self.error_response(405, f"method {request.method} not allowed")
        return self.error_response(404, f"no route for {request.method} {request.path}")

    # -- hooks for subclasses --------------------------------------------------------------
    def authenticate(self, request: Request) -> Response | None:
        """Return an error response to refuse the request, None to let it through."""
        return None

    def error_response(self, status: int, message: str) -> Response:
        """An error in the service's own format."""
        return json_response({"error": message}, status)

    def fault_response(self, fault: Fault) -> Response:
        """The answer to a fault with a status: the service's error body plus Retry-After."""
        response = self.error_response(fault.status or 500, "injected fault")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
