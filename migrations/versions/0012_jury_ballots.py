"""jury ballots: a juror's sealed ballot per award with a jury share

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jury_ballots',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('juror', sa.String(length=80), nullable=False),
        sa.Column('award', sa.String(length=64), nullable=False),
        sa.Column('sealed', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('answers', sa.Text(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['election_id'],
            ['elections.id'],
            name=op.f('fk_jury_ballots_election_id_elections'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('election_id', 'juror', 'award', name=op.f('pk_jury_ballots')),
    )


def downgrade() -> None:
    op.drop_table('jury_ballots')
