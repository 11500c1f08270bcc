"""jobs: runs and leases of background jobs; outbox delivery status for mail retries

Revision ID: 0800_jobs
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0800_jobs"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("jobs",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # System tables (not tenant-owned): the tenant role reads them through the default
    # privileges granted in 0001_foundation, and they hold no organisation's rows.
    op.create_table(
        "jobrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_jobrun_job"), "jobrun", ["job"], unique=False)
    op.create_index(op.f("ix_jobrun_started_at"), "jobrun", ["started_at"], unique=False)
    op.create_table(
        "joblock",
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("job"),
    )
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="sent",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "last_error",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                server_default="",
                nullable=False,
            )
        )
        batch.create_index(batch.f("ix_outboxmessage_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_index(batch.f("ix_outboxmessage_status"))
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
        batch.drop_column("status")
    op.drop_table("joblock")
    op.drop_index(op.f("ix_jobrun_started_at"), table_name="jobrun")
    op.drop_index(op.f("ix_jobrun_job"), table_name="jobrun")
    op.drop_table("jobrun")
