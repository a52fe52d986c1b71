"""The kept-alive Discourse client: one connection for a whole pull, pydiscourse's answers, our retries."""

from __future__ import annotations

import pytest
from pydiscourse.exceptions import DiscourseClientError, DiscourseRateLimitedError, DiscourseServerError

from connectors.blocks import DiscourseCredentials
from connectors.discourse import DiscourseSource
from connectors.retry import RetryPolicy


def client(emulator):
    return DiscourseCredentials(base_url=emulator.base_url, api_username=emulator.api_username,
                                api_key=emulator.api_key).get_client()


def test_a_whole_member_and_post_read_shares_one_connection(discourse, now):
    src = DiscourseSource(client(discourse))
    members = list(src.member_pages())
    pages = [next(src.post_pages(None, now=now))]
    assert len(members) >= 3 and pages[0].events
    peers = {r.peer for r in discourse.requests}
    assert len(discourse.requests) > 5 and len(peers) == 1  # pydiscourse alone opens one per call


def test_answers_and_errors_are_pydiscourse_s(discourse):
    c = client(discourse)
    assert isinstance(c.categories(), list)
    discourse.faults.add(path="/posts", status=404)
    with pytest.raises(DiscourseClientError):
        c.latest_posts()
    discourse.faults.add(path="/posts", status=503)
    with pytest.raises(DiscourseServerError):
        c.latest_posts()


def test_a_429_is_raised_at_once_and_our_policy_waits_what_discourse_asks(discourse, now):
    discourse.faults.add(path="/posts", status=429, retry_after=7)
    with pytest.raises(DiscourseRateLimitedError):
        client(discourse).latest_posts()
    assert [r.status for r in discourse.requests if r.path.startswith("/posts")] == [429]  # no hidden sleeps
    slept: list[float] = []
    discourse.faults.add(path="/posts", status=429, retry_after=7)
    src = DiscourseSource(client(discourse), policy=RetryPolicy("discourse", sleep=slept.append, attempts=3))
    assert next(src.post_pages(None, now=now)).events
    assert slept == [7.0]
