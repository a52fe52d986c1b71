"""Who an account's plays go to: the CRM owner, and how Slack mentions them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from playbooks.notices import owner_mention
from playbooks.slack_messages import Escaped
from scoring.records import CrmAccount, CrmOwner

__all__ = ["Directory"]


@dataclass(frozen=True)
class Directory:
    """The CRM's accounts and owners, and owners' Slack user ids (to mention them)."""

    accounts: Mapping[str, CrmAccount] = field(default_factory=dict)
    owners: Mapping[str, CrmOwner] = field(default_factory=dict)
    owner_slack_ids: Mapping[str, str] = field(default_factory=dict)

    def owner_of(self, account_id: str | None) -> str | None:
        account = self.accounts.get(account_id) if account_id else None
        return account.owner_id if account else None

    def name_of(self, account_id: str | None) -> str:
        account = self.accounts.get(account_id) if account_id else None
        return account.name if account else (account_id or "no account")

    def value_of(self, account_id: str | None) -> float:
        account = self.accounts.get(account_id) if account_id else None
        return account.value if account else 0.0

    def mention(self, owner_id: str | None) -> Escaped:
        """``<@U…>`` for an owner Slack knows, else their email, else "no owner"."""
        owner = self.owners.get(owner_id) if owner_id else None
        return owner_mention(self.owner_slack_ids.get(owner_id or ""), owner.email if owner else None)
