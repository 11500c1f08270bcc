"""The capacity CSV (columns team, quarter, people, days_per_person, value_stream): a preview
that checks every line and writes nothing, then the import, which writes only when confirmed
and only a file without errors (one transaction: nothing is half-imported)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, select

from pmo_saas.capacity.schemas import CsvLine, CsvPreview
from pmo_saas.capacity.services.capacity import write_capacity
from pmo_saas.capacity.services.common import (
    MAX_DAYS_PER_PERSON,
    MAX_PEOPLE,
    clean_number,
    clean_quarter,
    clean_stream,
    require_manage,
)
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, ValidationFailed

COLUMNS = ("team", "quarter", "people", "days_per_person", "value_stream")
REQUIRED = COLUMNS[:4]
MAX_CHARS = 1_000_000
MAX_LINES = 5_000


def _read(
    session: Session, text: str
) -> tuple[CsvPreview, list[tuple[int, str, float, float, str]]]:
    if len(text) > MAX_CHARS:
        return CsvPreview(lines=[], errors=1, file_error="The file is larger than 1 MB."), []
    try:
        return _read_lines(session, text)
    except csv.Error as error:  # e.g. a field over the csv module's size limit
        return CsvPreview(lines=[], errors=1, file_error=f"The file is not valid CSV: {error}."), []


def _read_lines(
    session: Session, text: str
) -> tuple[CsvPreview, list[tuple[int, str, float, float, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        message = f"The file needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}."
        return CsvPreview(lines=[], errors=1, file_error=message), []
    reader.fieldnames = header
    teams = {
        name.lower(): tid for tid, name in session.exec(select(Team.id, func.trim(Team.name))).all()
    }
    lines: list[CsvLine] = []
    good: list[tuple[int, str, float, float, str]] = []
    seen: set[tuple[int, str]] = set()
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_LINES:
            return CsvPreview(lines=lines, errors=1, file_error="The file has over 5000 lines."), []
        cell = {c: str(raw.get(c) or "").strip() for c in COLUMNS}
        line = CsvLine(line=number, **cell)
        try:
            team_id = teams.get(cell["team"].lower())
            if team_id is None:
                raise ValidationFailed(f"No team called “{cell['team']}”.")
            quarter = clean_quarter(cell["quarter"])
            people = clean_number(cell["people"], what="people", maximum=MAX_PEOPLE)
            days = clean_number(
                cell["days_per_person"], what="days per person", maximum=MAX_DAYS_PER_PERSON
            )
            stream = clean_stream(cell["value_stream"])
            if (team_id, quarter) in seen:
                raise ValidationFailed(f"{cell['team']} {quarter} appears twice in the file.")
            seen.add((team_id, quarter))
            good.append((team_id, quarter, people, days, stream))
        except DomainError as error:
            line.error = str(error)
        lines.append(line)
    errors = sum(1 for ln in lines if ln.error)
    return CsvPreview(lines=lines, errors=errors), good


def preview_capacity_csv(*, session: Session, ctx: TenantContext, text: str) -> CsvPreview:
    """Every line checked, with its error; nothing is written."""
    require_manage(ctx)
    return _read(session, text)[0]


def import_capacity_csv(
    *,
    session: Session,
    ctx: TenantContext,
    text: str,
    confirm: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the file's capacities (each replaces that team's quarter). Refused without
    `confirm` or when any line has an error. Returns the number of lines written;
    `progress(done, total)` is told after each (the page's bar)."""
    require_manage(ctx)
    if not confirm:
        raise ValidationFailed("Check the preview, then confirm the import.")
    preview, good = _read(session, text)
    if preview.file_error or preview.errors:
        raise ValidationFailed(
            preview.file_error or f"{preview.errors} line(s) have errors: fix them and try again."
        )
    for done, (team_id, quarter, people, days, stream) in enumerate(good, start=1):
        write_capacity(
            session,
            ctx,
            team_id=team_id,
            quarter=quarter,
            people=people,
            days_per_person=days,
            value_stream=stream,
        )
        if progress is not None:
            progress(done, len(good))
    session.flush()
    audit.record(session=session, ctx=ctx, action="capacity.imported", detail=f"{len(good)} lines")
    return len(good)
