"""A real nginx (Debian's) in front of several app servers, as the README's several-servers
section configures it: one upstream pool for pages, one for `POST /cast`."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

from tests.server import free_port, stop_process

CONFIG = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{upstreams}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 8m;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_connect_timeout 2s;
        location = /cast {{
            # A cast is safe to send again: the same form gets the same receipt back.
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


def upstream(name: str, servers: list[str]) -> str:
    lines = [f"    upstream {name} {{"]
    lines += [f"        server {server} max_fails=1 fail_timeout=2s;" for server in servers]
    lines += ["        keepalive 16;", "        keepalive_timeout 60s;", "    }"]
    return "\n".join(lines)


class Nginx:
    """nginx -g 'daemon off;' with its own prefix folder, proxying to *servers* (host:port)."""

    def __init__(self, prefix: Path, servers: list[str]) -> None:
        prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        upstreams = "\n".join([upstream("pages", servers), upstream("casts", servers)])
        config = prefix / "nginx.conf"
        config.write_text(CONFIG.format(prefix=prefix, port=self.port, upstreams=upstreams))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.error_log = prefix / "error.log"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log()}")
            try:
                requests.get(self.url + "/health", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not start: {self.log()}")

    def log(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)
