"""Chaos: every planned action reaches its service exactly once, whatever dies in between.

Each trial records a mixed plan (Slack alerts, CRM tasks, list or campaign memberships, on
HubSpot sequence enrollments, a Discourse private message and group add) in a fresh SQLite
store, then starts `tests.playbooks.chaos_worker` - a real process running `execute_pending`
with a half-second lease against emulators serving real HTTP from this process - and kills
it with SIGKILL at a seeded point (`KillPoint`): as its n-th request reaches a service,
either right after the service acted (the answer never leaves) or before it did, or after a
seeded delay (anywhere: a claim, a ledger write, between requests). Seeded
``lose_response`` faults on write endpoints make services act without the client hearing.
Some trials kill a second worker that took the first one's claims over. Then runs in this
process finish the ledger, waiting out leases (and, where HubSpot refuses unique task keys,
its search settle time) between rounds.

The verdict comes from the emulators' own state and request logs: one Slack message per
alert key, one task per key (HubSpot key property / Salesforce ``Community_Action_Key__c``),
every list or campaign member once, one enrollment per contact, one private message per
external id, no create carried out twice (even one the service would merge) - and the
ledger done for all, pointing at those very objects.

Replay one trial: ``CHAOS_SEEDS=7 pytest tests/playbooks/test_chaos.py -k hubspot_refused``
(``CHAOS_SEEDS=0-99`` runs more). A failing trial prints its seed, what was killed where,
the faults, the ledger and every request in order (who sent it, for which action, what
came back). Kill points counted in requests replay
exactly; a delay kill lands where the timing of that machine puts it.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest

from connectors.discourse_actions import external_id_for
from connectors.hubspot import TASK_KEY_PROPERTY
from connectors.store import LedgerEntry, Store
from connectors.testing import (
    Community,
    DiscourseEmulator,
    Emulator,
    HubSpotEmulator,
    RecordedRequest,
    Response,
    SalesforceEmulator,
    SlackEmulator,
    generate_community,
)
from playbooks.actions import (
    Action,
    AddToDiscourseGroup,
    AddToList,
    CreateCrmTask,
    EnrollInSequence,
    SendDiscourseMessage,
    SendSlackAlert,
)
from playbooks.execute import record_plan
from tests.playbooks.chaos_worker import run_once

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "community-alerts"
GROUP = "champions"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
#: The claims' lease: short, so a killed worker's actions are taken over within the trial.
LEASE = 0.5
#: HubSpot search index lag (emulator) and how long the connector waits for it to settle.
SEARCH_LAG = 0.2
SEARCH_SETTLE = 0.5
#: Runs after the kills before a trial gives up on finishing its ledger.
MAX_ROUNDS = 12

MODES = {
    "hubspot_unique": ("hubspot", False),
    "hubspot_refused": ("hubspot", True),  # the portal refuses a unique task key: lagging search
    "salesforce": ("salesforce", False),
}

#: Endpoints that act on a service; a seeded few lose their answer once or twice.
WRITE_ENDPOINTS: dict[str, list[tuple[str, str]]] = {
    "slack": [("POST", "/api/chat.postMessage")],
    "hubspot": [("POST", "/crm/v3/objects/tasks"), ("PUT", "/crm/v3/lists/"),
                ("POST", "/automation/v4/sequences/enrollments")],
    "salesforce": [("PATCH", "/services/data/v59.0/sobjects/Task/"),
                   ("POST", "/services/data/v59.0/composite/sobjects")],
    "discourse": [("POST", "/posts"), ("PUT", "/groups/")],
}


def _seeds() -> list[int]:
    """``CHAOS_SEEDS``: ``7``, ``3,9`` or ``0-99``; 20 trials per CRM mode by default."""
    text = os.environ.get("CHAOS_SEEDS", "0-19")
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        seeds += range(int(low), int(high or low) + 1)
    return seeds


# -- workers and how they die ----------------------------------------------------------------
class WorkerPool:
    """Workers started ahead of need: one takes about two seconds to import, so ``spares``
    of them import while a trial runs."""

    def __init__(self, directory: Path, spares: int = 2) -> None:
        self.directory = directory
        self.spares = spares
        self._started = 0
        self._ready: deque[tuple[subprocess.Popen[str], Path]] = deque()

    def _start(self) -> None:
        self._started += 1
        log = self.directory / f"worker-{self._started}.log"
        with log.open("w") as stderr:
            worker = subprocess.Popen([sys.executable, "-m", "tests.playbooks.chaos_worker"], cwd=ROOT,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
        self._ready.append((worker, log))

    def take(self) -> tuple[subprocess.Popen[str], Path]:
        """A worker that has imported everything and waits for its config line."""
        if not self._ready:
            self._start()
        worker, log = self._ready.popleft()
        while len(self._ready) < self.spares:
            self._start()
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line.strip() == "ready", f"worker did not start:\n{log.read_text()}"
        return worker, log

    def close(self) -> None:
        """Spares end on their own once their stdin closes."""
        for worker, _ in self._ready:
            assert worker.stdin is not None
            worker.stdin.close()
        for worker, _ in self._ready:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()
        self._ready.clear()


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerPool]:
    workers = WorkerPool(tmp_path_factory.mktemp("chaos-workers"))
    try:
        yield workers
    finally:
        workers.close()


@dataclass(frozen=True)
class KillPoint:
    """Where a worker dies: ``after``/``before`` - as its ``at``-th request (to any service)
    arrives, right after the service acted on it or before; ``delay`` - ``seconds`` after
    it was told to go."""

    kind: str
    at: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.kind == "delay":
            return f"SIGKILL {self.seconds * 1000:.0f} ms after go"
        return f"SIGKILL at request #{self.at}, {self.kind} the service acted"


class KillSwitch:
    """Kills the armed worker from inside the emulators, at the request its `KillPoint` names,
    and keeps a trace of every request: who sent it, about which action, what came back.

    Wraps each emulator's ``_respond`` (where a request meets the faults and the service;
    None means the connection closes unanswered). The worker is single-threaded, so its
    n-th request is the same one on every replay of a seed.
    """

    def __init__(self, emulators: Sequence[Emulator], hint: Callable[[RecordedRequest], str]) -> None:
        self._lock = threading.Lock()
        self._worker: subprocess.Popen[str] | None = None
        self._point: KillPoint | None = None
        self._seen = 0
        self._hint = hint
        self.phase = "setup"
        self.fired: str | None = None
        self.trace: list[str] = []
        for emulator in emulators:
            original = emulator._respond
            emulator._respond = functools.partial(self._respond, emulator, original)  # type: ignore[method-assign]

    def arm(self, worker: subprocess.Popen[str], point: KillPoint, phase: str) -> None:
        with self._lock:
            self._worker, self._point, self._seen, self.fired, self.phase = worker, point, 0, None, phase

    def disarm(self) -> int:
        """Stop counting; the number of requests the worker made. Later requests are the recovery's."""
        with self._lock:
            self._worker = self._point = None
            self.phase = "recovery"
            return self._seen

    def kill(self, where: str) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                self.fired = where

    def _respond(self, emulator: Emulator, respond: Callable[[RecordedRequest], Response | None],
                 recorded: RecordedRequest) -> Response | None:
        with self._lock:
            point = self._point if self._worker is not None else None
            if point is not None:
                self._seen += 1
            hit = point is not None and point.kind in ("before", "after") and self._seen == point.at
            phase = self.phase
        what = f"{emulator.service} {recorded.method} {recorded.path}{self._hint(recorded)}"
        if hit and point is not None and point.kind == "before":
            self.kill(f"{what} (not acted on)")
            response = None
        else:
            response = respond(recorded)
            if hit:
                self.kill(f"{what} (acted on: {recorded.status}, answer lost)")
                response = None
        lost = " (answer lost)" if response is None and recorded.status else ""
        with self._lock:
            self.trace.append(f"{phase}: {what} -> {recorded.status or 'not acted on'}{lost}")
        return response


