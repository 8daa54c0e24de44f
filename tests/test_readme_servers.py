"""The README's "Running on several servers", followed as written: its config.toml lines, its
systemd units (checked by systemd-analyze, then their commands run as they stand), its
nginx configuration with TLS, PostgreSQL set up with its commands, Redis and the mail worker.

The machines become loopback addresses and the fixed ports free ones; nothing else of the
README's text changes. A voter registers through nginx, gets the link by email from the
worker, and votes: the pages come from the pages pool, the cast from the casts pool."""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import DATABASES
from tests.helpers import definition_toml, form_on
from tests.server import ROOT, HttpVoter, free_port
from tests.smtp import SmtpServer
from voting import verify

pytestmark = pytest.mark.server

PICK = {"best-manager": "ann", "best-partnership": "p2"}
SERVERS = {"10.0.0.11": "127.0.0.11", "10.0.0.12": "127.0.0.12"}  # the app servers
DATABASE_MACHINE = "10.0.0.5"  # PostgreSQL and Redis
BIN = Path(sys.executable).parent


def section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start:end]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def units(text: str) -> dict[str, str]:
    """Each unit file of the section by its name, and voting-casts.service as the README
    describes it: the pages unit "with port 8001, --workers 2 --threads 8 and CPUWeight=400"."""
    found = {}
    for block in blocks(text, "ini"):
        name = re.match(r"# /etc/systemd/system/(\S+)\n", block)
        assert name, block
        found[name.group(1)] = block
    assert "the same with port\n8001, `--workers 2 --threads 8` and `CPUWeight=400`" in text
    pages = found["voting-pages.service"]
    found["voting-casts.service"] = (
        pages.replace(":8000", ":8001")
        .replace("--workers 4", "--workers 2 --threads 8")
        .replace("voting: pages", "voting: casts")
        .replace("[Service]\n", "[Service]\nCPUWeight=400\n")
    )
    assert "CPUWeight=400" in found["voting-casts.service"]
    return found


def service(unit: str) -> dict[str, list[str]]:
    """The [Service] section's settings, each key with its values in order."""
    settings: dict[str, list[str]] = {}
    inside = False
    for line in unit.splitlines():
        if line.startswith("["):
            inside = line == "[Service]"
        elif inside and "=" in line:
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


class Machines:
    """What the README's addresses and paths become on this one machine."""

    def __init__(self, tmp_path: Path, database: str) -> None:
        self.tmp_path = tmp_path
        self.database = database
        self.ports = {"8000": free_port(), "8001": free_port()}

    def text(self, text: str, instance: Path | None = None) -> str:
        text = text.replace(
            f"voting@{DATABASE_MACHINE}/voting", f"{self.database}@127.0.0.1/{self.database}"
        )
        text = text.replace(DATABASE_MACHINE, "127.0.0.1")
        for machine, loopback in SERVERS.items():
            text = text.replace(machine, loopback)
        for port, free in self.ports.items():
            text = text.replace(f":{port}", f":{free}")
        text = text.replace("/srv/voting/app/.venv/bin/", f"{BIN}/")
        text = text.replace("/srv/voting/app", str(ROOT))
        if instance is not None:
            text = text.replace("/srv/voting/instance", str(instance))
        return text.replace("User=voting", f"User={getpass.getuser()}")


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for vote.example.org and 127.0.0.1, and its key: what Let's Encrypt's
    files are to the README's nginx."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vote.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("vote.example.org"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


