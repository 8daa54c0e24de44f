"""B7: counting 100,000 opened ballots by each method of voting/verify.py, against plurality.

What the verifier (and, once the app offers the methods, the server) does with the opened
ballots of one award: plurality, approval (up to three ticks), points and instant runoff
over full and partial rankings of six finalists. The ballots are random but skewed, seeded,
so every run counts the same ones. Each method is timed alternately with plurality.

    python -m bench.b7_counting_methods [--ballots 100000]
"""

from __future__ import annotations

import argparse
import random

from bench.timing import best_of_pairs
from voting import verify

FINALISTS = ["ana", "bo", "chen", "dara", "eli", "femi"]


def award(method: str, **settings: object) -> dict:
    nominees = [{"slug": slug, "name": slug.title()} for slug in FINALISTS]
    return {"slug": "award", "title": "Award", "method": method, "nominees": nominees, **settings}


def ballots(count: int, seed: int = 7) -> dict[str, list]:
    """The same voters' answers in each method's form: a ranking of 1 to 6 finalists (its
    first choice for plurality, its first three, sorted, for approval), some abstaining."""
    rng = random.Random(seed)
    weights = [6, 5, 4, 3, 2, 1]
    rankings: list[list[str] | None] = []
    for _ in range(count):
        if rng.random() < 0.03:
            rankings.append(None)
            continue
        order = sorted(FINALISTS, key=lambda s: rng.random() / weights[FINALISTS.index(s)])
        rankings.append(order[: rng.randint(1, len(order))])
    return {
        "plurality": [r[0] if r else None for r in rankings],
        "approval": [sorted(r[:3]) if r else None for r in rankings],
        "points": rankings,
        "irv": rankings,
    }


def measure(count: int, rounds: int = 5) -> list[dict]:
    answers = ballots(count)
    plurality = award("plurality")

    def baseline() -> object:
        return verify.count_category(plurality, answers["plurality"])

    rows = []
    for method, settings in (("approval", {"max_choices": 3}), ("points", {}), ("irv", {})):
        category = award(method, **settings)
        mine, base = best_of_pairs(
            lambda c=category, m=method: verify.count_category(c, answers[m]), baseline, rounds
        )
        result = verify.count_category(category, answers[method])
        rows.append(
            {
                "method": method,
                "seconds": mine,
                "plurality_seconds": base,
                "ratio": mine / base,
                "winners": result["winners"],
                "rounds": len(result.get("rounds", [])),
            }
        )
    return rows


def report(count: int, rows: list[dict]) -> str:
    lines = [f"B7 counting {count} opened ballots of one award (six finalists), best of 5:"]
    for row in rows:
        extra = f", {row['rounds']} rounds" if row["rounds"] else ""
        lines.append(
            f"  {row['method']}: {1000 * row['seconds']:.0f} ms, plurality "
            f"{1000 * row['plurality_seconds']:.0f} ms, ratio {row['ratio']:.2f} "
            f"(winner {', '.join(row['winners']) or 'none'}{extra})"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    args = parser.parse_args()
    print(report(args.ballots, measure(args.ballots)))


if __name__ == "__main__":
    main()
