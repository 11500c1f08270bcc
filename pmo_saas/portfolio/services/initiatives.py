"""Initiatives: create, edit, move on the board, archive, list; their scores; CSV import and
export (pages/initiatives.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.moves import Move, record_move
from pmo_saas.portfolio import csvio, fields, scoring
from pmo_saas.portfolio.models import (
    Dependency,
    Initiative,
    Score,
)
from pmo_saas.portfolio.schemas import (
    BoardColumn,
    ImportPreview,
    ImportResult,
    ImportRowError,
    InitiativeRow,
)
from pmo_saas.portfolio.services._common import (
    MANAGE,
    MANAGE_MESSAGE,
    _can_write,
    _criteria,
    _dependencies,
    _initiative,
    _initiative_facts,
    _initiatives,
    _portfolio,
    _scores,
    _upsert_score,
)

EDITABLE = (
    "title",
    "description",
    "owner",
    "value_stream",
    "status",
    "cost",
    "job_size",
    "start_date",
    "end_date",
    "moscow",
    "tags",
    "depends_on",
)


def _clean_initiative_fields(data: Mapping[str, object]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(f"Unknown initiative field(s): {', '.join(unknown)}.")
    clean: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "title":
            clean[key] = fields.clean_text(raw, what="title", max_length=200, required=True)
        elif key == "description":
            clean[key] = fields.clean_text(raw, what="description", max_length=10_000)
        elif key in ("owner", "value_stream"):
            clean[key] = fields.clean_text(raw, what=key.replace("_", " "), max_length=120)
        elif key == "status":
            clean[key] = fields.clean_status(raw)
        elif key == "cost":
            clean[key] = fields.clean_money(raw)
        elif key == "job_size":
            empty = raw is None or (isinstance(raw, str) and not raw.strip())
            clean[key] = None if empty else scoring.ALL_FIXED_INPUTS["job_size"].parse(raw)
        elif key in ("start_date", "end_date"):
            clean[key] = fields.clean_date(raw, what=key.replace("_", " "))
        elif key == "moscow":
            clean[key] = fields.clean_moscow(raw)
        elif key == "tags":
            clean[key] = fields.clean_tags(raw)
        elif key == "depends_on":
            if not isinstance(raw, list | tuple | set):
                raise ValidationFailed("Dependencies are a list of initiatives.")
            try:
                clean[key] = sorted({int(str(i)) for i in raw})
            except ValueError:
                raise ValidationFailed("Dependencies are a list of initiatives.") from None
    return clean


def _check_title_free(
    session: Session, portfolio_id: int, title: str, except_id: int | None = None
) -> None:
    query = select(Initiative.id).where(
        Initiative.portfolio_id == portfolio_id, Initiative.title == title
    )
    if except_id is not None:
        query = query.where(Initiative.id != except_id)
    if session.exec(query).first():
        raise Conflict(f"An initiative called “{title}” exists in this portfolio.")


def _check_dependencies(
    session: Session, initiative: Initiative, depends_on: Sequence[int]
) -> None:
    """Same portfolio, not itself, and no cycle (the cycle is named)."""
    if initiative.id is not None and initiative.id in depends_on:
        raise ValidationFailed("An initiative cannot depend on itself.", field="depends_on")
    if not depends_on:
        return
    targets = session.exec(
        select(Initiative.id).where(
            col(Initiative.id).in_(list(depends_on)),
            Initiative.portfolio_id == initiative.portfolio_id,
        )
    ).all()
    if len(set(targets)) != len(set(depends_on)):
        raise NotFound("A dependency")
    if initiative.id is None:
        return  # a new initiative has no dependants yet, so it cannot close a cycle
    edges = {initiative.id: list(depends_on)}  # searched first: the cycle starts with it
    for source, targets in _dependencies(session, initiative.portfolio_id).items():
        edges.setdefault(source, targets)
    cycle = fields.find_cycle(edges)
    if cycle:
        titles = {
            i.id: i.title
            for i in _initiatives(session, initiative.portfolio_id, include_archived=True)
            if i.id is not None
        }
        raise ValidationFailed(fields.cycle_message(cycle, titles), field="depends_on")


def _replace_dependencies(session: Session, initiative_id: int, depends_on: Sequence[int]) -> None:
    session.exec(delete(Dependency).where(col(Dependency.initiative_id) == initiative_id))
    for dep in depends_on:
        session.add(Dependency(initiative_id=initiative_id, depends_on_id=dep))


def _moved(
    session: Session, ctx: TenantContext, initiative: Initiative, old: str | None, source: str
) -> None:
    """The status history (kept by the delivery domain, through kernel.moves) hears of it."""
    if old == initiative.status:
        return
    assert initiative.id is not None
    record_move(
        session,
        Move(
            portfolio_id=initiative.portfolio_id,
            initiative_id=initiative.id,
            from_status=old,
            to_status=initiative.status,
            at=initiative.updated_at,
            by_user_id=ctx.user_id,
            source=source,
        ),
    )


def create_initiative(
    *, session: Session, ctx: TenantContext, portfolio_id: int, data: Mapping[str, object]
) -> int:
    """`data` holds any of EDITABLE (strings as typed, or typed values); title is required."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    clean = _clean_initiative_fields({"title": "", **data})
    fields.check_dates(clean.get("start_date"), clean.get("end_date"))
    _check_title_free(session, portfolio_id, clean["title"])
    depends_on = clean.pop("depends_on", [])
    job_size = clean.pop("job_size", None)
    initiative = Initiative(portfolio_id=portfolio_id, **clean)
    _check_dependencies(session, initiative, depends_on)
    initiative_id = audit.add_audited(
        session=session,
        ctx=ctx,
        row=initiative,
        action="initiative.created",
        target=initiative.title,
        detail=f"portfolio {portfolio.name}",
    )
    _replace_dependencies(session, initiative_id, depends_on)
    if job_size is not None:
        _upsert_score(session, initiative_id, "job_size", job_size)
    _moved(session, ctx, initiative, None, "created")
    return initiative_id


