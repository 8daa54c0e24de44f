"""A real gunicorn server for tests, and a voter that talks to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.helpers import RECEIPT, form_on

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of *count* consecutive free ports (the demo numbers its witnesses' ports)."""
    while True:
        first = free_port()
        probes = [socket.socket() for _ in range(count)]
        try:
            for offset, probe in enumerate(probes):
                probe.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()


def stop_process(process: subprocess.Popen) -> None:
    """Ask a server to stop; kill it if it has not within ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Gunicorn:
    """gunicorn serving wsgi:app for one instance folder and database."""

    def __init__(
        self,
        instance: Path,
        database_url: str,
        workers: int = 3,
        log: Path | None = None,
        port: int | None = None,
    ):
        self.port = port or free_port()  # the same port again: a server restarted
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log or instance / "gunicorn.log"
        env = dict(os.environ, VOTING_INSTANCE=str(instance), DATABASE_URL=database_url)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "2",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes the workers too
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                if requests.get(self.url + "/", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: a crash, not a shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()


class HttpVoter:
    """One phone: its own cookies, walking the voter's pages over real HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict) -> requests.Response:
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=60)

    def reach_review(self, token: str, choices: dict[str, str]) -> dict:
        """Open the link, fill in the ballot; return the cast form's fields."""
        response = self.get(f"/v/{token}")
        assert response.status_code == 303, response.status_code
        form = form_on(self.get("/ballot").text, "/ballot")
        data = dict(form["fields"], **{f"award-{k}": v for k, v in choices.items()})
        response = self.post("/ballot", data)
        assert response.status_code == 303, response.text
        return form_on(self.get("/review").text, "/cast")["fields"]

    def cast(self, fields: dict) -> requests.Response:
        return self.post("/cast", fields)

    def vote(self, token: str, choices: dict[str, str]) -> str:
        response = self.cast(self.reach_review(token, choices))
        assert response.status_code == 303, response.text
        match = RECEIPT.search(self.get("/receipt").text)
        assert match
        return match.group(0)
