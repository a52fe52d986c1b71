"""One executor run in a process of its own, for the chaos tests to kill with SIGKILL.

Started by ``tests/playbooks/test_chaos.py`` as ``python -m tests.playbooks.chaos_worker``
from the project root. It imports everything first and prints ``ready`` (importing takes
about two seconds, so the tests start the next trial's worker while this one runs), then
reads one line of JSON saying where the state database and the emulators are (see
`build_performers`), runs `execute_pending` once with the lease given and prints its report
as one line of JSON. A worker whose stdin closes before any line ends without running.

The clients are built the way the credential blocks build them (`connectors.blocks`: the
client libraries' own retries off, Salesforce trusting only the given CA file), without
importing Prefect; the retry policy is the connectors' own with short waits, so a run with
its retries stays well within the short lease the chaos tests use.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from hubspot import HubSpot
from pydiscourse import DiscourseClient
from simple_salesforce import Salesforce
from slack_sdk import WebClient
from urllib3.util.retry import Retry

from connectors.discourse_actions import DiscourseActions
from connectors.hubspot import HubSpotCrm
from connectors.retry import RetryPolicy
from connectors.salesforce import SalesforceCrm
from connectors.slack import SlackNotifier
from connectors.store import Store
from playbooks.execute import ExecutionReport, Performers, execute_pending

__all__ = ["build_performers", "main", "quick_policy", "report_json", "run_once"]

#: Seconds one request may take before the client gives up on it (never reached on a healthy emulator).
TIMEOUT = 10


def quick_policy(service: str) -> RetryPolicy:
    """The connectors' retry policy with waits of a few milliseconds: the worst case of one
    action with its retries stays far inside the chaos tests' half-second lease, as the
    default policy stays inside `playbooks.execute.DEFAULT_LEASE`."""
    return RetryPolicy(service, attempts=4, initial_wait=0.01, max_wait=0.05)


def build_performers(config: dict[str, Any]) -> Performers:
    """The connectors of one run, from ``config``: ``slack`` {base_url, token}, ``discourse``
    {base_url, api_key, api_username}, and one CRM: ``hubspot`` {base_url, token,
    search_settle} or ``salesforce`` {instance_url, session_id, ca_file}."""
    performers = Performers()
    if slack := config.get("slack"):
        client = WebClient(token=slack["token"], base_url=slack["base_url"].rstrip("/") + "/api/",
                           timeout=TIMEOUT, retry_handlers=[])
        performers.slack = SlackNotifier(client, policy=quick_policy("slack"))
    if hubspot := config.get("hubspot"):
        client = HubSpot(access_token=hubspot["token"], host=hubspot["base_url"].rstrip("/"),
                         retry=Retry(total=0, raise_on_status=False, respect_retry_after_header=False))
        performers.crms["hubspot"] = HubSpotCrm(client, policy=quick_policy("hubspot"),
                                                search_settle=hubspot["search_settle"], timeout=TIMEOUT)
    if salesforce := config.get("salesforce"):
        session = requests.Session()
        session.trust_env = False  # as SalesforceCredentials.get_client with a ca_bundle
        session.verify = salesforce["ca_file"]
        client = Salesforce(instance_url=salesforce["instance_url"], session_id=salesforce["session_id"],
                            session=session, version="59.0")
        performers.crms["salesforce"] = SalesforceCrm(client, policy=quick_policy("salesforce"))
    if discourse := config.get("discourse"):
        client = DiscourseClient(discourse["base_url"].rstrip("/"), api_username=discourse["api_username"],
                                 api_key=discourse["api_key"], timeout=TIMEOUT)
        performers.forum = DiscourseActions(client, policy=quick_policy("discourse"))
    return performers


def run_once(store: Store, config: dict[str, Any], owner: str) -> ExecutionReport:
    """One `execute_pending` over ``store`` with the connectors and the lease of ``config``."""
    return execute_pending(store, build_performers(config), run_started=datetime.now(UTC),
                           owner=owner, lease=timedelta(seconds=config["lease"]))


def report_json(report: ExecutionReport) -> str:
    return json.dumps({"done": report.done, "failed": report.failed, "skipped": report.skipped})


def main() -> int:
    print("ready", flush=True)
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # a spare worker the tests did not need
    config = json.loads(line)
    with Store.open(config["database_url"]) as store:
        report = run_once(store, config, config["owner"])
    print(report_json(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