# -- a trial ---------------------------------------------------------------------------------
@dataclass
class Trial:
    """One seeded run of plan, kills, faults and recovery; ``log`` is what a failure prints."""

    mode: str
    seed: int
    rng: random.Random = field(init=False)
    crm: str = field(init=False)
    refuse_unique: bool = field(init=False)
    tag: str = field(init=False)
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.mode}:{self.seed}")
        self.crm, self.refuse_unique = MODES[self.mode]
        self.tag = f"chaos-{self.seed}"

    def note(self, line: str) -> None:
        self.log.append(line)


def _community(seed: int) -> Community:
    return generate_community(members=40, companies=10, activities=80, seed=seed, now=NOW)


def _plan(trial: Trial, community: Community, crm: Emulator, discourse: DiscourseEmulator) -> list[Action]:
    """12-20 actions of every kind this CRM takes, on seeded accounts, contacts and members."""
    rng, tag = trial.rng, trial.tag
    actions: list[Action] = [
        SendSlackAlert(key=f"{tag}:slack:{i}", channel=CHANNEL, text=f"Alert {i} of trial {trial.seed}",
                       blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"*Alert {i}*"}}])
        for i in range(rng.randint(3, 5))
    ]
    due = NOW + timedelta(days=2)
    if isinstance(crm, HubSpotEmulator):
        accounts = [(c.id, c.owner_id) for c in community.companies]
        contacts = [p.contact_id for p in community.people if p.contact_id]
        lists = [crm.nurture_list_id, crm.newsletter_list_id]
    else:
        assert isinstance(crm, SalesforceEmulator)
        accounts = [(a["Id"], a["OwnerId"]) for a in crm.records("Account")]
        contacts = [c["Id"] for c in crm.records("Contact")]
        lists = [crm.nurture_campaign_id, crm.newsletter_campaign_id]
    for i, (account_id, owner_id) in enumerate(rng.sample(accounts, rng.randint(3, 5))):
        actions.append(CreateCrmTask(key=f"{tag}:task:{i}", crm=trial.crm, account_id=account_id,
                                     subject=f"Call account {i}", body=f"Trial {trial.seed}\nThey are in Intent.",
                                     due_at=due, owner_id=owner_id))
    for i, contact_id in enumerate(rng.sample(contacts, rng.randint(2, 5))):
        actions.append(AddToList(key=f"{tag}:member:{i}", crm=trial.crm, list_id=rng.choice(lists),
                                 contact_id=contact_id))
    if isinstance(crm, HubSpotEmulator):
        owner = community.owners[0]
        for i, contact_id in enumerate(rng.sample(contacts, rng.randint(1, 2))):
            actions.append(EnrollInSequence(key=f"{tag}:enroll:{i}", sequence_id=crm.nurture_sequence_id,
                                            contact_id=contact_id, sender_email=owner.email,
                                            user_id=str(owner.user_id)))
    members = set(discourse.forum.members_of(GROUP))
    people = [p.username for p in community.people if not p.is_bot and p.username not in members]
    pm_to, group_add = rng.sample(people, 2)
    actions.append(SendDiscourseMessage(key=f"{tag}:pm:0", username=pm_to, title="You are a community champion",
                                        raw="Thank you for all the answers you gave this month!"))
    actions.append(AddToDiscourseGroup(key=f"{tag}:group:0", group=GROUP, username=group_add))
    rng.shuffle(actions)
    return actions


