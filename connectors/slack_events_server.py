"""The HTTP side of the Slack events receiver: uvicorn (h11) with limits checked before reading.

Why uvicorn rather than ``http.server``: an asyncio server holds an idle or slow connection
as a few kilobytes, not a thread, takes a real listen backlog (2048, not 5) and answers 503
past ``max_connections``; it is already installed with Prefect. What it lacks we add here:

* the body is judged by its headers before a byte of it is read: no ``Content-Length`` (or
  a chunked body) → 411, an unparseable one → 400 (h11 answers it), more than
  ``max_body_bytes`` → 413, anything but ``application/json`` → 415, each with
  ``Connection: close`` so the unread body is never drained;
* a deadline for the body (``read_timeout``, 408) and one for the request line and headers
  (uvicorn has none: a client that sends half a header would hold its connection forever);
* the handler (signature check, database writes) runs in a bounded thread pool
  (``workers``), so the event loop keeps accepting while the database is slow.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from connectors.store.errors import StoreError, is_transient

__all__ = ["BackgroundServer", "EventResult", "EventsApp", "Handler", "Receiver", "ServerLimits"]

log = logging.getLogger("connectors.slack_events")

#: ``(headers with lower-case names, body) -> (status, JSON body)``; runs in a worker thread.
Handler = Callable[[Mapping[str, str], bytes], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class EventResult:
    """What a receiver answered and stored for one request."""

    status: int
    body: dict[str, Any]
    stored: int = 0


@dataclass(frozen=True)
class ServerLimits:
    """What one receiver accepts. Slack's event payloads are a few kilobytes."""

    max_body_bytes: int = 1 << 20
    read_timeout: float = 10.0  # seconds for the headers, and again for the whole body
    workers: int = 8  # threads verifying and storing; the database sees at most this many
    max_connections: int = 256  # beyond this uvicorn answers 503 (Slack retries)
    backlog: int = 2048  # the kernel caps it at net.core.somaxconn

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1 or self.read_timeout <= 0 or self.workers < 1:
            raise ValueError(f"invalid limits: {self}")
        if self.max_connections < 1 or self.backlog < 1:
            raise ValueError(f"invalid limits: {self}")


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class EventsApp:
    """ASGI app: ``POST {path}`` → the handler, ``GET /healthz`` → ``{"ok": true}``."""

    def __init__(self, handler: Handler, path: str, limits: ServerLimits, executor: ThreadPoolExecutor) -> None:
        self.handler = handler
        self.path = path
        self.limits = limits
        self.executor = executor

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        if path == "/healthz":
            if method in ("GET", "HEAD"):
                await _reply(send, 200, {"ok": True})
            else:
                await _reply(send, 405, {"error": "method not allowed"}, close=True, allow="GET")
            return
        if path != self.path:
            await _reply(send, 404, {"error": "not found"}, close=True)
            return
        if method != "POST":
            await _reply(send, 405, {"error": "method not allowed"}, close=True, allow="POST")
            return
        headers = _headers(scope)
        refusal = self._refusal(headers)
        if refusal is not None:
            await _reply(send, refusal[0], {"error": refusal[1]}, close=True)
            return
        try:
            async with asyncio.timeout(self.limits.read_timeout):
                body = await _read_body(receive, int(headers["content-length"]))
        except TimeoutError:
            log.info("slow sender cut off after %.1f s", self.limits.read_timeout)
            await _reply(send, 408, {"error": "request body not received in time"}, close=True)
            return
        except _BodyTooLarge:
            await _reply(send, 413, {"error": "body longer than its Content-Length"}, close=True)
            return
        except _Disconnected:
            return
        loop = asyncio.get_running_loop()
        try:
            status, answer = await loop.run_in_executor(self.executor, self.handler, headers, body)
        except Exception as err:  # answer 500 so Slack retries; nothing was half-stored
            log.exception("Slack event handling failed")
            status, answer = 500, {"error": type(err).__name__}
        await _reply(send, status, answer)

    def _refusal(self, headers: Mapping[str, str]) -> tuple[int, str] | None:
        """Why the request is refused before its body is read, or None."""
        if "transfer-encoding" in headers:
            return 411, "chunked bodies are not accepted: send Content-Length"
        length = headers.get("content-length")
        if length is None:
            return 411, "Content-Length required"
        if not length.isdigit() or not length.isascii():
            return 400, "invalid Content-Length"
        if int(length) > self.limits.max_body_bytes:
            return 413, f"body larger than {self.limits.max_body_bytes} bytes"
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return 415, "Content-Type must be application/json"
        return None


def _headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """Request headers by lower-case name; a repeated header keeps its values comma-joined."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


async def _read_body(receive: Callable[..., Any], length: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > length:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _reply(send: Callable[..., Any], status: int, body: dict[str, Any], *,
                 close: bool = False, allow: str | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if close:  # the body may be unread: h11 then closes instead of draining it
        headers.append((b"connection", b"close"))
    if allow is not None:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class _HeaderDeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's line and headers.

    Armed when the connection opens and after each response; it closes the connection if no
    new request has been parsed by then (an idle keep-alive connection closes too).
    """

    header_timeout: float = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(None)

    def on_response_complete(self) -> None:
        answered = self.cycle
        super().on_response_complete()
        self._arm(answered)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, current: Any) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.header_timeout, self._expire, current)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, armed_at: Any) -> None:
        self._deadline = None
        if self.cycle is armed_at and not self.transport.is_closing():  # no request since
            self.transport.close()


