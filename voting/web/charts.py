"""Small server-drawn charts (SVG coordinates computed here, drawn by the template)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext

from voting.verify import NO_AWARD


@dataclass(frozen=True)
class TurnoutChart:
    width: int
    height: int
    points: str  # an SVG polyline
    first: datetime | None
    last: datetime | None
    peak: int


def turnout_chart(
    history: list[tuple[datetime, int]], eligible: int, width: int = 600, height: int = 160
) -> TurnoutChart | None:
    """Ballots over time as a line from the first checkpoint to the last; None if too few."""
    if len(history) < 2:
        return None
    moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m, _ in history]
    start, end = moments[0], moments[-1]
    span = max((end - start).total_seconds(), 1)
    top = max(eligible, max(count for _, count in history), 1)
    points = " ".join(
        f"{(moment - start).total_seconds() / span * width:.1f},{height - count / top * height:.1f}"
        for moment, (_, count) in zip(moments, history, strict=True)
    )
    return TurnoutChart(width, height, points, start, end, history[-1][1])


@dataclass(frozen=True)
class Bar:
    finalist: dict  # slug, name, organisation and their translations
    votes: int
    percent: float  # of the largest count: the bar's length
    won: bool


@dataclass(frozen=True)
class BarsChart:
    """Votes per finalist as a list whose counts are text (a screen reader hears them, and
    long names wrap); each bar is drawn beside its count and hidden from assistive tech."""

    bars: list[Bar]
    unit: str = "votes"  # or "points", for an award counted by points


def bars_chart(
    finalists: list[dict], winners: list[str] | None = None, unit: str = "votes"
) -> BarsChart:
    """One bar per finalist in ballot order, scaled to the largest count."""
    top = max((f["votes"] for f in finalists), default=0) or 1
    return BarsChart(
        [
            Bar(
                finalist=finalist,
                votes=finalist["votes"],
                percent=round(max(100 * finalist["votes"] / top, 0.5), 1),
                won=finalist["slug"] in (winners or []),
            )
            for finalist in finalists
        ],
        unit,
    )


@dataclass(frozen=True)
class RunoffRound:
    """One round of an instant runoff as the stage shows it: the count of those still in,
    and who goes out after it."""

    number: int
    bars: BarsChart
    out: list[dict]
    exhausted: int


def runoff_rounds(
    finalists: list[dict], rounds: list[dict], winners: list[str] | None
) -> list[RunoffRound]:
    """Each round's bars, the winners marked in the last one."""
    people = {f["slug"]: f for f in finalists}
    no_award = {
        "slug": NO_AWARD,
        "name": gettext("No award"),
        "organisation": "",
        "translations": {},
    }
    shown = []
    for number, past in enumerate(rounds, start=1):
        counted = [
            dict(people.get(slug, no_award), votes=votes) for slug, votes in past["counts"].items()
        ]
        last = number == len(rounds)
        bars = bars_chart(counted, winners if last else [], "votes")
        out = [people.get(slug, no_award) for slug in past["eliminated"]]
        shown.append(RunoffRound(number, bars, out, past.get("exhausted", 0)))
    return shown
