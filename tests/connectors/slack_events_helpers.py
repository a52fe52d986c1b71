"""Helpers for the Slack events receiver tests: Slack's signing, event bodies, raw HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from typing import Any

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_790_000_000.0


def signed(body: bytes, secret: str = SECRET, timestamp: float = NOW, **extra: str) -> dict[str, str]:
    """The headers Slack sends with ``body``."""
    base = f"v0:{int(timestamp)}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(int(timestamp)), "X-Slack-Signature": signature,
            "Content-Type": "application/json", **extra}


def callback(event_id: Any, event: Any) -> bytes:
    """An ``event_callback`` body as Slack wraps an event."""
    return json.dumps({"type": "event_callback", "event_id": event_id, "team_id": "T1",
                       "event_time": int(NOW), "event": event}).encode()


def message(channel: str, user: str, ts: str, text: str = "hello") -> dict[str, Any]:
    return {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts}


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 30.0) -> tuple[int, bytes]:
    """Send ``head`` (request line and headers, CRLF-terminated lines) and ``body`` as given;
    return the status and everything the server sent until it closed or went quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status_line = received.split(b"\r\n", 1)[0]
    return int(status_line.split()[1]), received


def post_head(path: str = "/slack/events", **headers: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n"
