"""Run every benchmark, print the table, and write it into docs/performance.md.

    python -m bench [--quick] [--no-write]

--quick shrinks every benchmark (10,000 ballots, 1,000 cards, one short B1 round) to try
the harness in a few minutes; its figures are not the ones to quote.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shlex
import statistics
import sys
import time
from dataclasses import dataclass

from bench import (
    b1_voter_path,
    b2_page_weight,
    b3_verification,
    b4_tally,
    b5_issuance,
    b6_import,
)
from bench.setup import DATABASES, ROOT, closed_elections, machine

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass
class Row:
    """One line of the summary table."""

    name: str
    measured: str
    target: str = ""
    met: bool | None = None

    def cells(self) -> str:
        verdict = "" if self.met is None else ("met" if self.met else "**not met**")
        return f"| {self.name} | {self.measured} | {self.target} | {verdict} |"


class Run:
    """Collects the benchmarks' reports (printed as they come) and the table's rows."""

    def __init__(self) -> None:
        self.reports: list[str] = []
        self.rows: list[Row] = []

    def say(self, text: str) -> None:
        self.reports.append(text)
        print(text, flush=True)


def page_weight(run: Run) -> None:
    pages = b2_page_weight.measure()
    run.say(b2_page_weight.report(pages))
    heaviest = max(page["total"] for page in pages)
    external = sum(page["external"] for page in pages)
    run.rows.append(
        Row(
            "B2 heaviest voter page, HTML + CSS",
            f"{heaviest / 1024:.1f} KB, {external} external requests",
            "<= 14 KB, none external",
            heaviest <= b2_page_weight.BUDGET and not external,
        )
    )


def issuance(run: Run, attendees: int) -> None:
    figures = b5_issuance.measure(attendees)
    run.say(b5_issuance.report(figures))
    run.rows.append(
        Row(f"B5 {attendees} personal links as CSV", f"{figures['links_seconds']:.2f} s")
    )
    cards, alone = figures["cards_seconds"], figures["qr_seconds"]
    run.rows.append(
        Row(
            f"B5 {attendees} QR cards as PDF / segno alone",
            f"{cards:.1f} s / {alone:.1f} s = {figures['ratio']:.2f}",
            "<= 3",
            figures["ratio"] <= b5_issuance.TARGET,
        )
    )


def tally_and_verification(run: Run, ballots: int) -> None:
    """B4 on both databases and B3 on the board: one big election, built once."""
    with closed_elections(ballots) as (instances, build):
        run.say(
            f"built a closed election of {ballots} ballots in {build:.0f} s through the cast "
            f"path on SQLite ({ballots / build:.0f} casts/s in one process), copied to PostgreSQL"
        )
        for kind, where in instances.items():
            tally = b4_tally.measure_on(where, ballots)
            run.say(b4_tally.report(tally))
            mine, bare = 1000 * tally["tally_seconds"], 1000 * tally["group_by_seconds"]
            run.rows.append(
                Row(
                    f"B4 tally of {ballots} ballots, {kind} / bare GROUP BY",
                    f"{mine:.0f} ms / {bare:.0f} ms = {tally['ratio']:.2f}",
                    "<= 3",
                    tally["ratio"] <= b4_tally.TARGET,
                )
            )
        board = b3_verification.measure_on(instances["sqlite"], ballots)
        run.say(b3_verification.report(board))
        baseline = board["baseline seconds"]
        for name in ("voting board verify", "one-file verifier"):
            ratio = board[f"{name} seconds"] / baseline
            run.rows.append(
                Row(
                    f"B3 {name}, {ballots} ballots / read + SHA-256",
                    f"{board[f'{name} seconds']:.2f} s / {baseline:.2f} s = {ratio:.1f}",
                    "<= 10",
                    ratio <= b3_verification.TARGET,
                )
            )


def importing(run: Run, attendees: int) -> None:
    for kind in DATABASES:
        figures = b6_import.measure(kind, attendees)
        run.say(b6_import.report(figures))
        run.rows.append(
            Row(
                f"B6 import of {attendees} attendees, {kind}: parse / the write",
                f"{figures['first_parse_seconds']:.1f} s / {figures['first_write_seconds']:.1f} s",
            )
        )


def voter_path(run: Run, quick: bool) -> None:
    seconds, rounds = (5.0, 1) if quick else (10.0, 3)
    rates = {}
    for kind in DATABASES:
        figures = b1_voter_path.measure(kind, seconds=seconds, rounds=rounds, bare=True)
        rates[kind] = figures["paths_per_second"]
        run.say(b1_voter_path.report(figures))
        bare = figures["bare"]
        run.rows.append(
            Row(
                f"B1 reference beside {kind}: bare Flask, same six steps, no database",
                f"{bare['paths_per_second']:.0f} / {bare['trivial_per_second']:.0f} "
                f"= {bare['ratio']:.3f}",
            )
        )
        paths, trivial = figures["paths_per_second"], figures["trivial_per_second"]
        share = statistics.median(figures["of_bare"])
        run.rows.append(
            Row(
                f"B1 voter paths/s / trivial requests/s, {kind}",
                f"{paths:.0f} / {trivial:.0f} = {figures['ratio']:.3f} "
                f"({share:.0%} of bare Flask's, per pair of rounds)",
                ">= 60% of bare Flask's",
                share >= 0.6,
            )
        )
        p50, p99, errors = figures["cast_p50_ms"], figures["cast_p99_ms"], figures["hall_errors"]
        run.rows.append(
            Row(
                f"B1 hall of 350, one pool, cast p50 / p99, {kind}",
                f"{p50:.0f} / {p99:.0f} ms, {errors} errors",
            )
        )
        p50, p99 = figures["pooled_cast_p50_ms"], figures["pooled_cast_p99_ms"]
        errors = figures["pooled_hall_errors"]
        run.rows.append(
            Row(
                f"B1 hall of 350, cast pool behind nginx, cast p50 / p99, {kind}",
                f"{p50:.0f} / {p99:.0f} ms, {errors} errors",
                "p99 < 100 ms, no errors",
                p99 < 100 and not errors,
            )
        )
    share = rates["postgresql"] / rates["sqlite"]
    run.rows.append(
        Row("B1 PostgreSQL / SQLite voter paths/s", f"{share:.0%}", ">= 80%", share >= 0.8)
    )


def table(rows: list[Row]) -> str:
    return "\n".join(
        ["| Benchmark | Measured | Target | |", "|---|---|---|---|"] + [r.cells() for r in rows]
    )


def write_doc(command: str, minutes: float, run: Run) -> None:
    """Replace the generated part of docs/performance.md, keeping the written analysis."""
    facts = machine()
    generated = "\n".join(
        [
            BEGIN,
            f"Measured on {datetime.date.today().isoformat()} with `{command}` "
            f"({minutes:.0f} min) on {facts['cores']} cores ({facts['cpu']}), {facts['memory']}, "
            f"Python {facts['python']}, "
            f"SQLite {facts['sqlite']}, {facts['postgresql']}, {facts['system']}.",
            "",
            table(run.rows),
            "",
            "The benchmarks' own reports:",
            "",
            "```",
            *run.reports,
            "```",
            END,
        ]
    )
    DOC.parent.mkdir(exist_ok=True)
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    pattern = re.escape(BEGIN) + ".*?" + re.escape(END)
    DOC.write_text(re.sub(pattern, lambda _: generated, text, flags=re.S))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the harness")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args()
    started = time.perf_counter()
    run = Run()
    page_weight(run)
    issuance(run, 1_000 if args.quick else 10_000)
    tally_and_verification(run, 10_000 if args.quick else 100_000)
    importing(run, 10_000 if args.quick else 100_000)
    voter_path(run, args.quick)
    print()
    print(table(run.rows))
    if not args.no_write and not args.quick:
        command = " ".join(["python -m bench", *map(shlex.quote, sys.argv[1:])])
        write_doc(command, (time.perf_counter() - started) / 60, run)
        print(f"\nwritten to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
