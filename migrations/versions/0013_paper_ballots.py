"""paper ballots: each ballot's channel, and the entries of paper ballots not yet agreed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy, which would lose SQLite's WITHOUT ROWID).
    op.add_column(
        'ballots',
        sa.Column('channel', sa.String(length=8), nullable=False, server_default='phone'),
    )
    op.create_table(
        'paper_drafts',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
        sa.Column('staff', sa.String(length=80), nullable=False),
        sa.Column('hint', sa.String(length=8), nullable=False),
        sa.Column('answers', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['election_id'],
            ['elections.id'],
            name=op.f('fk_paper_drafts_election_id_elections'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'election_id', 'token_hash', 'staff', name=op.f('pk_paper_drafts')
        ),
    )


def downgrade() -> None:
    op.drop_table('paper_drafts')
    op.drop_column('ballots', 'channel')
