"""Discourse writes for the champion playbook: group membership and private messages.

Both are safe to repeat:

- Adding members who already belong is not an error for us. Discourse skips unknown
  usernames silently, adds the others, and answers 422 "... is already a member of this
  group." only when *every* user named already belongs: then the group's members are read
  and those named are reported as done. The call is retried as it stands (it is idempotent).
- A private message carries our action key on the Discourse side, as its topic's
  ``external_id`` (settable through the API only, ``[\\w-]`` up to 50 characters, unique per
  site whatever the case). A create is never retried blindly: once an attempt may have got
  through (a lost response, a timeout, a run that crashed after sending), the key is looked
  up first (``GET /t/external_id/{id}.json``, a 301 to the topic) and the message is sent
  only when Discourse has none. A refused create (422) is looked up too: "External has
  already been taken" means an earlier attempt did send it.

Titles and bodies come from our templates; the only member-written text in them is a
username. pydiscourse has no call for the two lookups. The member read goes through its
``_get``; the external-id lookup is one plain request whose 301 is read here, not followed
(pydiscourse cannot show a redirect's ``Location``, and following one would carry the
``Api-Key`` header wherever it points). Needs a Discourse with topic external ids (2023 on).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from pydiscourse import DiscourseClient
from pydiscourse.exceptions import DiscourseError

from connectors.discourse import SERVICE, _translate
from connectors.errors import InvalidRequestError, RetryableError, error_for_status
from connectors.retry import Pacer, RetryPolicy

if TYPE_CHECKING:
    from connectors.blocks import DiscourseCredentials

__all__ = ["DiscourseActions", "external_id_for"]

#: Usernames per ``PUT /groups/{id}/members.json`` (Discourse takes up to 1000).
GROUP_BATCH = 100
#: Members per page when reading who is in a group (Discourse allows up to 1000).
MEMBERS_PAGE = 200
EXTERNAL_ID_PREFIX = "pcs-"
_NAME = re.compile(r"[\w.\-]+")
#: Where ``/t/external_id/{id}.json`` sends us: ``[/subfolder]/t/{slug}/{topic id}[.json]``.
_TOPIC_PATH = re.compile(r"/t/[^/]+/(\d+)(?:\.json)?/?")


def external_id_for(key: str) -> str:
    """The topic ``external_id`` that stands for action ``key`` on Discourse.

    A digest, because keys may hold characters or lengths Discourse refuses; the same key
    always gives the same id, so any later run finds the message.
    """
    if not key:
        raise ValueError("an action key is required")
    return EXTERNAL_ID_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def _check_name(kind: str, name: str) -> str:
    """A group or user name as Discourse allows them; anything else would change the URL or
    (with a comma) the recipients."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidRequestError(SERVICE, f"not a valid {kind} name: {name!r}")
    return name


