"""Prefect tasks that pull increments from the community sources and the CRMs into the store.

Each takes block names (never a client, a URL or a secret), loops over the
connector's pages inside, and commits every page together with the cursor it covers, so a
failure part-way loses nothing and the next run repeats nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.blocks import (
    CommunitySlackCredentials,
    DiscourseCredentials,
    SalesforceCredentials,
)
from connectors.discourse import DiscourseSource, Rejected
from connectors.retry import Pacer
from connectors.salesforce import RequestLimitExceeded, SalesforceCrm, Watermark
from connectors.slack_source import PACED_METHODS, SlackPacing, SlackSource
from connectors.store import Store
from flows.discourse_threads import place_page, settle_held
from flows.preflight import open_store, retry_transient
from flows.progress import PullProgress
from flows.rate_limits import discourse_limit_name, hubspot_crm, shared_rate_limit, slack_method_limits
from scoring.classify import ClassificationRules, to_activity
from scoring.records import Activity, SourceEvent

__all__ = [
    "DISCOURSE_POSTS_CURSOR",
    "HUBSPOT",
    "SALESFORCE",
    "pull_discourse",
    "pull_hubspot",
    "pull_salesforce",
    "pull_slack",
]

DISCOURSE_POSTS_CURSOR = "discourse:posts"
DISCOURSE_MEMBERS_CURSOR = "discourse:members"
DISCOURSE_LIKES_CURSOR = "discourse:likes"
HUBSPOT_CHANGES_CURSOR = "hubspot:changes"
#: How far behind HubSpot's search index may be: each incremental read starts this much earlier.
SEARCH_LAG = timedelta(minutes=10)
#: How often incremental reads (Discourse members, HubSpot companies and contacts) read everything again.
FULL_READ_EVERY = timedelta(days=1)
HUBSPOT = "hubspot"
SALESFORCE = "salesforce"


def _activities(events: Iterable[SourceEvent], rules: ClassificationRules) -> list[Activity]:
    return [a for a in (to_activity(e, rules) for e in events) if a is not None]


def _quarantine(store: Store, source: str, rejected: Iterable[Rejected]) -> int:
    """Quarantine what a page could not use; returns how many records are newly kept."""
    return sum(store.quarantine(source, bad.ref, bad.reason, bad.payload) for bad in rejected)


@dataclass(frozen=True)
class DiscourseMark:
    """Where the Discourse read stands: every post up to ``done`` is stored; a read from ``high``
    down to ``done`` may be in progress, with everything above ``before`` already stored.

    Stored as the ``discourse:posts`` cursor: a plain post id when no read is in progress (the
    format before checkpoints), JSON while one is.
    """

    done: int = 0
    high: int | None = None
    before: int | None = None

    @classmethod
    def parse(cls, value: str | None) -> DiscourseMark:
        if not value:
            return cls()
        if value.lstrip().startswith("{"):
            data = json.loads(value)
            return cls(int(data["done"]), int(data["high"]), int(data["before"]))
        return cls(int(value))

    def dump(self) -> str:
        if self.high is None or self.before is None:
            return str(self.done)
        return json.dumps({"done": self.done, "high": self.high, "before": self.before})

    def fraction(self) -> float:
        """How much of the read in progress is stored (post ids stand in for posts)."""
        if self.high is None or self.before is None or self.high <= self.done:
            return 0.0
        return (self.high - self.before) / (self.high - self.done)


@dataclass(frozen=True)
class RefreshMark:
    """The cursor of a read that is incremental but complete once a day (for deletions, merges
    and edits the change feed cannot show): where the last read got to, and when all was read."""

    position: str | None = None
    full_at: datetime | None = None

    @classmethod
    def load(cls, store: Store, name: str) -> RefreshMark:
        data = json.loads(store.get_cursor(name) or "{}")
        full_at = data.get("full_at")
        return cls(data.get("position"), datetime.fromisoformat(full_at) if full_at else None)

    def full_due(self, now: datetime) -> bool:
        """Whether this read should be a complete one."""
        return self.position is None or self.full_at is None or now - self.full_at >= FULL_READ_EVERY

    def save(self, store: Store, name: str, position: str, now: datetime, full: bool) -> None:
        full_at = now if full or self.full_at is None else self.full_at
        store.set_cursor(name, json.dumps({"position": position, "full_at": full_at.isoformat()}))


@task(name="pull-discourse", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=30,
      retry_condition_fn=retry_transient)
def pull_discourse(
    block_name: str, database_block: str | None, now: datetime, rules: ClassificationRules,
    requests_per_minute: float | None = None, likes_lookback_days: float | None = None, topic_reads: int = 300,
) -> dict[str, int]:
    """Members and new posts/likes since the cursor, checkpointed page by page.

    Discourse pages run newest first, so the read of ``(done, high]`` is stored with a
    checkpoint after every page (the lowest post id read). A run that is cancelled or
    crashes resumes below that checkpoint, finishes the range, and only then reads what was
    posted meanwhile: nothing is read twice, nothing is lost.

    Replies wait in the store for their topic's first post (`flows.discourse_threads`); those
    whose topic began before anything read cost one topic read each, ``topic_reads`` a run.
    """
    block = DiscourseCredentials.load(block_name)
    pace = block.requests_per_minute if requests_per_minute is None else requests_per_minute
    if likes_lookback_days is None:  # with webhooks or the likes query, no post is re-read for likes
        likes_lookback_days = 0 if block.webhook_secret is not None or block.likes_query_id else 2
    shared = shared_rate_limit(discourse_limit_name(block.base_url), pace)
    source = DiscourseSource(block.get_client(), pacer=Pacer(pace, shared=shared))
    counts = Counter[str]()
    progress = PullProgress("Discourse")
    with open_store(database_block) as store:
        _read_discourse_members(store, source, now, counts)
        mark = DiscourseMark.parse(store.get_cursor(DISCOURSE_POSTS_CURSOR))
        read = (store, source, now, rules, likes_lookback_days, block.likes_query_id is None, counts, progress)
        if mark.before is not None:  # finish the interrupted range first ...
            counts["resumed_below"] = mark.before
            mark = _read_discourse_range(mark, *read)
        _read_discourse_range(mark, *read)  # ... then read what came after it
        counts.update(settle_held(store, source, lambda events: _activities(events, rules), topic_reads))
        if block.likes_query_id is not None:
            _read_discourse_likes(store, source, block.likes_query_id, rules, counts)
    get_run_logger().info("Discourse: %s", dict(counts))
    return dict(counts)


def _read_discourse_members(store: Store, source: DiscourseSource, now: datetime, counts: Counter[str]) -> None:
    """New members since the last read (a page or two); every member once a day, for changed emails and roles."""
    mark = RefreshMark.load(store, DISCOURSE_MEMBERS_CURSOR)
    full = mark.full_due(now)
    high = int(mark.position or 0)  # the highest user id read: ids grow with sign-ups
    known = None if full else high
    for page in source.member_pages(newer_than=known):
        # the page's members read before are refreshed by the daily full read: writing them
        # again now would only make identity resolution run for nothing
        fresh = page.members if known is None else [m for m in page.members if int(m.external_id) > known]
        counts["members"] += store.upsert_members(fresh)
        counts["quarantined"] += _quarantine(store, "discourse", page.rejected)
        high = max([high, *(int(m.external_id) for m in page.members)])
        counts["member_pages"] += 1
    mark.save(store, DISCOURSE_MEMBERS_CURSOR, str(high), now, full)


def _read_discourse_likes(store: Store, source: DiscourseSource, query_id: int, rules: ClassificationRules,
                          counts: Counter[str]) -> None:
    """Likes since the last read through the Data Explorer query, each page stored with its cursor."""
    after = int(store.get_cursor(DISCOURSE_LIKES_CURSOR) or 0)
    for page in source.like_pages(query_id, after):
        counts["quarantined"] += _quarantine(store, "discourse", page.rejected)
        counts["new_activities"] += store.save_page(activities=_activities(page.events, rules),
                                                    cursor=(DISCOURSE_LIKES_CURSOR, str(page.after_id)))
        counts["like_pages"] += 1


def _read_discourse_range(
    mark: DiscourseMark, store: Store, source: DiscourseSource, now: datetime, rules: ClassificationRules,
    likes_lookback_days: float, read_likes: bool, counts: Counter[str], progress: PullProgress,
) -> DiscourseMark:
    """Read down from the newest post (or from the checkpoint) to ``mark.done``; store each page with its checkpoint."""
    pages = source.post_pages(mark.done or None, now=now, likes_lookback=timedelta(days=likes_lookback_days),
                              before=mark.before, read_likes=read_likes)
    for page in pages:
        high = mark.high if mark.high is not None else page.max_post_id
        mark = DiscourseMark(mark.done, max(high, page.max_post_id), page.position)
        counts["quarantined"] += _quarantine(store, "discourse", page.rejected)
        activities, threads = place_page(store, source, page, lambda events: _activities(events, rules))
        counts["new_activities"] += store.save_page(activities=activities, threads=threads,
                                                    cursor=(DISCOURSE_POSTS_CURSOR, mark.dump()))
        counts["replies_held"] += len(threads.hold)
        counts["events_seen"] += len(page.events)
        counts["pages"] += 1
        progress.update(mark.fraction(), f"{counts['pages']} pages, {counts['new_activities']} new activities")
    finished = DiscourseMark(max(mark.done, mark.high or 0))
    store.set_cursor(DISCOURSE_POSTS_CURSOR, finished.dump())
    return finished


@task(name="pull-slack", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=60,
      retry_condition_fn=retry_transient)
def pull_slack(
    block_name: str, database_block: str | None, now: datetime, rules: ClassificationRules,
    channels: list[str], pacing: str | None = None, backfill_days: float = 90,
) -> dict[str, int]:
    """Members and, per chosen channel, messages, replies and reactions newer than its cursor.

    Slack pages run oldest first, so each page is stored with its channel's cursor in one
    transaction: an interrupted backfill resumes where it stopped.
    """
    logger = get_run_logger()
    block = CommunitySlackCredentials.load(block_name)
    paced = SlackPacing.named(pacing or block.pacing)
    source = SlackSource(block.get_client(), pacing=paced,
                         shared_limits=slack_method_limits(block_name, paced.per_minute, PACED_METHODS))
    counts = Counter[str]()
    with open_store(database_block) as store:
        for page in source.member_pages():
            counts["members"] += store.upsert_members(page)
            counts["quarantined"] += _quarantine(store, "slack", page.rejected)
        for name, channel_id in source.channel_ids(channels).items():
            cursor_name = f"slack:channel:{channel_id}"
            pages = source.channel_pages(name, channel_id, store.get_cursor(cursor_name), now=now,
                                         since=now - timedelta(days=backfill_days))
            for page in pages:
                counts["quarantined"] += _quarantine(store, "slack", page.rejected)
                cursor = (cursor_name, page.cursor) if page.cursor else None
                counts["new_activities"] += store.save_page(activities=_activities(page.events, rules), cursor=cursor)
                counts["events_seen"] += len(page.events)
                counts["pages"] += 1
            logger.info("Slack #%s: %d new activities so far", name, counts["new_activities"])
    logger.info("Slack: %s", dict(counts))
    return dict(counts)


@task(name="pull-hubspot", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=30,
      retry_condition_fn=retry_transient)
def pull_hubspot(block_name: str, database_block: str | None) -> dict[str, int]:
    """Owners, companies, contacts and won deals into the CRM cache (deals: attribution's upgrades).

    Companies and contacts changed since the last read come from search (a no-op costs a call
    each); every one is read again once a day, for deletions and merges search cannot show.
    Search lags HubSpot's writes, so each read starts `SEARCH_LAG` before the last one did.
    """
    crm = hubspot_crm(block_name)
    counts = Counter[str]()
    started = datetime.now(timezone.utc)  # HubSpot's change times are wall-clock times
    with open_store(database_block) as store:
        mark = RefreshMark.load(store, HUBSPOT_CHANGES_CURSOR)
        full = mark.full_due(started)
        since = None if full else datetime.fromisoformat(str(mark.position)) - SEARCH_LAG
        counts["full_read"] = int(full)
        for owners in crm.owner_pages():
            counts["owners"] += store.upsert_owners(HUBSPOT, owners)
        for accounts in crm.account_pages(since):
            counts["accounts"] += store.upsert_accounts(HUBSPOT, accounts)
        for contacts in crm.contact_pages(since):
            counts["contacts"] += store.upsert_contacts(HUBSPOT, contacts)
        mark.save(store, HUBSPOT_CHANGES_CURSOR, started.isoformat(), started, full)
        for deals in crm.closed_won_deals(since):
            counts["won_deals"] += store.upsert_opportunities(HUBSPOT, deals)
    get_run_logger().info("HubSpot: %s", dict(counts))
    return dict(counts)


def _stored_pages(store: Store, kind: str, pages: Callable[[Any], Iterator[Any]],
                  save: Callable[[list[Any]], Any]) -> int:
    """Read one Salesforce object since its cursor; each page, then its position.

    The cursor is ``"<SystemModstamp> <Id>"`` (`Watermark.encode`); a plain timestamp stored
    before the Id tie-breaker still reads, as the start of its second. A crash between the
    page and its cursor re-reads that page next time; the saves are idempotent.
    """

    cursor_name = f"salesforce:{kind}"
    stored = store.get_cursor(cursor_name)
    count = 0
    for page in pages(Watermark.decode(stored) if stored else None):
        save(page.records)
        if page.position is not None:
            store.set_cursor(cursor_name, page.position.encode())
        count += len(page.records)
    return count


@task(name="pull-salesforce", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=60,
      retry_condition_fn=retry_transient)
def pull_salesforce(block_name: str, database_block: str | None, rules: ClassificationRules) -> dict[str, Any]:
    """Users, Accounts, Contacts, Opportunities and webinar CampaignMembers, on SystemModstamp.

    A used-up daily API limit (REQUEST_LIMIT_EXCEEDED) ends the pull cleanly: what was read
    is kept with its cursors, and the next run continues from there.
    """
    logger = get_run_logger()
    crm = SalesforceCrm(SalesforceCredentials.load(block_name).get_client())
    counts: dict[str, Any] = Counter()

    def save_webinars(records: list[Any]) -> None:
        activities = _activities((r.event for r in records), rules)
        counts["webinar_activities"] += store.save_page(members=[r.member for r in records], activities=activities)

    with open_store(database_block) as store:
        reads: list[tuple[str, Callable[..., Iterator[Any]], Callable[[list[Any]], Any]]] = [
            ("owners", crm.owner_pages, lambda rs: store.upsert_owners(SALESFORCE, rs)),
            ("accounts", crm.account_pages, lambda rs: store.upsert_accounts(SALESFORCE, rs)),
            ("contacts", crm.contact_pages, lambda rs: store.upsert_contacts(SALESFORCE, rs)),
            ("opportunities", crm.opportunity_pages, lambda rs: store.upsert_opportunities(SALESFORCE, rs)),
            ("campaign_members", crm.campaign_member_events, save_webinars),
        ]
        try:
            for kind, pages, save in reads:
                counts[kind] = _stored_pages(store, kind, pages, save)
        except RequestLimitExceeded as err:
            counts["stopped"] = f"daily API limit reached ({err}); cursors kept, the next run resumes"
            logger.warning("Salesforce: %s; API usage %s", counts["stopped"], crm.api_usage)
    logger.info("Salesforce: %s", dict(counts))
    return dict(counts)
