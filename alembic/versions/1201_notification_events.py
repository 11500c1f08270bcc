"""notification events: a notification's event key, unique per recipient

Revision ID: 1201_notification_events
Revises: 1200_collaboration
Create Date: 2026-12-02 06:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "1201_notification_events"
down_revision: str | Sequence[str] | None = "1310_programmes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_key", sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint(
            "uq_notification_event", ["org_id", "recipient_id", "event_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notification_event", type_="unique")
        batch_op.drop_column("event_key")
