"""translations and receipts of spent tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:53:10.526617
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table('nominees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table('spent_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt', sa.String(length=19), nullable=True))
        batch_op.add_column(sa.Column('attempt', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('spent_tokens', schema=None) as batch_op:
        batch_op.drop_column('attempt')
        batch_op.drop_column('receipt')

    with op.batch_alter_table('nominees', schema=None) as batch_op:
        batch_op.drop_column('translations')

    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_column('translations')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('translations')