class DiscourseActions:
    """Adds members to groups and sends private messages, each exactly once."""

    def __init__(
        self,
        client: DiscourseClient,
        *,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy(SERVICE)
        self.pacer = pacer or Pacer()

    @classmethod
    def from_block(cls, block: DiscourseCredentials, *, policy: RetryPolicy | None = None,
                   shared: Callable[[], None] | None = None) -> DiscourseActions:
        """Actions through a credentials block, paced at its ``requests_per_minute`` (and ``shared``:
        the site's budget shared with other processes).

        The messages come from the block's ``api_username`` (``system`` by default).
        """
        return cls(block.get_client(), policy=policy, pacer=Pacer(block.requests_per_minute, shared=shared))

    def _once(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One paced call, pydiscourse's errors turned into ours; no retry here."""
        self.pacer.wait()
        try:
            return fn(*args, **kwargs)
        except DiscourseError as err:
            raise _translate(err) from err
        except (requests.ConnectionError, requests.Timeout) as err:
            raise RetryableError(SERVICE, f"connection failed: {err}") from err

    # -- groups ----------------------------------------------------------------------------
    def group_id(self, group_name: str) -> int:
        """The id of group ``group_name``; `NotFoundError` when there is no such group."""
        _check_name("group", group_name)
        body = self.policy.call(self._once, self.client.group, group_name)
        group = body.get("group") if isinstance(body, Mapping) else None
        group_id = group.get("id") if isinstance(group, Mapping) else None
        if not isinstance(group_id, int) or isinstance(group_id, bool):
            raise InvalidRequestError(SERVICE, f"group {group_name}: the answer has no id")
        return group_id

    def add_to_group(self, group_name: str, usernames: Sequence[str]) -> list[str]:
        """Make these users members of ``group_name``; the ones now in it, in the order given.

        Members already in the group count as done. A username Discourse does not know is
        missing from the result (Discourse skips it); when it knows none of them it answers
        400, raised as `InvalidRequestError`. No such group: `NotFoundError`.
        """
        wanted = list({_check_name("user", u).lower(): u for u in usernames}.values())
        if not wanted:
            return []
        group_id = self.group_id(group_name)
        members: list[str] = []
        for start in range(0, len(wanted), GROUP_BATCH):
            members += self._add_batch(group_name, group_id, wanted[start:start + GROUP_BATCH])
        return members

    def _add_batch(self, group_name: str, group_id: int, batch: list[str]) -> list[str]:
        def attempt() -> list[str]:
            try:
                body = self._once(self.client.add_group_members, group_id, batch)
            except InvalidRequestError as err:
                if err.status != 422:
                    raise
                present = self._members_among(group_name, batch)  # all were members already
                if not present:
                    raise
                return present
            named = body.get("usernames") if isinstance(body, Mapping) else None
            if not isinstance(named, list):
                raise InvalidRequestError(SERVICE, f"group {group_name}: the answer lists no usernames")
            added = {u.lower() for u in named if isinstance(u, str)}
            return [u for u in batch if u.lower() in added]

        return self.policy.call(attempt)

    def members_among(self, group_name: str, usernames: Sequence[str]) -> list[str]:
        """Which of ``usernames`` are members of ``group_name``, in the order given."""
        return self.policy.call(self._members_among, group_name, usernames)

    def _members_among(self, group_name: str, usernames: Sequence[str]) -> list[str]:
        """One read of the group's members filtered by these names (a substring filter on
        Discourse's side, so the names are compared here exactly, case aside)."""
        path = f"/groups/{_check_name('group', group_name)}/members.json"
        wanted = {_check_name("user", u).lower() for u in usernames}
        if not wanted:
            return []
        found: set[str] = set()
        offset = 0
        while True:
            body = self._once(self.client._get, path, filter=",".join(sorted(wanted)),
                              offset=offset, limit=MEMBERS_PAGE)
            page = body.get("members") if isinstance(body, Mapping) else None
            meta = body.get("meta") if isinstance(body, Mapping) else None
            if not isinstance(page, list) or not isinstance(meta, Mapping):
                raise InvalidRequestError(SERVICE, f"group {group_name}: unexpected member list")
            for member in page:
                name = member.get("username") if isinstance(member, Mapping) else None
                if isinstance(name, str) and name.lower() in wanted:
                    found.add(name.lower())
            offset += len(page)
            total = meta.get("total")
            if not page or not isinstance(total, int) or offset >= total:
                return [u for u in usernames if u.lower() in found]

    # -- private messages ------------------------------------------------------------------
    def find_private_message(self, key: str) -> str | None:
        """The topic id of the message sent for action ``key``, or None when there is none."""
        return self.policy.call(self._find, external_id_for(key))

    def _find(self, external_id: str) -> str | None:
        """One lookup by external id: the topic id from Discourse's 301, None on a 404."""
        self.pacer.wait()
        headers = {"Accept": "application/json; charset=utf-8", "Api-Key": self.client.api_key,
                   "Api-Username": self.client.api_username}
        try:
            response = requests.get(f"{self.client.host}/t/external_id/{external_id}.json",
                                    headers=headers, allow_redirects=False, timeout=self.client.timeout)
        except (requests.ConnectionError, requests.Timeout) as err:
            raise RetryableError(SERVICE, f"connection failed: {err}") from err
        status = response.status_code
        if status == 404:
            return None
        if 300 <= status < 400:
            location = response.headers.get("Location") or ""
            match = _TOPIC_PATH.search(urlsplit(location).path) if status == 301 else None
            if match is None:  # a 302 to the login page: wrong key or host
                raise InvalidRequestError(SERVICE, f"topic {external_id}: unexpected redirect "
                                                   f"(HTTP {status}) to {location!r}")
            return match.group(1)
        if status == 200:  # something on the way followed the redirect: the topic itself
            try:
                topic_id = response.json().get("id")
            except (ValueError, AttributeError):
                topic_id = None
            if not isinstance(topic_id, int) or isinstance(topic_id, bool):
                raise InvalidRequestError(SERVICE, f"topic {external_id}: the answer has no id")
            return str(topic_id)
        raise error_for_status(SERVICE, status, f"topic {external_id}: HTTP {status} {_reason(response)}",
                               response.headers.get("Retry-After"))

    def send_private_message(
        self,
        *,
        key: str,
        username: str,
        title: str,
        raw: str,
        maybe_sent_at: datetime | None = None,
    ) -> str:
        """Send ``username`` a private message for action ``key``; the topic id.

        ``maybe_sent_at`` says an earlier attempt may have got through (the ledger left the
        action pending at that time): Discourse is asked for the key first. Validation
        refusals (title 2..255 characters, body at least 10, unknown user) raise
        `InvalidRequestError`.
        """
        _check_name("user", username)
        external_id = external_id_for(key)
        state = {"look_first": maybe_sent_at is not None}

        def attempt() -> str:
            if state["look_first"]:
                found = self._find(external_id)
                if found is not None:
                    return found
            state["look_first"] = True  # from here on this attempt may have reached Discourse
            try:
                body = self._once(self.client.create_post, raw, title=title,
                                  archetype="private_message", target_recipients=username,
                                  external_id=external_id)
            except InvalidRequestError:
                found = self._find(external_id)  # "External has already been taken"
                if found is not None:
                    return found
                raise
            topic_id = body.get("topic_id") if isinstance(body, Mapping) else None
            if not isinstance(topic_id, int) or isinstance(topic_id, bool):
                raise InvalidRequestError(SERVICE, f"message {external_id}: the answer has no topic id")
            return str(topic_id)

        return self.policy.call(attempt)


def _reason(response: requests.Response) -> str:
    """Discourse's ``errors`` of an error answer, else the HTTP reason."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, list) and errors:
        return ", ".join(str(e) for e in errors)[:500]
    return response.reason or ""
