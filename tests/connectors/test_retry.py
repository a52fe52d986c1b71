"""The shared retry policy and pacer, with injected sleep and clock."""

import pytest

from connectors.errors import AuthError, RetryableError, error_for_status
from connectors.retry import Pacer, RetryPolicy


def flaky(errors: list[Exception]):
    calls = []

    def fn():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    return fn, calls


def test_retry_after_is_honoured_and_capped() -> None:
    slept: list[float] = []
    policy = RetryPolicy("svc", sleep=slept.append, max_wait=10)
    fn, calls = flaky([error_for_status("svc", 429, "slow down", "4"), error_for_status("svc", 503, "x", "600")])
    assert policy.call(fn) == "ok"
    assert slept == [4.0, 10.0] and len(calls) == 3


def test_backoff_without_retry_after_and_give_up() -> None:
    slept: list[float] = []
    policy = RetryPolicy("svc", attempts=3, sleep=slept.append, initial_wait=1, max_wait=30)
    fn, calls = flaky([RetryableError("svc", "reset")] * 5)
    with pytest.raises(RetryableError):
        policy.call(fn)
    assert len(calls) == 3 and len(slept) == 2 and all(0 <= s <= 30 for s in slept)


def test_permanent_errors_are_not_retried() -> None:
    fn, calls = flaky([AuthError("svc", "bad token", status=401)])
    with pytest.raises(AuthError):
        RetryPolicy("svc", sleep=lambda s: None).call(fn)
    assert len(calls) == 1


@pytest.mark.parametrize(("status", "kind"), [(None, "RetryableError"), (408, "RetryableError"), (429, "RetryableError"),
                                              (502, "RetryableError"), (400, "InvalidRequestError"),
                                              (401, "AuthError"), (403, "AuthError"), (404, "NotFoundError")])
def test_status_mapping(status, kind) -> None:
    assert type(error_for_status("svc", status, "m")).__name__ == kind


def test_pacer_spaces_calls() -> None:
    clock = [100.0]
    slept: list[float] = []
    pacer = Pacer(60, clock=lambda: clock[0], sleep=slept.append)
    pacer.wait()
    pacer.wait()
    clock[0] += 0.25
    pacer.wait()
    assert slept == [1.0, 1.75]
    Pacer(0, sleep=slept.append).wait()
    assert len(slept) == 2