def update_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, data: Mapping[str, object]
) -> None:
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    clean = _clean_initiative_fields(data)
    start = clean.get("start_date", initiative.start_date)
    end = clean.get("end_date", initiative.end_date)
    fields.check_dates(start, end)
    if "title" in clean:
        _check_title_free(session, initiative.portfolio_id, clean["title"], initiative_id)
    if "depends_on" in clean:
        _check_dependencies(session, initiative, clean["depends_on"])
        _replace_dependencies(session, initiative_id, clean.pop("depends_on"))
    if "job_size" in clean:
        _upsert_score(session, initiative_id, "job_size", clean.pop("job_size"))
    old_status = initiative.status
    for key, value in clean.items():
        setattr(initiative, key, value)
    initiative.updated_at = utcnow()
    session.add(initiative)
    _moved(session, ctx, initiative, old_status, "edit")
    audit.record(
        session=session,
        ctx=ctx,
        action="initiative.updated",
        target=initiative.title,
        detail=", ".join(sorted(data)),
    )


def move_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, status: str
) -> None:
    """Move a card along the portfolio kanban."""
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    old, initiative.status = initiative.status, fields.clean_status(status)
    initiative.updated_at = utcnow()
    session.add(initiative)
    _moved(session, ctx, initiative, old, "board")
    audit.record(
        session=session,
        ctx=ctx,
        action="initiative.moved",
        target=initiative.title,
        detail=f"{old} → {initiative.status}",
    )


def set_dependencies(
    *, session: Session, ctx: TenantContext, initiative_id: int, depends_on: Sequence[int]
) -> None:
    update_initiative(
        session=session, ctx=ctx, initiative_id=initiative_id, data={"depends_on": depends_on}
    )


def archive_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, archived: bool = True
) -> None:
    _can_write(session, ctx)
    initiative = _initiative(session, initiative_id)
    initiative.archived_at = utcnow() if archived else None
    initiative.updated_at = utcnow()
    session.add(initiative)
    action = "initiative.archived" if archived else "initiative.restored"
    audit.record(session=session, ctx=ctx, action=action, target=initiative.title)