def _seed_faults(trial: Trial, emulators: dict[str, Emulator]) -> None:
    endpoints = [(name, method, path) for name in emulators for method, path in WRITE_ENDPOINTS[name]]
    for name, method, path in trial.rng.sample(endpoints, trial.rng.randint(0, 3)):
        after, times = trial.rng.randint(0, 2), trial.rng.randint(1, 2)
        emulators[name].faults.add(path=path, method=method, lose_response=True, after=after, times=times)
        trial.note(f"fault: {name} {method} {path}: answer lost {times}x after {after} untouched")


def _requests_of(plan: Sequence[Action], trial: Trial) -> int:
    """About how many requests a clean run of ``plan`` makes (kill points are drawn up to it)."""
    per_kind = {"slack_alert": 1, "crm_task": 1 if trial.crm == "salesforce" or trial.refuse_unique else 2,
                "sequence_enrollment": 2, "discourse_message": 1, "discourse_group": 2}
    lists = {a.list_id for a in plan if isinstance(a, AddToList)}
    setup = 1 + (3 if trial.crm == "hubspot" else 0)  # Slack's channel list, HubSpot's task key property
    return setup + len(lists) + sum(per_kind.get(a.kind, 0) for a in plan)


def _kill_point(rng: random.Random, requests: Callable[[], int]) -> KillPoint:
    """A seeded kill point: half the time right after the service acted, mostly within the
    ``requests()`` a clean run would make (a few beyond: the run then ends on its own)."""
    kind = rng.choices(["after", "before", "delay"], weights=[5, 2, 3])[0]
    if kind == "delay":
        return KillPoint("delay", seconds=rng.uniform(0.02, 0.6))
    return KillPoint(kind, at=1 + int(rng.random() * (requests() + 2)))


