"""The `voting` command line (also `flask --app voting ...`), one module per command group.

Each command parses its arguments, calls one operation in one short write (or one workflow
from voting/workflows.py) and prints a short result. Failures exit non-zero with a one-line
reason (and, for files, one line per problem).
"""

from __future__ import annotations

import sys


def main() -> None:
    """The console script. `voting board verify` goes straight to the standalone verifier: a
    juror checking a large board should not wait for the app and its libraries to load."""
    arguments = sys.argv[1:]
    if arguments[:2] == ["board", "verify"] and not {"-h", "--help"} & set(arguments):
        from voting import verify

        sys.exit(verify.main(arguments[2:]))
    from voting.cli.group import voting_group

    voting_group()
