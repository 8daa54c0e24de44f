"""deliveries and the activity log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:24:42.951923
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_activity_log_attendee_id_attendees"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_activity_log_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_log")),
    )
    with op.batch_alter_table("activity_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_log_election_id"), ["election_id"], unique=False
        )

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_status", sa.String(length=16), server_default="pending", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("delivery_detail", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("delivery_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("delivery_attempts")
        batch_op.drop_column("delivery_detail")
        batch_op.drop_column("delivery_status")

    with op.batch_alter_table("activity_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_log_election_id"))

    op.drop_table("activity_log")
