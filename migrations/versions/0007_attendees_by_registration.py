"""attendees known by their registration: shared or missing emails, withdrawals, reminders,
the reason a token was revoked, and attendee files staged between check and import

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_constraint('uq_attendees_election_id_email', type_='unique')
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_attendees_election_id_ref', ['election_id', 'ref'], unique=False)
        batch_op.create_index(
            'ix_attendees_election_id_email', ['election_id', 'email'], unique=False
        )
    with op.batch_alter_table('eligible_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=16), nullable=True))
    op.create_table(
        'staged_uploads',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('election_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['election_id'], ['elections.id'],
            name=op.f('fk_staged_uploads_election_id_elections'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_uploads')),
    )


def downgrade() -> None:
    op.drop_table('staged_uploads')
    with op.batch_alter_table('eligible_tokens', schema=None) as batch_op:
        batch_op.drop_column('revoked_reason')
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_index('ix_attendees_election_id_email')
        batch_op.drop_index('ix_attendees_election_id_ref')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('withdrawn_at')
        batch_op.create_unique_constraint('uq_attendees_election_id_email', ['election_id', 'email'])