class Service:
    """A unit's ExecStart run as systemd would: its working directory, its environment."""

    def __init__(self, unit: str, log: Path) -> None:
        settings = service(unit)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VOTING_", "DATABASE_"))}
        for assignment in settings.get("Environment", []):
            key, value = assignment.split("=", 1)
            env[key] = value
        self.log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            shlex.split(settings["ExecStart"][0]),
            cwd=settings["WorkingDirectory"][0],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        # What systemctl stop sends (the worker's unit names SIGTERM), then SIGKILL.
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def wait_until(check, what: str, timeout: float = 60.0, logs=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen:\n" + "\n".join(log() for log in logs))


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def nginx_config(prefix: Path, server_blocks: str) -> str:
    """The README's blocks inside what a Debian nginx.conf's http block gives them."""
    return (
        f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        "events { worker_connections 1024; }\nhttp {\n"
        "    log_format routed '$request_method $uri $upstream_addr';\n"
        f"    access_log {prefix}/access.log routed;\n"
        + "".join(
            f"    {kind}_temp_path {prefix}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + server_blocks
        + "\n}\n"
    )


def run(command: list[str], env: dict | None = None) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_readme_units_pass_systemd_analyze(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd) checks the README's units"
    machines = Machines(tmp_path, "voting")
    instance = tmp_path / "instance"
    instance.mkdir()
    for name, unit in units(section("Running on several servers")).items():
        path = tmp_path / name
        path.write_text(machines.text(unit.split("\n", 1)[1], instance))
        done = subprocess.run(
            [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60
        )
        complaints = [
            line
            for line in (done.stdout + done.stderr).splitlines()
            # Not about the unit: this machine runs no systemd, and has no unit of its own.
            if "network-online.target" not in line and "multi-user.target" not in line
        ]
        assert done.returncode == 0 and complaints == [], f"{name}:\n" + "\n".join(complaints)


def test_the_several_servers_section_works_as_written(tmp_path):
    if "postgresql" not in DATABASES:
        pytest.skip("several app servers share one PostgreSQL database")
    text = section("Running on several servers")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    role = f"voting_{uuid4().hex[:10]}"
    admin = ["-h", "127.0.0.1", "-U", "postgres"]
    # "createuser voting && createdb -O voting voting", on the database machine.
    assert "`createuser voting && createdb -O voting voting`" in text
    run(["createuser", *admin, role])
    run(["createdb", *admin, "-O", role, role])
    machines = Machines(tmp_path, role)
    mail = SmtpServer()
    mail.start()
    running: list[Service] = []
    proxy = None
    try:
        # The first server: `voting init`, the README's config.toml lines, an election.
        first = tmp_path / "server-a" / "instance"
        first.parent.mkdir()
        database_url = machines.text(
            re.search(r"`DATABASE_URL=(\S+)` in its environment", text).group(1)
        )
        env = dict(os.environ, VOTING_INSTANCE=str(first), DATABASE_URL=database_url)
        run([str(BIN / "voting"), "init"], env)
        config = first / "config.toml"
        config.write_text(
            config.read_text()
            + machines.text(blocks(text, "toml")[0])
            + f'RATELIMIT_KEY_PREFIX = "{role}"\n'
            + f'SMTP_HOST = "127.0.0.1"\nSMTP_PORT = {mail.port}\n'
            + 'MAIL_FROM = "awards@vote.example.org"\n'
        )
        election_file = tmp_path / "awards.toml"
        election_file.write_text(
            definition_toml().replace(
                'tie_rule = "jury"\n', 'tie_rule = "jury"\nregistration = "open"\n'
            )
        )
        run([str(BIN / "voting"), "election", "load", str(election_file)], env)
        run([str(BIN / "voting"), "open"], env)
        # The second server: its own instance folder, the same config.toml and keys.
        second = tmp_path / "server-b" / "instance"
        shutil.copytree(first, second)
        (second / "gunicorn.log").unlink(missing_ok=True)

        found = units(text)
        for server, instance in (("127.0.0.11", first), ("127.0.0.12", second)):
            for name in ("voting-pages.service", "voting-casts.service"):
                unit = machines.text(found[name], instance).replace("0.0.0.0", server)
                running.append(Service(unit, tmp_path / f"{server}-{name}.log"))
        running.append(
            Service(machines.text(found["voting-worker.service"], first), tmp_path / "worker.log")
        )
        for address in [f"{s}:{p}" for s in SERVERS.values() for p in machines.ports.values()]:
            url = f"http://{address}/health"
            wait_until(
                lambda url=url: answers(url), f"{address} serving", logs=[s.log for s in running]
            )

        # nginx with the README's configuration: TLS, both pools.
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        chain, key = self_signed(prefix)
        https = free_port()
        server_blocks = (
            machines.text(blocks(text, "nginx")[0])
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
            .replace("/etc/letsencrypt/live/vote.example.org/fullchain.pem", str(chain))
            .replace("/etc/letsencrypt/live/vote.example.org/privkey.pem", str(key))
        )
        (prefix / "nginx.conf").write_text(nginx_config(prefix, server_blocks))
        run([nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")])
        proxy = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        base = f"https://127.0.0.1:{https}"
        wait_until(lambda: _over_tls(base + "/health", chain), "nginx serving over TLS")

        # A voter registers; the worker sends the link; the voter votes through nginx.
        slug = "test-awards"
        browser = requests.Session()
        # trust_env off, or an environment's CA bundle would override the session's.
        browser.trust_env, browser.verify = False, str(chain)
        page = browser.get(f"{base}/register/{slug}", timeout=30)
        assert page.status_code == 200, page.text
        fields = form_on(page.text, f"/register/{slug}")["fields"]
        registered = browser.post(
            f"{base}/register/{slug}",
            data={**fields, "address": "Zoë.Müller@bücher.example"},
            timeout=30,
        )
        assert "a personal ballot link is on its way" in registered.text
        wait_until(
            lambda: mail.inbox.messages, "the worker sending the link", logs=[running[-1].log]
        )
        body = mail.inbox.messages[0].get_body(("plain",)).get_content()
        link = re.search(r"https://vote\.example\.org/v/(\S+)", body)
        assert link, body
        voter = HttpVoter(base)
        voter.http.trust_env, voter.http.verify = False, str(chain)
        receipt = voter.vote(link.group(1), PICK)
        assert re.fullmatch(r"[0-9A-Z-]+", receipt)
        # Every cast went to a casts pool, every page to a pages pool (nginx's log says which
        # upstream served each request); the link's path with its token is never logged.
        routed = [line.split(" ") for line in (prefix / "access.log").read_text().splitlines()]
        pools = {
            pool: f":{machines.ports[port]}"
            for pool, port in (("pages", "8000"), ("casts", "8001"))
        }
        casts = [upstream for method, path, upstream in routed if path == "/cast"]
        pages = [upstream for method, path, upstream in routed if path in ("/ballot", "/review")]
        assert casts and all(upstream.endswith(pools["casts"]) for upstream in casts)
        assert pages and all(upstream.endswith(pools["pages"]) for upstream in pages)
        assert not [path for _, path, _ in routed if path.startswith("/v/")]
        # Recorded, waiting for its batch (one ballot is fewer than a batch); the close
        # publishes it, and the board nginx serves verifies with it on.
        pending = browser.get(f"{base}/board/receipt/{receipt}.json", timeout=30)
        assert pending.status_code == 202 and pending.json()["status"] == "pending"
        run([str(BIN / "voting"), "close"], env)
        found = browser.get(f"{base}/board/receipt/{receipt}.json", timeout=30)
        assert found.status_code == 200, found.text
        board = browser.get(f"{base}/board.jsonl", timeout=60).content.splitlines(keepends=True)
        report = verify.verify_board(board, key=found.json()["key"])
        assert report.ballots == 1
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for process in running:
            process.stop()
        mail.stop()
        subprocess.run(["dropdb", *admin, "--if-exists", "--force", role], timeout=60)
        subprocess.run(["dropuser", *admin, "--if-exists", role], timeout=60)


def _over_tls(url: str, chain: Path) -> bool:
    try:
        return requests.get(url, verify=str(chain), timeout=5).status_code == 200
    except requests.RequestException:
        return False
