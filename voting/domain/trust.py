"""What an election trusts besides its own server: the witnesses that cosign its board.

Read from the election file (``[[witnesses]]`` and ``election.witness_quorum``) by the
same reader as the rest of the definition, and published with it at opening.
"""

from __future__ import annotations

from dataclasses import dataclass

from voting import verify
from voting.domain.table_reader import TableReader


@dataclass(frozen=True)
class WitnessDefinition:
    """A C2SP tlog-witness: its key name, its endpoint (``add-checkpoint`` is POSTed below
    it) and its cosignature verifier key."""

    name: str
    url: str
    key: str

    @property
    def verifier_key(self) -> verify.VerifierKey:
        return verify.VerifierKey.parse(self.key, verify.COSIGNATURE_V1)

    def to_board(self) -> dict:
        return {"name": self.name, "url": self.url, "key": self.key}


def read_witnesses(
    reader: TableReader, raw: object, quorum: object
) -> tuple[tuple[WitnessDefinition, ...], int]:
    """The ``[[witnesses]]`` array and the quorum (1 by default when there are witnesses)."""
    if raw is None:
        if quorum not in (None, 0):
            reader.fail("election.witness_quorum", "there are no [[witnesses]] to reach it")
        return (), 0
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        reader.fail("witnesses", "must be an array of tables: [[witnesses]]")
        return (), 0
    witnesses: list[WitnessDefinition] = []
    for number, table in enumerate(raw, start=1):
        path = f"witnesses[{number}]"
        reader.unknown_keys(table, path, {"name", "url", "key"})
        witness = _read_witness(reader, path, table)
        if witness is None:
            continue
        if any(w.name == witness.name for w in witnesses):
            reader.fail(f"{path}.name", f"{witness.name!r} is named twice")
        witnesses.append(witness)
    needed = 1 if quorum is None and witnesses else quorum
    if not isinstance(needed, int) or isinstance(needed, bool) or not 0 <= needed <= len(raw):
        reader.fail("election.witness_quorum", f"must be a whole number from 0 to {len(raw)}")
        needed = 0
    return tuple(witnesses), needed


def _read_witness(reader: TableReader, path: str, table: dict) -> WitnessDefinition | None:
    url = reader.text(table, path, "url")
    text = reader.text(table, path, "key")
    name = reader.text(table, path, "name", required=False)
    if url and not (url.startswith("http://") or url.startswith("https://")):
        reader.fail(f"{path}.url", "must start with http:// or https://")
    if not text:
        return None
    try:
        key = verify.VerifierKey.parse(text, verify.COSIGNATURE_V1)
    except ValueError as exc:
        reader.fail(f"{path}.key", str(exc))
        return None
    if name and name != key.name:
        reader.fail(f"{path}.name", f"the key is named {key.name!r}")
    return WitnessDefinition(name=key.name, url=url.rstrip("/"), key=key.vkey)


def witnesses_on_board(board: dict) -> tuple[WitnessDefinition, ...]:
    """The witnesses of a definition as the board keeps it."""
    return tuple(WitnessDefinition(**item) for item in board.get("witnesses", ()))
