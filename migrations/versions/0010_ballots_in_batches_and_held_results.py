"""ballots keyed at random and published in batches; results held until the reveal ends

Ballots were keyed by their log position, in cast order; they get a random id, what their
board entry says (token hash, seal) and their receipt, and a position set when their
batch is published. Ballots already on a board keep their position and their receipt.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:30:00
"""

import json
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _create_ballot_tables() -> None:
    op.create_table(
        'ballots',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('ballot_id', sa.LargeBinary(length=16), nullable=False),
        sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
        sa.Column('sealed', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('receipt', sa.String(length=19), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['election_id'], ['elections.id'], name=op.f('fk_ballots_election_id_elections'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('election_id', 'ballot_id', name=op.f('pk_ballots')),
        sa.UniqueConstraint('receipt', name=op.f('uq_ballots_receipt')),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_ballots_election_id_seq', 'ballots', ['election_id', 'seq'])
    op.create_table(
        'ballot_choices',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('ballot_id', sa.LargeBinary(length=16), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('nominee_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['category_id'], ['categories.id'],
            name=op.f('fk_ballot_choices_category_id_categories'),
        ),
        sa.ForeignKeyConstraint(
            ['election_id', 'ballot_id'], ['ballots.election_id', 'ballots.ballot_id'],
            name=op.f('fk_ballot_choices_election_id_ballot_id_ballots'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['nominee_id'], ['nominees.id'], name=op.f('fk_ballot_choices_nominee_id_nominees')
        ),
        sa.PrimaryKeyConstraint(
            'election_id', 'ballot_id', 'category_id', name=op.f('pk_ballot_choices')
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f('ix_ballot_choices_nominee_id'), 'ballot_choices', ['nominee_id'])


def upgrade() -> None:
    bind = op.get_bind()
    ballots = bind.execute(
        sa.text(
            "SELECT b.election_id, b.seq, b.nonce, e.body, e.receipt FROM ballots b "
            "JOIN audit_entries e ON e.election_id = b.election_id AND e.seq = b.seq"
        )
    ).all()
    choices = bind.execute(
        sa.text("SELECT election_id, seq, category_id, nominee_id FROM ballot_choices")
    ).all()
    op.drop_index(op.f('ix_ballot_choices_nominee_id'), table_name='ballot_choices')
    op.drop_table('ballot_choices')
    op.drop_table('ballots')
    _create_ballot_tables()

    ids = {}
    rows = []
    for election_id, seq, nonce, body, receipt in ballots:
        data = json.loads(body)['data']
        ids[(election_id, seq)] = ballot_id = secrets.token_bytes(16)
        rows.append({
            'election_id': election_id, 'ballot_id': ballot_id, 'seq': seq, 'nonce': nonce,
            'token_hash': bytes.fromhex(data['token']), 'sealed': data['sealed'],
            'receipt': receipt,
        })
    table = sa.table(
        'ballots', *(sa.column(name) for name in
                     ('election_id', 'ballot_id', 'seq', 'nonce', 'token_hash', 'sealed', 'receipt'))
    )
    if rows:
        bind.execute(table.insert(), rows)
    choice_table = sa.table(
        'ballot_choices',
        *(sa.column(name) for name in ('election_id', 'ballot_id', 'category_id', 'nominee_id')),
    )
    choice_rows = [
        {'election_id': e, 'ballot_id': ids[(e, seq)], 'category_id': c, 'nominee_id': n}
        for e, seq, c, n in choices
    ]
    if choice_rows:
        bind.execute(choice_table.insert(), choice_rows)

    op.create_table(
        'held_entries',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['election_id'], ['elections.id'], name=op.f('fk_held_entries_election_id_elections'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('election_id', 'position', name=op.f('pk_held_entries')),
    )


def downgrade() -> None:
    raise NotImplementedError(
        "ballots keyed by position cannot be rebuilt without putting them in cast order"
    )
