"""Every command of the `voting` command line, installed on the app by create_app."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from voting.cli import (
        attendees,
        board,
        demo,
        election,
        instance,
        results,
        tokens,
        trustee,
        users,
        worker,
    )

    for command in (
        instance.init_command,
        election.election_group,
        attendees.attendees_group,
        tokens.tokens_group,
        election.open_command,
        election.close_command,
        election.tally_command,
        board.board_group,
        trustee.trustee_group,
        instance.backup_command,
        results.results_group,
        users.users_group,
        worker.worker_command,
        demo.demo_command,
    ):
        app.cli.add_command(command)
