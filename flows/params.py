"""What the flows' top-level parameters share: choice types and the small objects built from them.

Flows take top-level parameters, never one nested settings object: Prefect merges a run's
parameters over the deployment's per top-level key, so a run that changes one value keeps
every other (a nested object would be replaced whole, and a playbook deployed as ``draft``
would fall back to a default). Parameters carry block names, never URLs or secrets; the
published scoring model is a block too (``model_block``).
"""

from __future__ import annotations

from typing import Literal

from playbooks.actions import Mode
from playbooks.intent import IntentPlaybookConfig

__all__ = ["CrmName", "IntentMode", "SlackPacing", "intent_config", "mode_banner"]

#: ``off`` plans nothing, ``draft`` posts to the review channel only, ``live`` acts.
IntentMode = Mode
CrmName = Literal["hubspot", "salesforce"]
SlackPacing = Literal["tier3", "limited", "unpaced"]


def intent_config(mode: Mode, alert_channel: str, review_channel: str, task_due_hours: float) -> IntentPlaybookConfig:
    """The Intent playbook's settings from the flow's top-level parameters (validated again here)."""
    return IntentPlaybookConfig(mode=mode, alert_channel=alert_channel, review_channel=review_channel,
                                task_due_hours=task_due_hours)


def mode_banner(playbook: str, mode: Mode, review_channel: str) -> str:
    """One log line that says what a playbook may do this run."""
    if mode == "live":
        return f"{playbook}: LIVE - owners are alerted and CRM records are written"
    if mode == "draft":
        return f"{playbook}: draft - alerts go to #{review_channel} marked [DRAFT], nothing is written to the CRM"
    return f"{playbook}: off - nothing is planned"
