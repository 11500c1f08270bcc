"""delivery flow roll-ups: removed work items, and the portfolio's flow summed per day/week

Revision ID: 0920_delivery_flow_rollup
Revises: 1200_collaboration
Create Date: 2026-12-02 06:10:00

`workitem.removed_at` (removed at the source or deleted by hand: in no figure), `flowday`
(the portfolio's moves per day and done items' figures per week) and `flowtally` (live items
per initiative and column), filled here from the existing items and history.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pmo_saas.rls import disable_tenant_rls, enable_tenant_rls, grant_existing

revision: str = "0920_delivery_flow_rollup"
down_revision: str | Sequence[str] | None = "1320_pmo_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0900_delivery",)

TENANT_TABLES = ("flowday", "flowtally")


def _utc(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _tenths(days: float) -> int:
    return round(float(f"{days:.1f}") * 10)


def _backfill() -> None:
    """The roll-ups of the history already there (history.py keeps them from now on)."""
    bind = op.get_bind()
    days: dict[tuple[int, int, str, date, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for org, pid, at, old, new in bind.execute(
        sa.text(
            "SELECT org_id, portfolio_id, at, from_status, to_status FROM statuschange "
            "WHERE work_item_id IS NOT NULL"
        )
    ):
        days[(org, pid, "move", _utc(at).date(), f"{old or ''}>{new}")][0] += 1
    for org, pid, done_at, cycle, lead, active, waiting in bind.execute(
        sa.text(
            "SELECT org_id, portfolio_id, done_at, cycle_days, lead_days, active_days, "
            "waiting_days FROM workitem WHERE done_at IS NOT NULL"
        )
    ):
        day = _utc(done_at).date()
        week = day - timedelta(days=day.weekday())
        days[(org, pid, "done", week, "")][0] += 1
        days[(org, pid, "active", week, "")][1] += active
        days[(org, pid, "waiting", week, "")][1] += waiting
        if cycle is not None:
            days[(org, pid, "cycle", week, str(_tenths(cycle)))][0] += 1
        if lead is not None:
            days[(org, pid, "lead", week, str(_tenths(lead)))][0] += 1
    rows = [
        {"o": o, "p": p, "m": m, "d": d, "k": k, "n": int(s[0]), "t": float(s[1])}
        for (o, p, m, d, k), s in days.items()
    ]
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO flowday (org_id, portfolio_id, measure, day, key, n, total) "
                "VALUES (:o, :p, :m, :d, :k, :n, :t)"
            ),
            rows,
        )
    bind.execute(
        sa.text(
            "INSERT INTO flowtally (org_id, portfolio_id, initiative_id, status, n) "
            "SELECT org_id, portfolio_id, initiative_id, status, count(*) FROM workitem "
            "GROUP BY org_id, portfolio_id, initiative_id, status"
        )
    )


def upgrade() -> None:
    with op.batch_alter_table("workitem", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.drop_index("ix_workitem_org_portfolio_status")
        batch_op.create_index(
            "ix_workitem_org_portfolio_status",
            ["org_id", "portfolio_id", "status", "started_at", "removed_at"],
            unique=False,
        )
    op.create_table(
        "flowday",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "portfolio_id", "measure", "day", "key", name="uq_flowday"),
    )
    op.create_index(op.f("ix_flowday_org_id"), "flowday", ["org_id"], unique=False)
    op.create_table(
        "flowtally",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "initiative_id", "status", name="uq_flowtally"),
    )
    op.create_index(op.f("ix_flowtally_org_id"), "flowtally", ["org_id"], unique=False)
    op.create_index(
        "ix_flowtally_org_portfolio",
        "flowtally",
        ["org_id", "portfolio_id", "initiative_id"],
        unique=False,
    )
    grant_existing(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)
    _backfill()


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_flowtally_org_portfolio", table_name="flowtally")
    op.drop_index(op.f("ix_flowtally_org_id"), table_name="flowtally")
    op.drop_table("flowtally")
    op.drop_index(op.f("ix_flowday_org_id"), table_name="flowday")
    op.drop_table("flowday")
    with op.batch_alter_table("workitem", schema=None) as batch_op:
        batch_op.drop_index("ix_workitem_org_portfolio_status")
        batch_op.create_index(
            "ix_workitem_org_portfolio_status", ["org_id", "portfolio_id", "status"], unique=False
        )
        batch_op.drop_column("removed_at")
