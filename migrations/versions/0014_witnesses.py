"""witnesses: the cosignatures of the log's checkpoints, and each witness's submissions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cosignatures',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('witness', sa.String(length=200), nullable=False),
        sa.Column('timestamp', sa.BigInteger(), nullable=False),
        sa.Column('line', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['election_id'],
            ['elections.id'],
            name=op.f('fk_cosignatures_election_id_elections'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('election_id', 'size', 'witness', name=op.f('pk_cosignatures')),
    )
    op.create_table(
        'witness_states',
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('witness', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('cosigned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['election_id'],
            ['elections.id'],
            name=op.f('fk_witness_states_election_id_elections'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('election_id', 'witness', name=op.f('pk_witness_states')),
    )


def downgrade() -> None:
    op.drop_table('witness_states')
    op.drop_table('cosignatures')
