"""`voting worker`: send the mail queue, as a service of its own (one or more, on any server)."""

from __future__ import annotations

import signal
import threading
from collections import Counter

import click
from flask import current_app
from flask.cli import with_appcontext

from voting.cli.common import operation
from voting.mail import worker


@click.command("worker")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between looks at the queue when nothing is due.",
)
@with_appcontext
@operation
def worker_command(poll: float) -> None:
    """Send queued email until stopped (SIGTERM or Ctrl+C ends it after the current message).

    Several workers share the queue: each message is sent by one of them, MAIL_RATE holds
    for all together, and a worker killed mid-send never makes a message arrive twice."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    tally: Counter[str] = Counter()

    def report(state: str) -> None:
        tally[state] += 1  # no address printed: the log of a service is not the place for it
        click.echo(f"{state} (so far: {', '.join(f'{k} {v}' for k, v in sorted(tally.items()))})")

    click.echo("voting worker: sending the mail queue", err=True)
    worker.run(current_app._get_current_object(), poll=poll, stop=stop, on_message=report)  # type: ignore[attr-defined]
    click.echo("voting worker: stopped", err=True)