def _run_worker(trial: Trial, pool: WorkerPool, switch: KillSwitch, config: dict[str, Any],
                point: KillPoint, name: str) -> None:
    """One worker process, killed at ``point`` unless it finishes first."""
    worker, log = pool.take()
    switch.arm(worker, point, name)
    timer = None
    if point.kind == "delay":
        timer = threading.Timer(point.seconds, switch.kill, args=("the delay ran out",))
    assert worker.stdin is not None
    worker.stdin.write(json.dumps({**config, "owner": name}) + "\n")
    worker.stdin.flush()
    if timer is not None:
        timer.start()
    try:
        out, _ = worker.communicate(timeout=120)
    finally:
        if timer is not None:
            timer.cancel()
        requests = switch.disarm()
        if worker.poll() is None:  # a hung worker (the test failed): never leave it behind
            worker.kill()
            worker.wait()
    if worker.returncode == -signal.SIGKILL:
        trial.note(f"{name}: {point}: killed after {requests} requests, at {switch.fired}")
        return
    assert worker.returncode == 0, f"{name} crashed:\n{log.read_text()}"
    report = json.loads(out.strip().splitlines()[-1])
    trial.note(f"{name}: {point}: finished first ({requests} requests): "
               f"{len(report['done'])} done, {len(report['failed'])} failed, {len(report['skipped'])} skipped")


def _wait_out_claims(store: Store, settle: float) -> None:
    """Sleep until every claim's lease ran out; an unsettled entry (no holder, still in
    flight) also waits for the search to settle after its last lookup."""
    wake = datetime.now(UTC)
    for entry in store.ledger(status="in_flight"):
        if entry.lease_until is not None:
            extra = settle if entry.claimed_by is None else 0.0
            wake = max(wake, entry.lease_until + timedelta(seconds=extra + 0.05))
    time.sleep(max(0.0, (wake - datetime.now(UTC)).total_seconds()))


def _recover(trial: Trial, store: Store, config: dict[str, Any], settle: float) -> None:
    for round_ in range(MAX_ROUNDS):
        _wait_out_claims(store, settle)
        report = run_once(store, config, f"recovery-{round_}")
        trial.note(f"recovery-{round_}: {len(report.done)} done, {len(report.failed)} failed "
                   f"{[k for k, _ in report.failed]}, {len(report.skipped)} skipped "
                   f"{[why for _, why in report.skipped]}")
        if all(e.status == "done" for e in store.ledger()):
            return


