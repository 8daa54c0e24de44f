"""Timing helpers: best-of and interleaved measurements, so a ratio compares like with like.

A shared 2-core machine drifts by tens of percent from minute to minute; measuring the
thing and its baseline alternately, and keeping the best of each, cancels most of that.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence


def seconds(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def best_of_pairs(
    subject: Callable[[], object], baseline: Callable[[], object], rounds: int = 3
) -> tuple[float, float]:
    """Time *subject* and *baseline* alternately *rounds* times; the best time of each."""
    subject_times, baseline_times = [], []
    for _ in range(rounds):
        baseline_times.append(seconds(baseline))
        subject_times.append(seconds(subject))
    return min(subject_times), min(baseline_times)


def run(command: Sequence[str], **options) -> float:
    """Wall time of a command, which must succeed."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **options)
    return time.perf_counter() - started
