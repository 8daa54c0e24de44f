"""The `voting` command's entry point.

`voting board verify` goes straight to the standalone verifier: a juror checking a large
board should not wait for the app, its database layer and its PDF library to load.
Everything else is the Flask command group in voting.cli.
"""

from __future__ import annotations

import sys


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:2] == ["board", "verify"] and not {"-h", "--help"} & set(arguments):
        from voting import verify

        sys.exit(verify.main(arguments[2:]))
    from voting.cli import main as commands

    commands()
