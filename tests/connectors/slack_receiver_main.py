"""Run a Slack events receiver in a process of its own (tests read its RSS from /proc).

``python -m tests.connectors.slack_receiver_main DATABASE_URL`` prints the port on one
line, serves until stdin closes, then stops.
"""

from __future__ import annotations

import sys

from connectors.slack_events import ServerLimits, SlackEventsReceiver
from connectors.store import Store
from tests.connectors.slack_events_helpers import SECRET


def main(database_url: str) -> None:
    with Store.open(database_url) as store:
        receiver = SlackEventsReceiver(store, SECRET, channel_names={"C1": "help"})
        server = receiver.serve(port=0, limits=ServerLimits(read_timeout=5.0))
        print(server.server_address[1], flush=True)
        try:
            sys.stdin.read()
        finally:
            receiver.stop()


if __name__ == "__main__":
    main(sys.argv[1])
