"""The processes a benchmark serves through: gunicorn on the app, and Debian's nginx in front
of several of them, configured as the README's several-servers section (a pool for pages, a
pool for `POST /cast`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.setup import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            requests.get(url + "/health", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{what} did not start")


class Server:
    """One gunicorn app server."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        app: str = "wsgi:app",
        config: str | None = None,
        port: int | None = None,
        log: Path | None = None,
        threads: int | None = None,
    ) -> None:
        """Start gunicorn on *app* with *env*, with the production settings but no access log.

        *config* replaces gunicorn.conf.py (whose start-up check needs an instance folder);
        *log*, if given, keeps gunicorn's and the app's error output; *threads* replaces
        its threads per worker (the README's casts pool runs more).
        """
        port = port or free_port()
        self.address = f"127.0.0.1:{port}"
        self.base = f"http://{self.address}"
        settings = ["--config", config] if config else []
        if threads is not None:
            settings += ["--threads", str(threads)]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *settings,
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--backlog",
                "4096",
                "--access-logfile",
                "/dev/null",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab") if log else subprocess.DEVNULL,
        )
        wait_for(self.base, self.process, "gunicorn")

    def yield_cpu(self, niceness: int) -> None:
        """Lower this server's CPU priority (gunicorn's master and its workers) by *niceness*.

        What a lower systemd CPUWeight does between services, for processes that share one
        control group here: nice 6 is a quarter of the default weight, as the README's
        pages unit (100) against its casts unit (CPUWeight=400).
        """
        for pid in self.pids():
            os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + niceness)

    def pids(self) -> list[int]:
        """gunicorn's master and its workers."""
        children = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        return [self.process.pid, *map(int, children)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


NGINX = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream pages {{
{pages}
        keepalive 64;
        keepalive_timeout 60s;
    }}
    upstream casts {{
{casts}
        keepalive 16;
        keepalive_timeout 60s;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        keepalive_requests 10000;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_read_timeout 120s;
        location = /cast {{
            proxy_next_upstream error timeout non_idempotent;
            proxy_pass http://casts;
        }}
        location / {{
            proxy_next_upstream error timeout;
            proxy_pass http://pages;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx in its own prefix folder: `POST /cast` to *casts*, the rest to *pages*
    (each a list of host:port), as the README configures it minus TLS."""

    def __init__(self, prefix: Path, pages: list[str], casts: list[str]) -> None:
        prefix.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        pool = "\n".join
        config = prefix / "nginx.conf"
        config.write_text(
            NGINX.format(
                prefix=prefix,
                port=port,
                pages=pool(f"        server {server};" for server in pages),
                casts=pool(f"        server {server};" for server in casts),
            )
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.base, self.process, "nginx", seconds=15)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
