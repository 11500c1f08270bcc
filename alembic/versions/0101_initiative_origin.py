"""initiative origin: the initiative records where it came from (a coaching item)

Revision ID: 0101_initiative_origin
Revises: 0100_portfolio
Create Date: 2026-12-01 21:10:00

The portfolio used to ask coaching "which initiatives came from you?" (portfolio imported
coaching, coaching reached portfolio through importlib: a cycle). The initiative now keeps
the origin itself; existing promoted coaching items are copied over, nothing is dropped from
coaching (its actions keep `initiative_id`), so a downgrade loses nothing either.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0101_initiative_origin"
down_revision: str | Sequence[str] | None = "0100_portfolio"
branch_labels: str | Sequence[str] | None = None
# The data copy reads coaching's promoted actions.
depends_on: str | Sequence[str] | None = ("0600_coaching",)


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch table copy would drop and
    # re-create `initiative`, and with foreign keys on, that deletes its dependants' rows.
    op.add_column(
        "initiative",
        sa.Column(
            "origin_kind",
            sqlmodel.sql.sqltypes.AutoString(length=40),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column("initiative", sa.Column("origin_id", sa.Integer(), nullable=True))
    op.add_column(
        "initiative",
        sa.Column(
            "origin_title",
            sqlmodel.sql.sqltypes.AutoString(length=300),
            nullable=False,
            server_default="",
        ),
    )
    bind = op.get_bind()
    promoted = bind.execute(
        sa.text(
            "SELECT a.id, a.org_id, a.initiative_id, p.title, t.name "
            "FROM coachingaction a JOIN coachingplan p ON p.id = a.plan_id "
            "LEFT JOIN team t ON t.id = p.team_id "
            "WHERE a.initiative_id IS NOT NULL"
        )
    ).all()
    for action_id, org_id, initiative_id, plan_title, team_name in promoted:
        title = f"coaching plan {plan_title}" + (f" (team {team_name})" if team_name else "")
        bind.execute(
            sa.text(
                "UPDATE initiative SET origin_kind = 'coaching_action', origin_id = :action, "
                "origin_title = :title WHERE id = :initiative AND org_id = :org"
            ),
            {"action": action_id, "title": title[:300], "initiative": initiative_id, "org": org_id},
        )


def downgrade() -> None:
    for column in ("origin_title", "origin_id", "origin_kind"):
        op.drop_column("initiative", column)