def _initiative_rows(
    session: Session,
    initiatives: Sequence[Initiative],
    everyone: Sequence[Initiative] | None = None,
) -> list[InitiativeRow]:
    """Rows of `initiatives`; `everyone` (the portfolio's initiatives, archived too, when the
    caller has read them already) names the dependencies without reading them again."""
    if not initiatives:
        return []
    portfolio_id = initiatives[0].portfolio_id
    scores = _scores(session, portfolio_id)
    deps = _dependencies(session, portfolio_id)
    if everyone is None:
        everyone = _initiatives(session, portfolio_id, include_archived=True)
    titles = {i.id: i.title for i in everyone if i.id is not None}
    rows = []
    for i in initiatives:
        assert i.id is not None
        mine = scores.get(i.id, {})
        rows.append(
            InitiativeRow(
                id=i.id,
                portfolio_id=i.portfolio_id,
                title=i.title,
                description=i.description,
                owner=i.owner,
                value_stream=i.value_stream,
                status=i.status,
                cost=i.cost,
                job_size=mine.get("job_size"),
                start_date=i.start_date.isoformat() if i.start_date else None,
                end_date=i.end_date.isoformat() if i.end_date else None,
                moscow=i.moscow,
                tags=fields.tag_list(i.tags),
                depends_on=deps.get(i.id, []),
                depends_on_titles=[titles.get(d, "?") for d in deps.get(i.id, [])],
                scores=dict(mine),
                archived=i.archived_at is not None,
                origin=f"From {i.origin_title}" if i.origin_kind else "",
            )
        )
    return rows


def list_initiatives(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    include_archived: bool = False,
    status: str | None = None,
    tag: str | None = None,
    value_stream: str | None = None,
) -> list[InitiativeRow]:
    """The table view, filtered."""
    _portfolio(session, portfolio_id)
    everyone = _initiatives(session, portfolio_id, include_archived=True)
    found = [i for i in everyone if include_archived or i.archived_at is None]
    if status:
        found = [i for i in found if i.status == status]
    if tag:
        found = [i for i in found if tag.lower() in fields.tag_list(i.tags)]
    if value_stream:
        found = [i for i in found if i.value_stream == value_stream]
    return _initiative_rows(session, found, everyone)


def get_initiative(*, session: Session, ctx: TenantContext, initiative_id: int) -> InitiativeRow:
    return _initiative_rows(session, [_initiative(session, initiative_id)])[0]


def board(*, session: Session, ctx: TenantContext, portfolio_id: int) -> list[BoardColumn]:
    """The kanban: one column per status, funnel to done."""
    rows = list_initiatives(session=session, ctx=ctx, portfolio_id=portfolio_id)
    return [
        BoardColumn(status=s, label=label, cards=[r for r in rows if r.status == s])
        for s, label in fields.STATUSES.items()
    ]


# ---------------------------------------------------------------- CSV import and export


def _existing_titles(session: Session, portfolio_id: int) -> dict[str, int]:
    return {
        i.title.lower(): i.id
        for i in _initiatives(session, portfolio_id, include_archived=True)
        if i.id is not None
    }


def preview_import(
    *, session: Session, ctx: TenantContext, portfolio_id: int, data: bytes
) -> ImportPreview:
    """Every row checked and every problem listed; nothing is written."""
    ctx.require(MANAGE, MANAGE_MESSAGE)
    _portfolio(session, portfolio_id)
    reading = csvio.read_initiatives_csv(
        data, existing_titles=_existing_titles(session, portfolio_id)
    )
    return ImportPreview(
        columns=reading.columns,
        rows=[r.raw for r in reading.rows],
        errors=[ImportRowError(row=line, message=msg) for line, msg in reading.errors],
        file_errors=reading.file_errors,
    )


# Flushing in batches keeps a large import linear (each flush inspects every pending object).
FLUSH_EVERY = 500


