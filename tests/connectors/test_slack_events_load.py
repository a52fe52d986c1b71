"""The Slack events receiver under hostile and heavy traffic, over real sockets.

Huge unsigned bodies are refused from their headers (the receiver's RSS, read from /proc in
a process of its own, barely moves); 64 concurrent senders lose nothing and store nothing
twice on either backend; slow senders are cut off by the read timeout without holding up
anyone else. Timeouts here only detect hangs; nothing asserts how fast anything is.
"""

from __future__ import annotations

import selectors
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from connectors.slack_events import ServerLimits, SlackEventsReceiver
from connectors.store import Store
from tests.connectors.slack_events_helpers import SECRET, callback, message, post_head, signed
from tests.connectors.test_slack_events import inbound_count

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
HANG = 60.0  # seconds after which a test is hung, not slow


def rss_peak(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def send_huge(port: int, size: int) -> tuple[int | None, int]:
    """POST an unsigned body of ``size`` zero bytes, streamed, listening while sending.

    Returns the status the server answered (None if it closed without one) and how many
    body bytes it let us send before it closed.
    """
    chunk = bytes(64 * 1024)
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANG)
    sock.sendall((post_head(Content_Length=str(size), Content_Type="application/json") + "\r\n").encode())
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent, received, writing = 0, b"", True
    deadline = time.monotonic() + HANG
    try:
        while b"\r\n" not in received:
            assert time.monotonic() < deadline, "hung"
            for _, events in selector.select(timeout=1):
                if events & selectors.EVENT_READ:
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        return None, sent
                    received += data
                if writing and events & selectors.EVENT_WRITE:
                    try:
                        sent += sock.send(chunk[: size - sent])
                    except (BrokenPipeError, ConnectionResetError, BlockingIOError):
                        writing = False
                    if sent >= size:
                        writing = False
                    if not writing:
                        selector.modify(sock, selectors.EVENT_READ)
        return int(received.split()[1]), sent
    finally:
        selector.close()
        sock.close()


@pytest.fixture
def receiver_process(tmp_path):
    """A receiver in its own process, on a SQLite file; yields (pid, port)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.connectors.slack_receiver_main", f"sqlite:///{tmp_path / 'state.db'}"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        port = int(process.stdout.readline())
        yield process.pid, port
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_eight_parallel_100_mb_unsigned_bodies_are_refused_unread(receiver_process) -> None:
    pid, port = receiver_process
    url = f"http://127.0.0.1:{port}/slack/events"
    body = callback("EvM1", message("C1", "U1", "1789999990.000100"))
    assert requests.post(url, data=body, headers=signed(body, timestamp=time.time()), timeout=HANG).status_code == 200
    before = rss_peak(pid)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: send_huge(port, 100 * MiB), range(8)))
    assert [status for status, _ in answers] == [413] * 8
    assert all(sent < 100 * MiB for _, sent in answers)  # closed, not drained
    assert rss_peak(pid) - before < 50 * MiB
    body = callback("EvM2", message("C1", "U1", "1789999990.000200"))
    assert requests.post(url, data=body, headers=signed(body, timestamp=time.time()), timeout=HANG).status_code == 200


def test_64_concurrent_senders_store_900_events_exactly_once(store) -> None:
    receiver = SlackEventsReceiver(store, SECRET, channel_names={"C1": "help"})
    server = receiver.serve(port=0)
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    bodies = [callback(f"EvC{i}", message("C1", f"U{i % 50}", f"1789{i:06d}.{i:06d}")) for i in range(900)]

    def deliver(sender: int) -> list[int]:
        statuses = []
        for body in bodies[sender::64]:  # a new connection per delivery, as Slack does
            statuses.append(requests.post(url, data=body, headers=signed(body, timestamp=time.time()),
                                          timeout=HANG).status_code)
        retry = bodies[sender]  # and one retry each: acknowledged, not stored again
        headers = signed(retry, timestamp=time.time(), X_Slack_Retry_Num="1")
        statuses.append(requests.post(url, data=retry, headers=headers, timeout=HANG).status_code)
        return statuses

    try:
        with ThreadPoolExecutor(64) as pool:
            statuses = [s for batch in pool.map(deliver, range(64)) for s in batch]
    finally:
        receiver.stop()
    assert statuses == [200] * (900 + 64)
    assert store.count_activities() == 900 and inbound_count(store) == 900
    assert len({a.source_event_id for a in store.activities()}) == 900


def test_slow_senders_are_cut_off_and_hold_up_no_one(tmp_path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        receiver = SlackEventsReceiver(store, SECRET, channel_names={"C1": "help"})
        server = receiver.serve(port=0, limits=ServerLimits(read_timeout=1.0))
        port = server.server_address[1]
        slow = []
        try:
            for _ in range(100):  # each promises 500 kB (under the limit) and sends 10 bytes
                sock = socket.create_connection(("127.0.0.1", port), timeout=HANG)
                head = post_head(Content_Length=str(500_000), Content_Type="application/json") + "\r\n"
                sock.sendall(head.encode() + b'{"type": "')
                slow.append(sock)
            half_header = socket.create_connection(("127.0.0.1", port), timeout=HANG)
            half_header.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
            body = callback("EvS1", message("C1", "U1", "1789999990.000100"))
            answer = requests.post(f"http://127.0.0.1:{port}/slack/events", data=body,
                                   headers=signed(body, timestamp=time.time()), timeout=HANG)
            assert answer.status_code == 200 and store.count_activities() == 1
            for sock in slow:
                assert _read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
            assert _read_until_closed(half_header) == b""  # closed without a word
        finally:
            for sock in slow:
                sock.close()
            receiver.stop()


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received