# -- the verdict -----------------------------------------------------------------------------
def _problems(plan: Sequence[Action], ledger: Sequence[LedgerEntry], slack: SlackEmulator, crm: Emulator,
              discourse: DiscourseEmulator) -> list[str]:
    """Every way the services' state and logs differ from 'each planned action exactly once'."""
    problems: list[str] = []
    entries = {e.key: e for e in ledger}

    def once(what: str, wanted: Counter[str], found: Counter[str]) -> None:
        for key in sorted(set(wanted) | set(found)):
            if found[key] != wanted[key]:
                problems.append(f"{what} {key}: {found[key]} on the service, {wanted[key]} planned")

    def ledger_says(key: str, external_id: str | None) -> None:
        entry = entries.get(key)
        if entry is None or entry.status != "done" or (external_id is not None and entry.external_id != external_id):
            state = "missing" if entry is None else f"{entry.status} ({entry.external_id}, {entry.error})"
            problems.append(f"ledger {key}: {state}, service has {external_id}")

    alerts = [a for a in plan if isinstance(a, SendSlackAlert)]
    messages = slack.messages(CHANNEL)
    once("Slack message", Counter(a.key for a in alerts),
         Counter(m["metadata"]["event_payload"]["action_key"] for m in messages))
    ts = {m["metadata"]["event_payload"]["action_key"]: m["ts"] for m in messages}
    for a in alerts:
        ledger_says(a.key, f"{next(iter(slack.channels))}/{ts.get(a.key)}")

    tasks = [a for a in plan if isinstance(a, CreateCrmTask)]
    memberships = [a for a in plan if isinstance(a, AddToList)]
    if isinstance(crm, HubSpotEmulator):
        created = crm.tasks()
        task_ids = {t["properties"].get(TASK_KEY_PROPERTY): t["id"] for t in created}
        once("HubSpot task", Counter(a.key for a in tasks),
             Counter(t["properties"].get(TASK_KEY_PROPERTY) for t in created))
        for a in tasks:
            task = next((t for t in created if t["id"] == task_ids.get(a.key)), None)
            if task is not None and task["company_ids"] != [a.account_id]:
                problems.append(f"HubSpot task {a.key}: on companies {task['company_ids']}, not {a.account_id}")
        members = {list_id: Counter(crm.list_members(list_id)) for list_id in {a.list_id for a in memberships}}
        enrollments = crm.enrollments()
        enrolls = [a for a in plan if isinstance(a, EnrollInSequence)]
        once("enrollment of contact", Counter(a.contact_id for a in enrolls),
             Counter(e["contact_id"] for e in enrollments if e["sequence_id"] == crm.nurture_sequence_id))
        enrollment_ids = {e["contact_id"]: e["id"] for e in enrollments}
        for a in enrolls:
            ledger_says(a.key, enrollment_ids.get(a.contact_id))
    else:
        assert isinstance(crm, SalesforceEmulator)
        created = crm.records("Task")
        task_ids = {t.get("Community_Action_Key__c"): t["Id"] for t in created}
        once("Salesforce Task", Counter(a.key for a in tasks),
             Counter(t.get("Community_Action_Key__c") for t in created))
        rows = crm.records("CampaignMember")
        members = {list_id: Counter(m["ContactId"] for m in rows if m["CampaignId"] == list_id)
                   for list_id in {a.list_id for a in memberships}}
    for a in tasks:
        ledger_says(a.key, task_ids.get(a.key))
    for list_id, found in members.items():
        once(f"member of list {list_id}:", Counter(a.contact_id for a in memberships if a.list_id == list_id), found)
    for a in memberships:
        ledger_says(a.key, f"{a.list_id}/{a.contact_id}")

    pms = [a for a in plan if isinstance(a, SendDiscourseMessage)]
    sent = [m for m in discourse.forum.messages if m.external_id]
    once("Discourse message", Counter(external_id_for(a.key) for a in pms), Counter(m.external_id for m in sent))
    topics = {m.external_id: str(m.topic_id) for m in sent}
    for a in pms:
        ledger_says(a.key, topics.get(external_id_for(a.key)))
        recipients = [m.recipient_ids for m in sent if m.external_id == external_id_for(a.key)]
        person = discourse.forum.user_by_username(a.username)
        if person is None or any(r != [person.id] for r in recipients):
            problems.append(f"Discourse message {a.key}: sent to {recipients}, not {a.username}")
    in_group = set(discourse.forum.members_of(GROUP))
    for a in (a for a in plan if isinstance(a, AddToDiscourseGroup)):
        if a.username not in in_group:
            problems.append(f"Discourse group {GROUP}: {a.username} missing")
        ledger_says(a.key, f"{GROUP}/{a.username}")
    unplanned = set(entries) - {a.key for a in plan}
    if unplanned:
        problems.append(f"ledger has unplanned keys {sorted(unplanned)}")
    problems += _creates_answered_twice(plan, slack, crm, discourse)
    return problems


def _creates_answered_twice(plan: Sequence[Action], slack: SlackEmulator, crm: Emulator,
                            discourse: DiscourseEmulator) -> list[str]:
    """From the request logs: every create a service carried out (answered 2xx, heard or
    not), per action. A second one that a service merged into the first (a Salesforce
    upsert answers 200, not 201) does not count; one that made a second object does."""
    acted: Counter[str] = Counter()
    for r in slack.requests:
        if r.path == "/api/chat.postMessage" and r.status == 200:
            acted[r.json()["metadata"]["event_payload"]["action_key"]] += 1
    for r in crm.requests:
        if isinstance(crm, HubSpotEmulator) and r.method == "POST" and r.status // 100 == 2:
            if r.path == "/crm/v3/objects/tasks":
                acted[r.json()["properties"][TASK_KEY_PROPERTY]] += 1
            elif r.path == "/automation/v4/sequences/enrollments":
                acted[f"enrollment of {r.json()['contactId']}"] += 1
        elif r.method == "PATCH" and r.status == 201 and "/sobjects/Task/Community_Action_Key__c/" in r.path:
            acted[unquote(r.path.rsplit("/", 1)[1])] += 1
    by_external_id = {external_id_for(a.key): a.key for a in plan}
    for r in discourse.requests:
        if r.method == "POST" and r.path.startswith("/posts") and r.status == 200:
            external_id = (parse_qs(r.body.decode("utf-8")).get("external_id") or [""])[0]
            acted[by_external_id.get(external_id, external_id)] += 1
    return [f"{what}: created {n} times (request log)" for what, n in sorted(acted.items()) if n > 1]


