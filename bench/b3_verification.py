"""B3: verifying a board of many ballots, against reading the file and hashing every line.

The board comes from the app itself: ballots cast through the cast path, voting closed,
the board exported. Both verifiers run as a juror would run them, as commands.

    python -m bench.b3_verification [--ballots 100000] [--trustee]

With ``--trustee`` it also builds the same board with every ballot encrypted to a trustee
key, opens it with two shares (timed) and verifies it with the released key.

With ``--methods plurality,irv`` it builds one board per counting method instead (every
award counted by it) and compares the tally (``voting tally --json``) and the one-file
verifier on each against plurality's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.setup import ROOT, Instance, closed_election, instance
from bench.timing import run, seconds
from voting import verify

TARGET = 10.0
BASELINE = (
    "import hashlib, sys\nfor line in open(sys.argv[1], 'rb'):\n    hashlib.sha256(line).digest()\n"
)


def export(where: Instance, folder: Path) -> tuple[Path, Path]:
    """The instance's board and public key, written to *folder* with the app's own command."""
    board, key = folder / "board.jsonl", folder / "key.txt"
    voting = str(Path(sys.executable).with_name("voting"))
    subprocess.run(
        [voting, "board", "export", str(board)],
        env=where.env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with where.app().test_client() as client:
        key.write_bytes(client.get("/board/key").get_data())
    return board, key


def measure_on(where: Instance, ballots: int, rounds: int = 3) -> dict:
    """Time both verifiers and the baseline, alternately, on the board of *where*."""
    folder = Path(tempfile.mkdtemp(prefix="voting-b3-"))
    try:
        board, key = export(where, folder)
        # The one-file verifier, copied alone as a juror would copy it.
        single = folder / "verify.py"
        shutil.copy(ROOT / "voting" / "verify.py", single)
        python = sys.executable
        voting = str(Path(python).with_name("voting"))
        witnessed, vkeys = cosigned_board(board, folder, witnesses=2)
        policy = [part for vkey in vkeys for part in ("--witness", vkey)]
        commands = {
            "baseline": [python, "-c", BASELINE, str(board)],
            "voting board verify": [voting, "board", "verify", str(board), "--key", str(key)],
            "one-file verifier": [python, str(single), str(board), "--key", str(key)],
            "in one process": [
                python,
                str(single),
                str(board),
                "--key",
                str(key),
                "--workers",
                "1",
            ],
            "with witnesses": [python, str(single), str(witnessed), "--key", str(key), *policy],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                times[name].append(run(command, cwd=folder, env=where.env()))
        best = {name: min(values) for name, values in times.items()}
        with board.open("rb") as lines:
            count = sum(1 for _ in lines)
        return {
            "ballots": ballots,
            "lines": count,
            "megabytes": board.stat().st_size / 1e6,
            **{f"{name} seconds": value for name, value in best.items()},
            "ratio": best["voting board verify"] / best["baseline"],
            "ratio_single": best["one-file verifier"] / best["baseline"],
            "ratio_one_process": best["in one process"] / best["baseline"],
            "ratio_witnessed": best["with witnesses"] / best["one-file verifier"],
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cosigned_board(board: Path, folder: Path, witnesses: int) -> tuple[Path, list[str]]:
    """The board with every checkpoint cosigned by *witnesses* fresh witness keys, as the
    app's board is when its witnesses kept up; the file and the witnesses' vkeys."""
    keys = [(f"b3-witness-{i}", Ed25519PrivateKey.generate()) for i in range(witnesses)]
    out = folder / "board-witnessed.jsonl"
    with board.open("rb") as source, out.open("wb") as target:
        for line in source:
            if line.startswith(b'{"note":'):
                value = json.loads(line)
                body = value["note"].split("\n\n")[0] + "\n"
                lines = [verify.cosign(k, name, body, 1_800_000_000).line for name, k in keys]
                value["note"] = verify.add_cosignatures(value["note"], lines)
                line = verify.canonical_json(value) + b"\n"
            target.write(line)
    vkeys = [verify.VerifierKey.from_private(n, k, verify.COSIGNATURE_V1).vkey for n, k in keys]
    return out, vkeys


def measure(ballots: int = 100_000, rounds: int = 3) -> dict:
    with instance("sqlite") as where:
        build = seconds(lambda: closed_election(where.app(), ballots))
        return {**measure_on(where, ballots, rounds), "build_seconds": build}


def measure_trustee(ballots: int, rounds: int = 3) -> dict:
    """The same board with every ballot encrypted to a trustee key, released at the end of
    the reveal: the verifier then decrypts each ballot and checks it against its seal."""
    with instance("sqlite") as where:
        opening = closed_election(where.app(), ballots, trustee=True)
        folder = Path(tempfile.mkdtemp(prefix="voting-b3-"))
        try:
            board, key = export(where, folder)
            single = folder / "verify.py"
            shutil.copy(ROOT / "voting" / "verify.py", single)
            command = [sys.executable, str(single), str(board), "--key", str(key)]
            best = min(run(command, cwd=folder, env=where.env()) for _ in range(rounds))
            baseline = min(
                run([sys.executable, "-c", BASELINE, str(board)], cwd=folder, env=where.env())
                for _ in range(rounds)
            )
            return {
                "megabytes": board.stat().st_size / 1e6,
                "opening seconds": opening,
                "verifier seconds": best,
                "ratio_single": best / baseline,
            }
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def report_trustee(ballots: int, plain: dict | None, figures: dict) -> str:
    versus = (
        f" ({figures['verifier seconds'] / plain['one-file verifier seconds']:.2f} times the "
        "board without a trustee)"
        if plain
        else ""
    )
    return (
        f"B3 with a trustee, {ballots} encrypted ballots (board {figures['megabytes']:.1f} MB): "
        f"two shares open them in {figures['opening seconds']:.2f} s (decrypt, check each "
        f"seal, fill in, seal the tally); the one-file verifier, which decrypts every ballot "
        f"with the released key, {figures['verifier seconds']:.2f} s{versus}, ratio "
        f"{figures['ratio_single']:.1f} to read+SHA-256"
    )


def measure_methods(ballots: int, methods: list[str], rounds: int = 3) -> list[dict]:
    """Tally and verification of the same number of ballots, one board per method."""
    figures = []
    for method in methods:
        with instance("sqlite") as where:
            closed_election(where.app(), ballots, method)
            folder = Path(tempfile.mkdtemp(prefix="voting-b3-"))
            try:
                board, key = export(where, folder)
                single = folder / "verify.py"
                shutil.copy(ROOT / "voting" / "verify.py", single)
                voting = str(Path(sys.executable).with_name("voting"))
                commands = {
                    "tally": [voting, "tally", "--json"],
                    "verify": [sys.executable, str(single), str(board), "--key", str(key)],
                }
                times: dict[str, list[float]] = {name: [] for name in commands}
                for _ in range(rounds):
                    for name, command in commands.items():
                        times[name].append(run(command, cwd=folder, env=where.env()))
                figures.append(
                    {
                        "method": method,
                        "megabytes": board.stat().st_size / 1e6,
                        **{name: min(values) for name, values in times.items()},
                    }
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    return figures


def report_methods(ballots: int, figures: list[dict]) -> str:
    plurality = next(f for f in figures if f["method"] == "plurality")
    lines = [f"B3 by counting method, {ballots} ballots, each award counted by the method:"]
    for f in figures:
        lines.append(
            f"{f['method']}: board {f['megabytes']:.1f} MB, tally {f['tally']:.2f} s "
            f"(ratio {f['tally'] / plurality['tally']:.2f}), one-file verifier "
            f"{f['verify']:.2f} s (ratio {f['verify'] / plurality['verify']:.2f})"
        )
    return "\n".join(lines)


def report(figures: dict) -> str:
    return (
        f"B3 board of {figures['ballots']} ballots ({figures['lines']} lines, "
        f"{figures['megabytes']:.1f} MB): "
        f"read+SHA-256 {figures['baseline seconds']:.2f} s, `voting board verify` "
        f"{figures['voting board verify seconds']:.2f} s (ratio {figures['ratio']:.1f}), "
        f"one-file verifier {figures['one-file verifier seconds']:.2f} s "
        f"(ratio {figures['ratio_single']:.1f}, with one worker process per core; "
        f"{figures['in one process seconds']:.2f} s, ratio {figures['ratio_one_process']:.1f}, "
        f"with --workers 1); target <= {TARGET:.0f}; with every checkpoint "
        f"cosigned by 2 witnesses and --witness for both: {figures['with witnesses seconds']:.2f}"
        f" s ({figures['ratio_witnessed']:.2f} times the verifier without)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--methods", help="e.g. plurality,irv: compare boards by method")
    parser.add_argument(
        "--trustee", action="store_true", help="also build and verify a board with a trustee"
    )
    args = parser.parse_args()
    if args.methods:
        methods = args.methods.split(",")
        if "plurality" not in methods:
            methods.insert(0, "plurality")
        print(report_methods(args.ballots, measure_methods(args.ballots, methods, args.rounds)))
        return
    plain = measure(args.ballots, args.rounds)
    print(report(plain), flush=True)
    if args.trustee:
        print(report_trustee(args.ballots, plain, measure_trustee(args.ballots, args.rounds)))


if __name__ == "__main__":
    main()
