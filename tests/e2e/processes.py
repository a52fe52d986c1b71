"""Child processes of the end-to-end test: each in its own process group, always stopped.

Every wait is bounded (a hung server must fail the test, not the CI job) and says what it
waited for, with the tail of the logs that explain why.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Proc:
    """A long-running child in a new session (its own process group), output in a log file."""

    def __init__(self, name: str, args: Sequence[str], env: Mapping[str, str], cwd: Path, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(list(args), env=dict(env), cwd=cwd, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return f"--- {self.name} (last {lines} lines of {self.log_path}) ---\n" + "\n".join(
            self.output().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM to the whole group, SIGKILL after ``grace`` seconds."""
        stop_group(self.popen.pid, grace)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False


def _group_alive(pgid: int) -> bool:
    return _signal_group(pgid, 0)  # type: ignore[arg-type]


def stop_group(pgid: int, grace: float = 20.0) -> None:
    """Stop process group ``pgid``: SIGTERM, then SIGKILL whatever is left after ``grace``."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pgid)  # an exited child stays a zombie (and "alive" to signal 0) until it is waited for
        if not _group_alive(pgid):
            return
        time.sleep(0.2)
    _signal_group(pgid, signal.SIGKILL)


def _reap(pgid: int) -> None:
    """Wait for our exited children in group ``pgid`` (grandchildren are reaped by init)."""
    try:
        while os.waitpid(-pgid, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def started_by_us(pid: int, marker: str) -> bool:
    """Whether process ``pid`` runs with ``marker`` (e.g. our PREFECT_HOME=...) in its environment."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return marker.encode() in environ


def run(args: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command to the end (its own group, killed whole on timeout); fail with its output."""
    proc = subprocess.Popen(list(args), env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc.pid, grace=5)
        out, _ = proc.communicate()
        raise AssertionError(f"{' '.join(args)} did not finish within {timeout:.0f} s:\n{out}") from None
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited with {proc.returncode}:\n{out}")
    return subprocess.CompletedProcess(list(args), proc.returncode, out, "")


def wait_for(check: Callable[[], T | None], timeout: float, what: str,
             diagnostics: Callable[[], str] = lambda: "", interval: float = 1.0) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting ({timeout:.0f} s) for {what}\n{diagnostics()}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(size: int, attempts: int = 50) -> int:
    """A base port with ``size`` consecutive free ports on 127.0.0.1."""
    for _ in range(attempts):
        base = random.randrange(20000, 60000 - size)
        socks = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {size} consecutive free ports found")