def _hinter(plan: Sequence[Action]) -> Callable[[RecordedRequest], str]:
    """What a request was about, for the trace: the action keys in its path or body (a
    Discourse message by its external id), else the start of its body."""
    by_external_id = {external_id_for(a.key): a.key for a in plan}
    keys = re.compile("|".join(re.escape(a.key) for a in plan))

    def hint(recorded: RecordedRequest) -> str:
        text = unquote(recorded.path) + " " + recorded.body.decode("utf-8", "replace")
        found = list(dict.fromkeys(keys.findall(text)))
        found += [key for external_id, key in by_external_id.items() if external_id in text]
        if found:
            return " [" + ", ".join(found) + "]"
        body = recorded.body.decode("utf-8", "replace")
        return f" {body[:60]}" if body and recorded.method != "GET" else ""

    return hint


@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", _seeds(), ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("mode", list(MODES))
def test_each_action_reaches_its_service_exactly_once(mode: str, seed: int, tmp_path: Path,
                                                      pool: WorkerPool) -> None:
    trial = Trial(mode, seed)
    community = _community(seed)
    crm: Emulator
    if trial.crm == "hubspot":
        crm = HubSpotEmulator(community, refuse_unique_task_property=trial.refuse_unique, search_lag=SEARCH_LAG)
    else:
        crm = SalesforceEmulator(community)
    slack, discourse = SlackEmulator(community, channels=(CHANNEL,)), DiscourseEmulator(community)
    # Off: the forum's answer-again memo would hide a second identical create from the verdict.
    discourse.forum.settings.api_post_memo_seconds = 0
    emulators: dict[str, Emulator] = {"slack": slack, trial.crm: crm, "discourse": discourse}
    database_url = f"sqlite:///{tmp_path / 'state.db'}"
    settle = SEARCH_SETTLE if trial.refuse_unique else 0.0
    with slack, crm, discourse, Store.open(database_url) as store:
        config: dict[str, Any] = {
            "database_url": database_url, "lease": LEASE,
            "slack": {"base_url": slack.base_url, "token": slack.token},
            "discourse": {"base_url": discourse.base_url, "api_key": discourse.api_key,
                          "api_username": discourse.api_username},
        }
        if isinstance(crm, HubSpotEmulator):
            config["hubspot"] = {"base_url": crm.base_url, "token": crm.access_token, "search_settle": SEARCH_SETTLE}
        else:
            assert isinstance(crm, SalesforceEmulator)
            config["salesforce"] = {"instance_url": crm.instance_url, "session_id": crm.session_id,
                                    "ca_file": crm.ca_file}
        plan = _plan(trial, community, crm, discourse)
        record_plan(store, plan)
        trial.note(f"plan: {Counter(a.kind for a in plan)}")
        _seed_faults(trial, emulators)
        switch = KillSwitch(list(emulators.values()), _hinter(plan))

        def requests_left() -> int:
            done = {e.key for e in store.ledger(status="done")}
            return _requests_of([a for a in plan if a.key not in done], trial)

        workers = 2 if trial.rng.random() < 0.35 else 1  # a second one dies finishing the first one's work
        for n in range(1, workers + 1):
            if n > 1:
                if not requests_left():
                    break
                _wait_out_claims(store, 0.0)
            _run_worker(trial, pool, switch, config, _kill_point(trial.rng, requests_left), f"worker-{n}")
            # A search after this sees every task the dead worker created (see the module doc
            # of connectors.hubspot_tasks: one action ends within its lease).
            time.sleep(SEARCH_LAG + 0.05 if trial.refuse_unique else 0.0)
        _recover(trial, store, config, settle)

        ledger = store.ledger()
        problems = _problems(plan, ledger, slack, crm, discourse)
        if os.environ.get("CHAOS_VERBOSE"):  # with -s: what each trial did
            print(f"\n{mode} seed {seed}:", *trial.log, sep="\n  ")
        if problems:
            pytest.fail("\n".join([
                f"trial {mode} seed {seed}: {len(problems)} problem(s) "
                + f"(replay: CHAOS_SEEDS={seed} pytest {Path(__file__).relative_to(ROOT)} -k {mode})",
                *problems, "-- trial:", *trial.log,
                "-- ledger:", *(f"{e.key} {e.kind} {e.status} {e.external_id} attempts={e.attempts} {e.error or ''}"
                                for e in ledger),
                "-- requests, in order:", *switch.trace,
            ]), pytrace=False)
