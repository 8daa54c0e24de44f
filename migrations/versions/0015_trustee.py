"""trustee: the jury's public key on the election, ciphertexts on ballots, brought shares

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("elections", sa.Column("trustee_key", sa.Text(), nullable=True))
    op.add_column("ballots", sa.Column("encrypted", sa.Text(), nullable=True))
    op.add_column("jury_ballots", sa.Column("encrypted", sa.Text(), nullable=True))
    op.create_table(
        "trustee_shares",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("share", sa.Text(), nullable=False),
        sa.Column("brought_by", sa.String(length=80), nullable=False),
        sa.Column("brought_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_trustee_shares_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "index", name=op.f("pk_trustee_shares")),
    )


def downgrade() -> None:
    op.drop_table("trustee_shares")
    with op.batch_alter_table("jury_ballots") as batch:
        batch.drop_column("encrypted")
    with op.batch_alter_table("ballots") as batch:
        batch.drop_column("encrypted")
    with op.batch_alter_table("elections") as batch:
        batch.drop_column("trustee_key")
