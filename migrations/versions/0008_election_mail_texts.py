"""election mail texts: the organiser's contact and an introduction per language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mail_texts', sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_column('mail_texts')
