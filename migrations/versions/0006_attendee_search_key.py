"""attendee search key: name, email, organisation and reference folded for search

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00
"""

import sqlalchemy as sa
from alembic import op

from voting.domain.text import search_key

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))
    attendees = sa.table(
        'attendees',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('email', sa.String),
        sa.column('organisation', sa.String),
        sa.column('ref', sa.String),
        sa.column('search_key', sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(attendees.c.id, attendees.c.name, attendees.c.email, attendees.c.organisation,
                  attendees.c.ref)
    ).all()
    if rows:
        connection.execute(
            attendees.update().where(attendees.c.id == sa.bindparam('row_id')),
            [{'row_id': r.id, 'search_key': search_key(r.name, r.email, r.organisation, r.ref)}
             for r in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_column('search_key')
