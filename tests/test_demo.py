"""`voting demo` from an empty instance folder: a running server whose links vote."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.server import ROOT, HttpVoter, free_port, free_ports


def demo_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VOTING_INSTANCE")}
    env["VOTING_INSTANCE"] = str(instance)
    return env


def test_demo_prepares_once_and_prints_links(tmp_path):
    env = demo_env(tmp_path / "instance")
    command = [sys.executable, "-m", "voting", "demo", "--no-serve", "--links", "3"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "with 350 attendees" in first.stdout and " is open " in first.stdout
    links = re.findall(r"http://127\.0\.0\.1:5000/v/\S+", first.stdout)
    assert len(links) == 3
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr
    assert re.findall(r"http://127\.0\.0\.1:5000/v/\S+", second.stdout) == links


def test_demo_serves_a_ballot_that_votes(tmp_path):
    port = free_port()
    env = demo_env(tmp_path / "instance")
    log = (tmp_path / "demo.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "voting", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, Path(log.name).read_text()
            try:
                requests.get(base + "/", timeout=1)
                break
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.2)
        output = Path(log.name).read_text()
        token = re.search(rf"{base}/v/(\S+)", output).group(1)
        receipt = HttpVoter(base).vote(
            token, {"cluster-manager": "erika-mustermann", "strategic-partnership": "abstain"}
        )
        assert HttpVoter(base).get(f"/board/receipt/{receipt}").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_demo_with_witnesses_and_a_trustee(tmp_path):
    """`voting demo --witnesses 2 --trustee`: two witness processes of the one-file verifier
    cosign each checkpoint, the board file carries the cosignatures and verifies with them;
    ballots are encrypted, and two of the three shares the demo wrote open them at close."""
    witness_port = free_ports(2)
    port = next(p for p in iter(free_port, 0) if p not in (witness_port, witness_port + 1))
    instance = tmp_path / "instance"
    log = (tmp_path / "demo.log").open("w+")
    command = [sys.executable, "-m", "voting", "demo", "--port", str(port), "--witnesses", "2"]
    command += ["--witness-port", str(witness_port), "--trustee"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=demo_env(instance), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        note = ""
        while time.monotonic() < deadline and note.count("demo-witness-") < 2:
            assert process.poll() is None, Path(log.name).read_text()
            with contextlib.suppress(requests.RequestException):
                note = requests.get(base + "/board/checkpoint", timeout=1).text
            time.sleep(0.3)
        assert note.count("demo-witness-") == 2, Path(log.name).read_text()
        board = tmp_path / "board.jsonl"
        board.write_bytes(requests.get(base + "/board.jsonl", timeout=10).content)
        vkeys = sorted(instance.glob("witnesses/*/*.vkey"))
        assert len(vkeys) == 2
        verify = [sys.executable, str(ROOT / "voting" / "verify.py"), str(board), "--partial"]
        for vkey in vkeys:
            verify += ["--witness", str(vkey)]
        checked = subprocess.run(verify, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        assert "cosigned by 2 of those given (quorum 2)" in checked.stdout
        assert "its private key is not on the board yet" in checked.stdout
        output = Path(log.name).read_text()
        token = re.search(rf"{base}/v/(\S+)", output).group(1)
        HttpVoter(base).vote(
            token, {"cluster-manager": "erika-mustermann", "strategic-partnership": "abstain"}
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    time.sleep(0.5)
    for _ in range(2):  # the witnesses stop with the demo
        try:
            requests.get(f"http://127.0.0.1:{witness_port}/", timeout=1)
        except requests.RequestException:
            break
        time.sleep(2)
    else:
        raise AssertionError("a demo witness outlived the demo")

    def voting(*args: str) -> str:
        command = [sys.executable, "-m", "voting", *args]
        done = subprocess.run(
            command, cwd=ROOT, env=demo_env(instance), capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "encrypted until the jury's shares open them" in voting("close")
    shares = sorted(instance.glob("trustee/trustee-*-share-*.json"))
    assert len(shares) == 3
    assert "the tally is sealed" in voting("trustee", "share", str(shares[0]), str(shares[2]))
    voting("board", "openings", str(tmp_path / "openings.jsonl"))
    voting("board", "export", str(board))
    verify = [sys.executable, str(ROOT / "voting" / "verify.py"), str(board)]
    checked = subprocess.run(
        [*verify, "--openings", str(tmp_path / "openings.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "cluster-manager: winner erika-mustermann" in checked.stdout
