"""spend uploads: one file loads once per department, even when two loads race

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 09:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spend_uploads", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_spend_uploads_organisation_id_sha256"), ["organisation_id", "sha256"]
        )


def downgrade() -> None:
    with op.batch_alter_table("spend_uploads", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_spend_uploads_organisation_id_sha256"), type_="unique"
        )
