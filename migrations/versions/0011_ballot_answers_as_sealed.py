"""each ballot keeps its answers exactly as sealed, for every counting method

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:10:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy, which would lose SQLite's WITHOUT ROWID).
    op.add_column(
        'ballots', sa.Column('answers', sa.Text(), nullable=False, server_default='{}')
    )
    bind = op.get_bind()
    # Ballots cast so far are plurality ballots: their answers are their rows of choices.
    rows = bind.execute(
        sa.text(
            "SELECT c.election_id, c.ballot_id, k.slug, n.slug FROM ballot_choices c "
            "JOIN categories k ON k.id = c.category_id "
            "LEFT JOIN nominees n ON n.id = c.nominee_id"
        )
    ).all()
    answers: dict = {}
    for election_id, ballot_id, award, nominee in rows:
        answers.setdefault((election_id, bytes(ballot_id)), {})[award] = nominee
    for (election_id, ballot_id), choices in answers.items():
        text = json.dumps(choices, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        bind.execute(
            sa.text(
                "UPDATE ballots SET answers = :answers "
                "WHERE election_id = :election AND ballot_id = :ballot"
            ),
            {'answers': text, 'election': election_id, 'ballot': ballot_id},
        )
    if bind.dialect.name == 'postgresql':
        op.alter_column('ballots', 'answers', server_default=None)


def downgrade() -> None:
    op.drop_column('ballots', 'answers')
