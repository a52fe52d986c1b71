"""What the flows' top-level parameters share: choice types and the small objects built from them.

Flows take top-level parameters, never one nested settings object: Prefect merges a run's
parameters over the deployment's per top-level key, so a run that changes one value keeps
every other (a nested object would be replaced whole, and a playbook deployed as ``draft``
would fall back to a default). Parameters carry block names, never URLs or secrets; the
published scoring model is a block too (``model_block``).
"""

from __future__ import annotations

from typing import Literal

from connectors.errors import ConfigurationError
from playbooks.actions import Mode
from playbooks.intent import IntentPlaybookConfig
from scoring.holdouts import HoldoutConfig

__all__ = ["CrmName", "IntentMode", "PlaybookMode", "SlackPacing", "intent_config", "mode_banner",
           "require_settings"]

#: ``off`` plans nothing, ``draft`` posts to the review channel only, ``live`` acts.
IntentMode = Mode
#: Every playbook's mode: ``off``, ``draft`` (recorded, reviewed, never sent) or ``live``.
PlaybookMode = Mode
CrmName = Literal["hubspot", "salesforce"]
SlackPacing = Literal["tier3", "limited", "unpaced"]


def intent_config(mode: Mode, alert_channel: str, review_channel: str, task_due_hours: float,
                  holdout_share: float = 0.0, holdout_salt: str = "holdout-1") -> IntentPlaybookConfig:
    """The Intent playbook's settings from the flow's top-level parameters (validated again here)."""
    return IntentPlaybookConfig(mode=mode, alert_channel=alert_channel, review_channel=review_channel,
                                task_due_hours=task_due_hours,
                                holdout=HoldoutConfig(share=holdout_share, salt=holdout_salt))


def mode_banner(playbook: str, mode: Mode, review_channel: str | None) -> str:
    """One log line that says what a playbook may do this run (``review_channel`` None: drafts are only recorded)."""
    if mode == "live":
        return f"{playbook}: LIVE - owners are alerted and CRM records are written"
    if mode == "draft" and review_channel is None:
        return f"{playbook}: draft - plays are recorded and reported, nothing is sent or written"
    if mode == "draft":
        return f"{playbook}: draft - alerts go to #{review_channel} marked [DRAFT], nothing is written to the CRM"
    return f"{playbook}: off - nothing is planned"


def require_settings(playbook: str, missing: list[str]) -> None:
    """Fail the run before any pull when a live playbook lacks a setting it needs."""
    if missing:
        raise ConfigurationError(f"the {playbook} playbook is live but has no {', '.join(missing)}: "
                                 f"set it in the deployment's parameters, or run the playbook as draft")
