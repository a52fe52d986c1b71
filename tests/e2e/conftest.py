"""Fixtures of the end-to-end test: one running setup per module, and the timings it recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stack import TIMINGS, Stack, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("e2e")) as running:
        yield running


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("end-to-end timings (recorded, not asserted)")
        for what, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{what:<64}{seconds:8.1f} s")
