"""Adoption (pages/practice.py, pages/matrix.py): a team records how far it has taken up a
practice; the teams x practices matrix and its CSV export.

Members record the adoption of their own teams; coaches, admins and owners any team's.
"""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.practices.models import (
    ADAPTED,
    ADOPTION_LABELS,
    ADOPTION_STATUSES,
    NOT_STARTED,
    Practice,
    PracticeAdoption,
)
from pmo_saas.practices.schemas import (
    AdoptionCellRow,
    AdoptionMatrix,
    AdoptionRow,
    MatrixCell,
    MatrixRow,
)
from pmo_saas.practices.services.common import (
    clean_text,
    get_practice,
    get_team,
    iso,
    my_team_ids,
    practice_rows,
)
from pmo_saas.practices.services.playbook import list_practices

OWN_TEAMS_ONLY = "You can record the adoption of your own teams only; a coach records others."


def record_adoption(
    *,
    session: Session,
    ctx: TenantContext,
    practice_id: int,
    team_id: int,
    status: str,
    note: str = "",
) -> AdoptionRow:
    """Set a team's adoption of a practice. "Adapted" needs a note on how it was adapted."""
    practice = get_practice(session, practice_id)
    team = get_team(session, team_id)
    if not ctx.has(Role.COACH) and (
        ctx.role == Role.VIEWER or team_id not in my_team_ids(session, ctx)
    ):
        raise Forbidden(OWN_TEAMS_ONLY)
    if status not in ADOPTION_STATUSES:
        raise ValidationFailed(
            "Choose the adoption: not started, trying, adopted or adapted.", field="status"
        )
    note = clean_text(note, what="note")
    if status == ADAPTED and not note:
        raise ValidationFailed("Say in the note how the team adapted the practice.", field="note")
    row = session.exec(
        select(PracticeAdoption).where(
            PracticeAdoption.practice_id == practice_id, PracticeAdoption.team_id == team_id
        )
    ).first() or PracticeAdoption(practice_id=practice_id, team_id=team_id)
    row.status, row.note, row.updated_by_id, row.updated_at = status, note, ctx.user_id, utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="practice.adoption_recorded",
        target=practice.title,
        detail=f"{team.name}: {ADOPTION_LABELS[status]}",
    )
    assert team.id is not None
    return AdoptionRow(
        team_id=team.id,
        team_name=team.name,
        status=status,
        status_label=ADOPTION_LABELS[status],
        note=note,
        can_record=True,
        updated_at=iso(row.updated_at),
    )


def adoption_matrix(*, session: Session, ctx: TenantContext) -> AdoptionMatrix:
    """Teams (rows) x practices (columns); a team without a record has not started."""
    practices = session.exec(select(Practice).order_by(Practice.title)).all()
    teams = session.exec(select(Team).order_by(Team.name)).all()
    status = {
        (a.team_id, a.practice_id): a.status for a in session.exec(select(PracticeAdoption)).all()
    }
    rows = []
    for team in teams:
        assert team.id is not None
        cells = []
        for p in practices:
            assert p.id is not None
            s = status.get((team.id, p.id), NOT_STARTED)
            cells.append(MatrixCell(practice_id=p.id, status=s, label=ADOPTION_LABELS[s]))
        rows.append(MatrixRow(team_id=team.id, team_name=team.name, cells=cells))
    return AdoptionMatrix(practices=practice_rows(session, ctx, practices), rows=rows)


def adoption_cells(*, session: Session, ctx: TenantContext) -> list[AdoptionCellRow]:
    """The matrix flat, team by team (by name), practice by practice (by title)."""
    matrix = adoption_matrix(session=session, ctx=ctx)
    titles = {p.id: p.title for p in matrix.practices}
    return [
        AdoptionCellRow(
            team_id=row.team_id,
            team_name=row.team_name,
            practice_id=cell.practice_id,
            practice_title=titles[cell.practice_id],
            status=cell.status,
            label=cell.label,
        )
        for row in matrix.rows
        for cell in row.cells
    ]


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_adoption_csv(*, session: Session, ctx: TenantContext) -> str:
    """The matrix as CSV: one line per team, one column per practice."""
    matrix = adoption_matrix(session=session, ctx=ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["team", *[_safe_cell(p.title) for p in matrix.practices]])
    for row in matrix.rows:
        writer.writerow([_safe_cell(row.team_name), *[c.label for c in row.cells]])
    return out.getvalue()


def export_practices_csv(*, session: Session, ctx: TenantContext) -> str:
    """The playbook as CSV: one line per practice."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["practice", "framework", "purpose", "owner", "version", "dimensions", "adopted_teams"]
    )
    for p in list_practices(session=session, ctx=ctx):
        writer.writerow(
            [
                _safe_cell(p.title),
                _safe_cell(p.framework),
                _safe_cell(p.purpose),
                _safe_cell(p.owner_name),
                p.version,
                _safe_cell("; ".join(p.dimension_names)),
                p.adopted_teams,
            ]
        )
    return out.getvalue()
