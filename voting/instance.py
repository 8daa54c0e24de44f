"""The instance folder: local configuration, secrets and keys, readable by the owner only.

Layout::

    instance/
      config.toml            SECRET_KEY, BALLOT_TOKEN_KEYS, PUBLIC_URL, DATABASE_URL ...
      voting.sqlite3         the default database
      keys/signing.key       Ed25519 private key that signs checkpoints (PEM)
      keys/signing.pub       its public key, published on the board
      keys/delivery/SLUG.key the election's delivery key; destroyed at close by default
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from voting.db import current_revision, migrate
from voting.errors import N_, KeyMissing

CONFIG_FILE = "config.toml"
DELIVERY_KEY_BYTES = 32


def instance_path_from_env(default: str | os.PathLike[str] = "instance") -> Path:
    """The instance folder: ``$VOTING_INSTANCE`` or ``./instance``, as an absolute path."""
    return Path(os.environ.get("VOTING_INSTANCE") or default).resolve()


def _write_private(path: Path, data: bytes) -> None:
    """Create *path* with owner-only permissions from the first byte on; never overwrite."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_default_config(instance: Path) -> bool:
    """Write config.toml with fresh random secrets unless it exists; True if written."""
    path = instance / CONFIG_FILE
    if path.exists():
        return False
    lines = [
        "# Local configuration of this voting instance. Keep it secret: it signs sessions",
        "# and ballot tokens. Made by `voting init`.",
        f"SECRET_KEY = {json.dumps(secrets.token_hex(32))}",
        "# Keys that sign ballot tokens, newest last; add a new one at the end to rotate.",
        f"BALLOT_TOKEN_KEYS = [{json.dumps(secrets.token_hex(32))}]",
        "# The address voters open, used in ballot links and QR codes:",
        '# PUBLIC_URL = "https://vote.example.org"',
        "# PostgreSQL for large deployments (default: SQLite in this folder):",
        '# DATABASE_URL = "postgresql+psycopg://user@localhost/voting"',
        "# Cast ballots join the public board in shuffled batches (at least 10 each):",
        "# BATCH_SIZE = 50",
        "# BATCH_SECONDS = 30",
        "",
    ]
    _write_private(path, "\n".join(lines).encode("utf-8"))
    return True


_PUBLIC_URL_LINE = re.compile(r"^(#\s*)?PUBLIC_URL\s*=.*$", re.MULTILINE)


def set_public_url(instance: Path, url: str) -> bool:
    """Set PUBLIC_URL in config.toml, in place of the line there (or its commented example);
    False if it was set to *url* already. The file is replaced whole, owner-only."""
    path = instance / CONFIG_FILE
    text = path.read_text("utf-8")
    line = f"PUBLIC_URL = {json.dumps(url)}"
    lines = list(_PUBLIC_URL_LINE.finditer(text))
    target = next((m for m in lines if not m.group(1)), lines[0] if lines else None)
    if target is None:
        updated = text.rstrip("\n") + "\n" + line + "\n"
    else:
        updated = text[: target.start()] + line + text[target.end() :]
    if updated == text:
        return False
    draft = path.with_name(path.name + ".new")
    draft.unlink(missing_ok=True)
    _write_private(draft, updated.encode("utf-8"))
    draft.replace(path)
    return True


class KeyStore:
    """Reads and writes the keys kept in the instance folder."""

    def __init__(self, instance: Path) -> None:
        self.instance = Path(instance)
        self.directory = self.instance / "keys"

    # Signing key (Ed25519) -------------------------------------------------------------------

    @property
    def signing_key_path(self) -> Path:
        return self.directory / "signing.key"

    @property
    def public_key_path(self) -> Path:
        return self.directory / "signing.pub"

    def ensure_signing_key(self) -> bool:
        """Make the Ed25519 key pair unless it exists; True if made."""
        if self.signing_key_path.exists():
            return False
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(self.signing_key_path, pem)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key_path.unlink(missing_ok=True)
        _write_private(self.public_key_path, public)
        return True

    def signing_key(self) -> Ed25519PrivateKey:
        try:
            key = serialization.load_pem_private_key(self.signing_key_path.read_bytes(), None)
        except FileNotFoundError:
            raise KeyMissing(N_("no signing key; run `voting init`")) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMissing(N_("%(path)s is not an Ed25519 key"), path=str(self.signing_key_path))
        return key

    # Delivery keys (one per election) ---------------------------------------------------------

    def delivery_key_path(self, election: str) -> Path:
        return self.directory / "delivery" / f"{election}.key"

    def ensure_delivery_key(self, election: str) -> bool:
        """Make the election's delivery key unless it exists; True if made."""
        path = self.delivery_key_path(election)
        if path.exists():
            return False
        _write_private(path, secrets.token_hex(DELIVERY_KEY_BYTES).encode("ascii") + b"\n")
        return True

    def delivery_key(self, election: str) -> bytes:
        path = self.delivery_key_path(election)
        try:
            return bytes.fromhex(path.read_text("ascii").strip())
        except FileNotFoundError:
            raise KeyMissing(
                N_(
                    "the delivery key of %(election)s is gone (destroyed when voting closed, "
                    "or never made): personal links can no longer be derived"
                ),
                election=election,
            ) from None

    def has_delivery_key(self, election: str) -> bool:
        return self.delivery_key_path(election).exists()

    def destroy_delivery_key(self, election: str) -> bool:
        """Overwrite and delete the key so no one can link ballots to attendees any more."""
        path = self.delivery_key_path(election)
        if not path.exists():
            return False
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.write(secrets.token_bytes(size))
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
        return True


def initialise_instance(instance: Path, engine: Engine) -> list[str]:
    """Create what is missing in the instance folder and migrate; return what was done.

    `voting init` and `voting demo` run it; running it again changes nothing.
    """
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    done = []
    if write_default_config(instance):
        done.append(f"wrote {instance / CONFIG_FILE} with fresh secrets")
    keys = KeyStore(instance)
    if keys.ensure_signing_key():
        done.append(f"made the signing key pair in {keys.directory}")
    before = current_revision(engine)
    migrate(engine)
    after = current_revision(engine)
    if before != after:
        done.append(f"migrated the database to {after}")
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        # Attendee data lives here: owner only, like the secrets (SQLite gives its WAL
        # and shared-memory files the same mode).
        Path(engine.url.database).chmod(0o600)
    return done