def import_initiatives(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    data: bytes,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Write the previewed rows in one transaction; with row errors, only if `skip_invalid`.
    `progress(done, total)` is told as the rows are written (the page's progress bar)."""
    _can_write(session, ctx)
    portfolio = _portfolio(session, portfolio_id)
    existing = _existing_titles(session, portfolio_id)
    reading = csvio.read_initiatives_csv(data, existing_titles=existing)
    if reading.file_errors:
        raise ValidationFailed(" ".join(reading.file_errors), field="file")
    if reading.errors and not skip_invalid:
        lines = ", ".join(str(line) for line, _ in reading.errors)
        raise ValidationFailed(
            f"Line(s) {lines} have errors. Fix them, or import only the valid rows.",
            field="file",
        )
    if not reading.rows:
        raise ValidationFailed("The file has no valid rows to import.", field="file")
    ids = dict(existing)
    created: list[Initiative] = []
    told = progress or (lambda done, total: None)
    steps = 2 * len(reading.rows)  # the rows, then their links and scores
    for n, row in enumerate(reading.rows, start=1):
        initiative = Initiative(portfolio_id=portfolio_id, **row.values)  # type: ignore[arg-type]
        session.add(initiative)
        created.append(initiative)
        if n % FLUSH_EVERY == 0:
            session.flush()
            told(n, steps)
    session.flush()
    told(len(created), steps)
    for initiative in created:
        assert initiative.id is not None
        ids[initiative.title.lower()] = initiative.id
        _moved(session, ctx, initiative, None, "import")
    pending = 0
    for k, (row, initiative) in enumerate(zip(reading.rows, created, strict=True), start=1):
        assert initiative.id is not None
        links = [
            Dependency(initiative_id=initiative.id, depends_on_id=dep)
            for dep in sorted({ids[d.lower()] for d in row.depends_on})
        ]
        scores = [
            Score(initiative_id=initiative.id, key=key, value=value)
            for key, value in row.scores.items()
        ]
        session.add_all([*links, *scores])
        pending += len(links) + len(scores)
        if pending >= FLUSH_EVERY:
            session.flush()
            pending = 0
            told(len(created) + k, steps)
    skipped = [line for line, _ in reading.errors]
    audit.record(
        session=session,
        ctx=ctx,
        action="initiatives.imported",
        target=portfolio.name,
        detail=f"{len(created)} created" + (f"; skipped lines {skipped}" if skipped else ""),
    )
    return ImportResult(created=len(created), skipped_rows=skipped)


def export_initiatives(
    *, session: Session, ctx: TenantContext, portfolio_id: int, include_archived: bool = False
) -> str:
    rows = list_initiatives(
        session=session, ctx=ctx, portfolio_id=portfolio_id, include_archived=include_archived
    )
    return csvio.write_initiatives_csv(
        {
            **r.model_dump(include=set(csvio.INITIATIVE_COLUMNS)),
            "depends_on": r.depends_on_titles,
            "tags": r.tags,
            **{k: r.scores[k] for k in csvio.SCORE_COLUMNS if k in r.scores},
        }
        for r in rows
    )


# ---------------------------------------------------------------- scores


def set_scores(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    scores: Mapping[str, object],
) -> dict[str, float | None]:
    """Set (or, with None or "", clear back to "not scored") inputs; all or nothing.
    Returns the values stored, by key (None: not scored)."""
    _can_write(session, ctx)
    session.flush()  # this transaction's ORM writes first: an edit's new title is the audit's
    initiative_id, title, portfolio_id = _initiative_facts(session, initiative_id)
    # A criterion's scale is read only for a criterion's key (WSJF and RICE inputs are fixed).
    fixed = all(key in scoring.ALL_FIXED_INPUTS for key in scores)
    criteria = [] if fixed else _criteria(session, portfolio_id)
    clean: dict[str, float | None] = {}
    for key, raw in scores.items():
        spec = scoring.spec_for(key, criteria)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        clean[key] = None if empty else spec.parse(raw, where=title)
    for key, value in clean.items():
        _upsert_score(session, initiative_id, key, value)
    audit.record_now(
        session=session,
        ctx=ctx,
        action="initiative.scored",
        target=title,
        detail=", ".join(f"{k}={'not scored' if v is None else v}" for k, v in clean.items()),
    )
    return clean
