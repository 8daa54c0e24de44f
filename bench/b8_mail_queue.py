"""B8: the mail queue. N attendees' links queued in one write, then sent by W `voting worker`
processes to a real SMTP server (aiosmtpd, accepting everything at once), MAIL_RATE off: how
fast the queue drains, how that grows from one worker to two, and that no message went twice.

    python -m bench.b8_mail_queue [--database postgresql|sqlite] [--attendees 10000]
                                  [--workers 1 2]

The SMTP server runs in this process, so on two cores it competes with the workers; a real
mail server is elsewhere, and MAIL_RATE (5 a second by default) is what limits a real run.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bench.setup import ROOT, instance, open_election_with
from voting.db import get_session
from voting.mail.sending import queue_links
from voting.mail_models import QueuedMail
from voting.operations.elections import find_election


class Counting:
    """aiosmtpd handler: counts each recipient it accepted."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.received.update(envelope.rcpt_tos)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(kind: str, attendees: int, workers: int) -> dict[str, float]:
    handler, port = Counting(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with instance(kind) as inst:
            with (inst.path / "config.toml").open("a", encoding="utf-8") as config:
                config.write(
                    f'SMTP_HOST = "127.0.0.1"\nSMTP_PORT = {port}\nMAIL_RATE = 0\n'
                    'MAIL_WORKER = "separate"\nPUBLIC_URL = "https://vote.example.org"\n'
                )
            app = inst.app()
            open_election_with(app, attendees)
            with app.app_context():
                session = get_session()
                started = time.perf_counter()
                queued = queue_links(session, "benchmark", find_election(session, "ecc2016"))
                queue_seconds = time.perf_counter() - started
            command = [sys.executable, "-m", "voting", "worker", "--poll", "0.2"]
            processes = [
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=inst.env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(workers)
            ]
            started = time.perf_counter()
            try:
                with app.app_context():
                    while True:
                        session = get_session()
                        waiting = session.scalar(
                            select(func.count())
                            .select_from(QueuedMail)
                            .where(QueuedMail.state != "sent")
                        )
                        session.rollback()
                        if not waiting:
                            break
                        time.sleep(0.1)
                send_seconds = time.perf_counter() - started
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(10)
            app.extensions["voting.db"].dispose()
    finally:
        controller.stop()
    received = handler.received
    return {
        "queued": queued.count,
        "queue_seconds": queue_seconds,
        "send_seconds": send_seconds,
        "per_second": queued.count / send_seconds,
        "delivered": len(received),
        "twice": sum(1 for count in received.values() if count > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--attendees", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rates = {}
    for workers in args.workers:
        figures = run(args.database, args.attendees, workers)
        rates[workers] = figures["per_second"]
        print(
            f"B8 {args.database}, {workers} worker(s): {figures['queued']:,} links queued in "
            f"{figures['queue_seconds']:.2f} s; sent in {figures['send_seconds']:.1f} s = "
            f"{figures['per_second']:.0f} messages/s; {figures['delivered']:,} delivered, "
            f"{figures['twice']} twice"
        )
    if 1 in rates and len(rates) > 1:
        for workers, rate in sorted(rates.items()):
            if workers != 1:
                print(f"B8 {workers} workers / 1 worker: {rate / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
