"""Small server-drawn charts (SVG coordinates computed here, drawn by the template)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


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
    y: float
    width: float
    name: str
    votes: int
    label_y: float
    won: bool


@dataclass(frozen=True)
class BarsChart:
    width: int
    height: int
    bars: list[Bar]
    label_width: int


def bars_chart(
    finalists: list[dict], winners: list[str] | None = None, width: int = 1600, row: int = 110
) -> BarsChart:
    """Horizontal bars, one per finalist in ballot order, scaled to the largest count."""
    label_width = 560
    room = width - label_width - 160
    top = max((f["votes"] for f in finalists), default=0) or 1
    bars = [
        Bar(
            y=index * row + 15,
            width=max(room * finalist["votes"] / top, 4),
            name=finalist["name"],
            votes=finalist["votes"],
            label_y=index * row + 15 + (row - 30) / 2,
            won=finalist["slug"] in (winners or []),
        )
        for index, finalist in enumerate(finalists)
    ]
    return BarsChart(
        width=width, height=row * len(finalists) + 30, bars=bars, label_width=label_width
    )
