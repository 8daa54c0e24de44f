"""`voting demo` from an empty instance folder: a running server whose links vote."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.server import ROOT, HttpVoter, free_port


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
