"""`community-scoring sandbox` refuses to start without a Prefect API to save its blocks in.

Without PREFECT_API_URL Prefect would save them in a throwaway ephemeral server and the
deployments would never find them, so the CLI says what to do and exits 2 instead.
(The running sandbox is exercised by test_prefect_server.py.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.e2e.processes import free_port, run

pytestmark = pytest.mark.e2e


def _sandbox(tmp_path: Path, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path), **extra}
    cli = str(Path(sys.executable).with_name("community-scoring"))
    try:
        run([cli, "sandbox", "--port-base", "0"], env, tmp_path, timeout=120)
    except AssertionError as err:
        return str(err)
    raise AssertionError("the sandbox started without a Prefect API")


def test_without_prefect_api_url_it_says_how_to_start_one(tmp_path: Path) -> None:
    message = _sandbox(tmp_path)
    assert "exited with 2" in message
    assert "PREFECT_API_URL is not set" in message and "prefect server start" in message


def test_with_no_server_at_the_url_it_names_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    message = _sandbox(tmp_path, PREFECT_API_URL=url)
    assert "exited with 2" in message
    assert f"no Prefect API answers at {url}" in message
