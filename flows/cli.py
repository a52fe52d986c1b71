"""The ``community-scoring`` command: the demo and everyday operations."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TYPE_CHECKING, Any
from pathlib import Path

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from flows.demo import format_summary, run_demo

    try:
        result = run_demo(members=args.members, activities=args.activities, companies=args.companies,
                          seed=args.seed, database=args.database, runs=args.runs,
                          sources=tuple(s.strip() for s in args.sources.split(",") if s.strip()), crm=args.crm,
                          slack_messages=args.slack_messages)
    except Exception as err:  # the demo must say what broke and exit non-zero
        print(f"demo failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(format_summary(result))
    return 0 if result.ok else 1


def _calibration_demo(args: argparse.Namespace) -> int:
    from flows.calibration_demo import format_calibration, run_calibration_demo

    try:
        demo = run_calibration_demo(days=args.days, holdout_share=args.holdout_share, seed=args.seed,
                                    database=args.database)
    except Exception as err:  # the demo must say what broke and exit non-zero
        print(f"calibration demo failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(format_calibration(demo, args.days))
    return 0


def _sync(args: argparse.Namespace) -> int:
    from flows.community_sync import community_sync

    params = json.loads(args.params.read_text()) if args.params else {}
    if args.live:
        params["intent_mode"] = "live"
    state = community_sync(**params, return_state=True)
    if not state.is_completed():
        print(f"sync {state.name.lower()}: {state.message}", file=sys.stderr)
        return 1
    summary = state.result()
    if summary is None:  # stood aside: another run is pulling into this database
        print(state.message)
        return 0
    print(json.dumps({k: summary[k] for k in summary if k != "scored"} | {"tiers": summary["scored"]["tiers"]},
                     indent=2, default=str))
    return 0 if not summary["actions"]["failed"] else 1


def _override(args: argparse.Namespace) -> int:
    from connectors.store import Store

    with Store.open(args.database_url) as store:
        if args.action == "set":
            account = None if args.account in (None, "none") else args.account
            store.set_override(args.member, account, args.note or "")
            print(f"{args.member} -> {account or 'never matched'}")
        elif args.action == "remove":
            store.remove_override(args.member)
            print(f"override of {args.member} removed")
        else:
            for member, account in sorted(store.overrides().items()):
                print(f"{member}\t{account or '(never matched)'}")
    return 0


if TYPE_CHECKING:
    from connectors.slack_events_server import Receiver


def _slack_events(args: argparse.Namespace) -> int:
    from connectors.blocks import CommunitySlackCredentials
    from connectors.slack_events import SlackEventsReceiver, channel_names_from
    from connectors.store import Store

    block = CommunitySlackCredentials.load(args.block)
    if block.signing_secret is None:
        print(f"block {args.block!r} has no signing_secret: add the app's signing secret to it", file=sys.stderr)
        return 2
    store = Store.open(args.database_url)
    receiver = SlackEventsReceiver(store, block.signing_secret.get_secret_value(),
                                   channel_names=channel_names_from(block.get_client()))
    return _serve(receiver, store, args, "Slack events")


def _discourse_webhooks(args: argparse.Namespace) -> int:
    from connectors.blocks import DiscourseCredentials
    from connectors.discourse import DiscourseSource
    from connectors.discourse_webhooks import DiscourseWebhookReceiver
    from connectors.store import Store

    block = DiscourseCredentials.load(args.block)
    if block.webhook_secret is None:
        print(f"block {args.block!r} has no webhook_secret: add the secret of the forum's webhook to it",
              file=sys.stderr)
        return 2
    categories = DiscourseSource(block.get_client()).categories()  # one call; posts name their category by id
    store = Store.open(args.database_url)
    receiver = DiscourseWebhookReceiver(store, block.webhook_secret.get_secret_value(), block.base_url,
                                        categories=categories)
    return _serve(receiver, store, args, "Discourse webhooks")


def _serve(receiver: Receiver, store: Any, args: argparse.Namespace, name: str) -> int:
    """Serve a receiver until Ctrl-C, with the limits the command line gives; stored activity asks for a sync."""
    from connectors.slack_events_server import ServerLimits
    from flows.sync_trigger import SyncTrigger, prefect_emitter

    emit = prefect_emitter() if args.coalesce_seconds >= 0 else None
    trigger = SyncTrigger(receiver.source, emit, args.coalesce_seconds) if emit is not None else None
    receiver.on_stored = trigger.notify if trigger is not None else None
    if trigger is None:
        print("no sync triggered by deliveries (no PREFECT_API_URL, or --coalesce-seconds -1): "
              "the schedule plays what arrives", flush=True)

    server = receiver.serve(args.host, args.port, limits=ServerLimits(
        max_body_bytes=args.max_body_bytes, read_timeout=args.read_timeout,
        workers=args.workers, max_connections=args.max_connections))
    print(f"{name}: http://{args.host}:{server.server_address[1]}{receiver.path} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
        if trigger is not None:
            trigger.close()
        store.close()
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from flows.sandbox_cli import NoPrefectAPI, SandboxOptions, serve_sandbox

    options = SandboxOptions(port_base=args.port_base, members=args.members, companies=args.companies,
                             activities=args.activities, seed=args.seed, salesforce=args.salesforce,
                             slack_source=args.slack_source, slack_messages=args.slack_messages)
    try:
        return serve_sandbox(options, sys.stdout)
    except (NoPrefectAPI, OSError) as err:
        print(f"sandbox: {err}", file=sys.stderr)
        return 2


def _receiver_options(parser: argparse.ArgumentParser, port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (behind a TLS proxy keep 127.0.0.1)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--max-body-bytes", type=int, default=1 << 20, help="larger bodies get 413, unread")
    parser.add_argument("--read-timeout", type=float, default=10.0, help="seconds for the headers, then for the body (408)")
    parser.add_argument("--workers", type=int, default=8, help="threads that verify and store deliveries")
    parser.add_argument("--max-connections", type=int, default=256, help="beyond this, requests get 503 (the sender retries)")
    parser.add_argument("--database-url", default=None, help="state database (default: the configured one)")
    parser.add_argument("--coalesce-seconds", type=float, default=20.0,
                        help="deliveries that store activity ask for a community-sync run at most twice in this "
                             "window (a Prefect event the deployment's trigger answers); -1 = never")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="community-scoring", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run community_sync against local emulators (no credentials)")
    demo.add_argument("--members", type=int, default=1000)
    demo.add_argument("--activities", type=int, default=20000)
    demo.add_argument("--companies", type=int, default=200)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--runs", type=int, default=2, help="sync this many times; the 2nd run shows a re-run does nothing twice")
    demo.add_argument("--database", type=Path, default=None, help="SQLite file (default ./community-scoring-demo.db)")
    demo.add_argument("--sources", default="discourse", help="community sources: discourse, slack or discourse,slack")
    demo.add_argument("--crm", choices=["hubspot", "salesforce"], default="hubspot")
    demo.add_argument("--slack-messages", type=int, default=3000, help="size of the community Slack")
    demo.set_defaults(func=_demo)
    calib = sub.add_parser("calibration-demo",
                           help="replay half a year of Intent plays with holdouts on the demo community, "
                                "draw synthetic upgrades, and print the calibration report")
    calib.add_argument("--days", type=float, default=180, help="days of daily syncs to replay")
    calib.add_argument("--holdout-share", type=float, default=0.2, help="share of Intent plays held out")
    calib.add_argument("--seed", type=int, default=7)
    calib.add_argument("--database", type=Path, default=None,
                       help="SQLite file (default ./community-scoring-calibration.db)")
    calib.set_defaults(func=_calibration_demo)
    sync = sub.add_parser("sync", help="run community_sync once with the saved blocks")
    sync.add_argument("--params", type=Path, help="JSON file of community_sync parameters (top-level keys)")
    sync.add_argument("--live", action="store_true", help="Intent playbook live (default: draft, review channel only)")
    sync.set_defaults(func=_sync)
    override = sub.add_parser("override", help="manual identity overrides (they beat every other match)")
    override.add_argument("action", choices=["set", "remove", "list"])
    override.add_argument("member", nargs="?", help="member key, e.g. discourse:123")
    override.add_argument("account", nargs="?", help="CRM account id, or 'none' to never match")
    override.add_argument("--note", help="why (kept with the override)")
    override.add_argument("--database-url", default=None, help="state database (default: the configured one)")
    override.set_defaults(func=_override)
    events = sub.add_parser("slack-events", help="run the Slack Events API receiver (real-time capture)")
    events.add_argument("--block", default="community-slack-source", help="Community Slack block with the signing secret")
    _receiver_options(events, port=3000)
    events.set_defaults(func=_slack_events)
    hooks = sub.add_parser("discourse-webhooks", help="run the Discourse webhook receiver (posts and likes as they happen)")
    hooks.add_argument("--block", default="discourse", help="Discourse Credentials block with the webhook secret")
    _receiver_options(hooks, port=3001)
    hooks.set_defaults(func=_discourse_webhooks)
    box = sub.add_parser("sandbox", help="emulated services + blocks for trying the deployments in a Prefect UI")
    box.add_argument("--port-base", type=int, default=4300,
                     help="Discourse on this port, HubSpot +1, alerts Slack +2, Salesforce +3, community Slack +4")
    box.add_argument("--members", type=int, default=120)
    box.add_argument("--companies", type=int, default=20)
    box.add_argument("--activities", type=int, default=1200)
    box.add_argument("--seed", type=int, default=7)
    box.add_argument("--salesforce", action="store_true", help="also start Salesforce (block 'salesforce')")
    box.add_argument("--slack-source", action="store_true",
                     help="also start a community Slack (block 'community-slack-source')")
    box.add_argument("--slack-messages", type=int, default=1500, help="size of the community Slack")
    box.set_defaults(func=_sandbox)
    args = parser.parse_args(argv)
    if args.command == "override" and args.action != "list" and not args.member:
        parser.error("override set/remove needs a member key")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