class BackgroundServer:
    """A uvicorn server on its own thread (and event loop), bound before it starts."""

    def __init__(self, handler: Handler, host: str, port: int, path: str, limits: ServerLimits) -> None:
        self.limits = limits
        self._executor = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="slack-events")
        protocol = type("SlackEventsH11", (_HeaderDeadlineH11,), {"header_timeout": limits.read_timeout})
        config = uvicorn.Config(
            EventsApp(handler, path, limits, self._executor),
            http=protocol, ws="none", lifespan="off", log_config=None, access_log=False,
            limit_concurrency=limits.max_connections, backlog=limits.backlog,
            timeout_keep_alive=5, timeout_graceful_shutdown=max(1, int(limits.read_timeout)),
        )
        self._socket = _listen(host, port, limits.backlog)
        self.server_address: tuple[Any, ...] = self._socket.getsockname()
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="slack-events", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Slack events server on {host}:{port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish (up to the read timeout), join."""
        self._server.should_exit = True
        self._thread.join(timeout=self.limits.read_timeout + 30)
        self._socket.close()
        self._executor.shutdown(wait=True, cancel_futures=True)


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket with ``backlog`` (IPv6 when ``host`` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=backlog)
    sock.setblocking(False)
    return sock


class Receiver:
    """What the Slack and the Discourse receivers share: poison quarantined once, the HTTP server.

    Subclasses set ``source``, ``path`` and ``port`` and answer one request in ``handle``.
    ``on_stored`` hears how many activities a delivery stored (`flows.sync_trigger` asks for a
    sync with it); a failure there never fails the delivery.
    """

    source = ""
    path = "/"
    port = 3000

    def __init__(self, store: Any) -> None:
        self.store = store
        self.on_stored: Callable[[int], None] | None = None
        self._server: BackgroundServer | None = None

    @staticmethod
    def _json_object(body: bytes) -> dict[str, Any] | EventResult:
        """The body as a JSON object, or the 400 that refuses it."""
        try:
            payload = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return EventResult(400, {"error": "body is not UTF-8 JSON"})
        if not isinstance(payload, dict):
            return EventResult(400, {"error": "body is not a JSON object"})
        return payload

    def _save(self, ref: str, body: bytes, activities: list[Any], threads: Any = None) -> EventResult:
        """Store a delivery's activities once under ``ref``: a duplicate is acknowledged, data the
        store refuses is quarantined, a store that cannot be reached raises (the sender retries)."""
        try:
            stored = self.store.save_inbound_event(self.source, ref, activities, threads=threads)
        except StoreError as err:
            if is_transient(err):
                raise
            return self._quarantine(ref, f"the store refused its activities: {err}", body)
        if stored is None:
            return EventResult(200, {"duplicate": ref})
        return self._stored(ref, stored)

    def _stored(self, ref: str, count: int) -> EventResult:
        """The answer for a delivery whose activities are stored; ``on_stored`` hears of them."""
        if count and self.on_stored is not None:
            try:
                self.on_stored(count)
            except Exception as err:  # noqa: BLE001 - stored is stored; the schedule plays it
                log.warning("after %s delivery %s: %s", self.source, ref, err)
        return EventResult(200, {"ok": True}, count)

    def handle(self, headers: Mapping[str, str], body: bytes) -> EventResult:
        raise NotImplementedError

    def _quarantine(self, ref: str, reason: str, body: bytes) -> EventResult:
        """Quarantine a poison delivery once, then claim its id so re-deliveries are acknowledged.

        In this order nothing is lost: a failure between the two leaves the id unclaimed, the
        sender's retry quarantines again (a no-op: the store keeps a record once per ref) and
        claims it. The raw body is what is kept: it parsed as UTF-8 JSON, so it holds no NUL
        byte and no lone surrogate and any database takes it as received.
        """
        kept = self.store.quarantine(self.source, ref, reason, body.decode("utf-8"))
        claimed = self.store.save_inbound_event(self.source, ref) is not None
        if kept or claimed:
            log.warning("quarantined %s delivery %s: %s", self.source, ref, reason)
        return EventResult(200, {"quarantined": ref})

    def serve(self, host: str = "127.0.0.1", port: int | None = None, path: str | None = None,
              limits: ServerLimits | None = None) -> BackgroundServer:
        """Start serving on a background thread; ``server_address`` of the result has the port."""
        if self._server is not None:
            raise RuntimeError("the receiver is already serving")

        def handler(headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
            result = self.handle(headers, body)
            return result.status, result.body

        self._server = BackgroundServer(handler, host, self.port if port is None else port, path or self.path,
                                        limits or ServerLimits())
        return self._server

    def stop(self) -> None:
        """Stop serving (requests in flight are finished first)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
