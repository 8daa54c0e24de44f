"""checkpoints, origins and staff accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:14:45.909700
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.CheckConstraint(
            "role IN ('organiser', 'desk', 'jury')", name=op.f("ck_users_role_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "checkpoints",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_checkpoints_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "size", name=op.f("pk_checkpoints")),
    )
    with op.batch_alter_table("audit_heads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkpoint_size", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("checkpoint_at", sa.DateTime(timezone=True), nullable=True))

    # Elections made before checkpoints existed get a log name from their slug.
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=255), nullable=True))
    op.execute("UPDATE elections SET origin = 'localhost/' || slug")
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.alter_column("origin", existing_type=sa.String(length=255), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_column("origin")

    with op.batch_alter_table("audit_heads", schema=None) as batch_op:
        batch_op.drop_column("checkpoint_at")
        batch_op.drop_column("checkpoint_size")

    op.drop_table("checkpoints")
    op.drop_table("users")
