"""Switchable faults reach the real clients the way the real services' failures do."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.companies.exceptions import ApiException as CompanyApiException
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseRateLimitedError, DiscourseServerError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from urllib3.util.retry import Retry


def test_slack_429_reaches_client_with_retry_after(slack):
    slack.faults.add(path="/api/chat.postMessage", status=429, retry_after=7)
    client = WebClient(base_url=slack.base_url + "/api/", token="xoxb-test")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="community-alerts", text="x")
    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] in ("7", ["7"])
    assert client.chat_postMessage(channel="community-alerts", text="x")["ok"]  # consumed
    assert [r.status for r in slack.requests] == [429, 200]


def test_slack_dropped_connection_is_resent_by_default_retry(slack):
    """The duplicate-message trap: slack_sdk re-sends after a lost response."""
    slack.faults.add(path="/api/chat.postMessage", drop=True)
    client = WebClient(base_url=slack.base_url + "/api/", token="xoxb-test")
    assert client.chat_postMessage(channel="community-alerts", text="once")["ok"]
    assert [r.status for r in slack.requests] == [0, 200]
    assert len(slack.messages("community-alerts")) == 1  # dropped before it was handled


def test_discourse_429_body_and_client_retry(discourse, no_sleep):
    discourse.faults.add(path="/posts", status=429, retry_after=3, times=2)
    raw = requests.get(discourse.base_url + "/posts.json", timeout=5)
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "3"
    assert raw.json()["extras"]["wait_seconds"] == 3 and raw.json()["error_type"] == "rate_limit"
    client = DiscourseClient(host=discourse.base_url, api_username="system", api_key="test-key")
    assert client.latest_posts()["latest_posts"]  # one more 429, then success
    assert no_sleep == [4]  # pydiscourse sleeps wait_seconds + 1
    discourse.faults.add(path="/posts", status=429, retry_after=0, times=4)
    with pytest.raises(DiscourseRateLimitedError):
        client.latest_posts()


def test_discourse_500(discourse):
    discourse.faults.add(path="/admin/users", status=500)
    client = DiscourseClient(host=discourse.base_url, api_username="system", api_key="test-key")
    with pytest.raises(DiscourseServerError):
        client.list_users("active", page=1)
    assert client.list_users("active", page=1)


def test_hubspot_429_without_retry_after(hubspot):
    hubspot.faults.add(path="/crm/v3/objects/companies", status=429)
    api = HubSpot(access_token="pat-test", host=hubspot.base_url, retry=Retry(0))
    with pytest.raises(CompanyApiException) as raised:
        api.crm.companies.basic_api.get_page(limit=10)
    assert raised.value.status == 429
    assert "Retry-After" not in raised.value.headers
    body = requests.get(hubspot.base_url + "/crm/v3/objects/companies", timeout=5).json()
    assert body["category"] == "INVALID_AUTHENTICATION"  # fault consumed; auth applies again
    hubspot.faults.add(path="/crm/v3/objects/companies", status=429, retry_after=2)
    raw = requests.get(hubspot.base_url + "/crm/v3/objects/companies", timeout=5)
    error = raw.json()
    assert raw.headers["Retry-After"] == "2"
    assert (error["errorType"], error["policyName"], error["category"]) == (
        "RATE_LIMIT", "TEN_SECONDLY_ROLLING", "RATE_LIMITS")


def test_hubspot_default_client_retries_get_on_429_with_retry_after(hubspot):
    """urllib3's default Retry(3) silently honours Retry-After on GET (API-NOTES trap 7)."""
    hubspot.faults.add(path="/crm/v3/objects/companies", status=429, retry_after=0, times=2)
    api = HubSpot(access_token="pat-test", host=hubspot.base_url)
    assert api.crm.companies.basic_api.get_page(limit=10).results
    assert [r.status for r in hubspot.requests] == [429, 429, 200]


def test_delay_and_method_filter(hubspot):
    hubspot.faults.add(path="/crm/v3/owners", delay=0.4, method="GET")
    started = time.monotonic()
    response = requests.get(hubspot.base_url + "/crm/v3/owners/", timeout=5,
                            headers={"Authorization": "Bearer pat-test"})
    assert response.status_code == 200 and time.monotonic() - started >= 0.4
    hubspot.faults.add(path="/crm/v3/owners", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(hubspot.base_url + "/crm/v3/owners/", timeout=0.2,
                     headers={"Authorization": "Bearer pat-test"})
    hubspot.faults.add(path="/crm/v3/owners", status=503, method="POST")
    ok = requests.get(hubspot.base_url + "/crm/v3/owners/", timeout=5,
                      headers={"Authorization": "Bearer pat-test"})
    assert ok.status_code == 200 and len(hubspot.faults.pending()) == 1
    hubspot.faults.clear()
    assert hubspot.faults.pending() == []


def test_drop_reaches_requests_as_connection_error(discourse):
    discourse.faults.add(path="/posts", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(discourse.base_url + "/posts.json", timeout=5,
                     headers={"Api-Key": "test-key", "Api-Username": "system"})


def test_faults_are_consumed_exactly_once_under_concurrency(slack):
    slack.faults.add(path="/api/auth.test", status=500, times=5)
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        status = requests.post(slack.base_url + "/api/auth.test", timeout=5,
                               headers={"Authorization": "Bearer xoxb-test"}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 15 + [500] * 5
    slack.clear_requests()
    assert slack.requests == []
