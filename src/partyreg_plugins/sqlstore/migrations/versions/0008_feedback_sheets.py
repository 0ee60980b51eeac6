"""feedback sheets: sequence, stamp line and delivery; indexes for numbering and the ledger

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_sheets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stamp", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("delivered_by", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f(
                "ix_feedback_sheets_year_feedback_sheets_community_id_feedback_sheets_sequence"
            ),
            ["year", "community_id", "sequence"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_sheets_unit_code_feedback_sheets_year"),
            ["unit_code", "year"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_sheets_unit_code_feedback_sheets_year"))
        batch_op.drop_index(
            batch_op.f(
                "ix_feedback_sheets_year_feedback_sheets_community_id_feedback_sheets_sequence"
            )
        )
        batch_op.drop_column("delivered_by")
        batch_op.drop_column("stamp")
        batch_op.drop_column("sequence")
