"""The respondent's page: a personal or open link opens the form; a submission is sealed.

Answering precedes any sign-in: `load_survey_form` and `submit_response` find the
organisation from the token, then work in that organisation's tenant session."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, NoReturn

from sqlalchemy import (
    Connection,
    Integer,
    LargeBinary,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from pmo_saas.db import (
    bump_after_commit,
    commit_then_bump,
    find_tenant,
    get_engine,
    system_session,
    tenant_org_id,
    tenant_rows,
    tenant_session,
)
from pmo_saas.identity.security import hash_token
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.kept import Kept
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import tally
from pmo_saas.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyLink,
    SurveyOpenKey,
    SurveyQuestion,
    SurveySealedResponse,
    SurveyTeam,
)
from pmo_saas.surveys.schemas import (
    QuestionForm,
    SurveyForm,
)
from pmo_saas.surveys.services.common import (
    OPEN,
    InvalidLink,
    _date,
    _options,
    _questions,
    _spec,
    _survey,
)
from pmo_saas.surveys.wedid.services import since_last_round

log = logging.getLogger("pmo_saas.surveys")

# A question's id and what checking an answer to it needs.
QuestionRef = tuple[int, ins.QuestionSpec]

# ---------------------------------------------------------------- answering through a link


# A personal link's token or a team's open-link token: built once (its shape never changes).
_TOKEN_LOOKUP: Any = union_all(
    select(
        col(SurveyInvitation.org_id),
        col(SurveyInvitation.survey_id),
        col(SurveyInvitation.survey_team_id),
        col(SurveyInvitation.id),
    )
    .join(SurveyLink, col(SurveyLink.invitation_id) == SurveyInvitation.id)
    .where(SurveyLink.token_hash == bindparam("token_hash")),
    select(col(SurveyTeam.org_id), col(SurveyTeam.survey_id), col(SurveyTeam.id), null()).where(
        SurveyTeam.open_token_hash == bindparam("token_hash")
    ),
).limit(1)


def _resolve_token(
    token: str, *, bind: Connection | None = None
) -> tuple[int, int, int, int | None]:
    """(org_id, survey_id, survey_team_id, invitation_id or None for an open link), in one
    read: a personal link's token or a team's open-link token (on `bind`, the connection
    the submission then goes on with, where the read also takes the organisation's tenant
    scope for the tenant session that follows)."""
    if not token or len(token) > 200:
        raise InvalidLink()
    if bind is not None:  # no organisation yet: a system read
        row = find_tenant(bind, _TOKEN_LOOKUP, {"token_hash": hash_token(token)})
    else:
        with system_session() as session:
            row = session.execute(_TOKEN_LOOKUP, {"token_hash": hash_token(token)}).first()
    if row is None:
        raise InvalidLink()
    org_id, survey_id, team_id, invitation_id = row
    return int(org_id), int(survey_id), int(team_id), invitation_id


def _respondent_ctx(org_id: int) -> TenantContext:
    # Nobody is signed in: a respondent acts without a user id.
    return TenantContext(org_id=org_id, user_id=None, role=Role.MEMBER)


def _check_accepting(survey: Survey) -> None:
    _check_open(survey.status, survey.closes_at)


def _check_open(status: str, closes_at: datetime) -> None:
    if status != OPEN:
        raise Conflict("This survey has closed; answers are no longer collected. Thank you!")
    if as_utc(closes_at) < utcnow():
        raise Conflict(
            f"This survey link expired on {_date(closes_at)}; answers are no longer collected."
        )


def load_survey_form(*, token: str, submission_key: str | None = None) -> SurveyForm:
    """What a respondent sees when opening their link (refused if used, expired or unknown).

    For an open link, `submission_key` is the key the browser keeps for it."""
    org_id, survey_id, team_id, invitation_id = _resolve_token(token)
    ctx = _respondent_ctx(org_id)
    with tenant_session(ctx) as session:
        survey = _survey(session, survey_id)
        _check_accepting(survey)
        if invitation_id is not None:
            invitation = session.get(SurveyInvitation, invitation_id)
            if invitation is None:
                raise InvalidLink()
            if invitation.answered:
                raise Conflict(_USED_MESSAGE)
        team = session.get(SurveyTeam, team_id)
        if invitation_id is None:
            assert team is not None
            _check_open_link(session, survey, team, submission_key)
        return SurveyForm(
            title=survey.title,
            instrument=survey.instrument,
            team_name=team.team_name if team else "",
            closes_at=_date(survey.closes_at),
            personal=invitation_id is not None,
            we_did=since_last_round(session, ctx, survey, team),
            questions=[
                QuestionForm(
                    key=q.key,
                    kind=q.kind,
                    prompt=q.prompt,
                    options=_spec(q).options,
                    scale=ins.scale_labels(q.kind),
                    required=q.required,
                )
                for q in _questions(session, survey_id)
            ],
        )


_USED_MESSAGE = (
    "This link has already been used: your answers were received and counted once. Thank you!"
)
_BROWSER_USED = (
    "This browser has already answered through this link: each browser answers once, so a "
    "reload cannot add answers. Thank you!"
)


def _open_key_hash(survey_id: int, submission_key: str) -> str:
    return hash_token(f"{survey_id}:{submission_key}")


class AlreadyReceived(Conflict):
    """The same filled-in form was sent again (a reply lost with a crashed server, a retry)
    after its answers were stored: nothing more to do, and the respondent is told so."""

    def __init__(self) -> None:
        Conflict.__init__(
            self,
            "Your answers were already received. They count once; there is nothing more to "
            "do. Thank you!",
        )


def _receipt_hash(survey_id: int, form_key: str) -> str:
    # Not the open link's key: a receipt names one filled-in form, never a browser or person.
    return hash_token(f"{survey_id}:receipt:{form_key}")


def _check_open_link(
    session: Session, survey: Survey, team: SurveyTeam, submission_key: str | None
) -> None:
    """An open link answers only on an open-link survey, once per browser, up to its cap."""
    assert survey.id is not None
    if not survey.open_links:
        _refuse_open_link_of_personal_survey()
    if submission_key:
        used = session.get(SurveyOpenKey, _open_key_hash(survey.id, submission_key))
        if used is not None:
            raise Conflict(_BROWSER_USED)
    if team.open_responses >= (team.open_cap or 0):
        _refuse_full_open_link(team.open_cap or 0)


def _refuse_open_link_of_personal_survey() -> NoReturn:
    raise Conflict(
        "This open link no longer works: the survey uses personal links, sent by email. "
        "Answer through your personal link."
    )


def _refuse_full_open_link(cap: int) -> NoReturn:
    raise Conflict(
        f"This open link has taken all the answers it was made for ({cap}, set when the "
        "survey was launched), so it accepts no more. Ask the person running the survey."
    )


def submit_response(
    *,
    token: str,
    answers: dict[str, Any],
    submission_key: str | None = None,
    form_key: str | None = None,
) -> None:
    """Store one anonymous response, sealed until the survey closes. A personal link works
    once; an open link once per browser (`submission_key`: the key the browser keeps for
    it, so a reload brings the same one) and up to the link's cap.

    `form_key` names this filled-in form (the page makes one per form it shows): sent again
    after its answers were stored, it raises `AlreadyReceived` rather than "already used",
    so a respondent whose reply was lost (a server that crashed after storing) knows.

    The least work that keeps a response exactly-once and unlinkable, on one connection: the
    token's look-up; then, in the tenant session, the team's counter (the per-team lock, its
    first write) and, under that lock, the survey's status, the receipt, participation or
    the browser's key and the sealed row (on PostgreSQL one statement, in the look-up's
    transaction). The organisation's data version is bumped after the commit (on SQLite,
    whose writers queue anyway, inside the transaction), so that
    submissions never queue on the organisation's row (every writer of the organisation
    locks it) and hold only their team's rows: the close and the deletion of a survey take
    its team locks before the rows a submission writes, so neither can deadlock with one."""
    form_key = form_key if form_key and len(form_key) <= 200 else ""
    with get_engine().connect() as conn:
        # PostgreSQL: one transaction (the look-up runs before the tenant role is taken). On
        # SQLite the look-up is its own: a transaction that read before it writes cannot
        # take the write lock once another writer has committed since its read.
        if conn.dialect.name != "postgresql":
            with conn.begin():
                found = _resolve_token(token, bind=conn)
        transaction = conn.begin()  # committed with the version bump after it
        try:
            if conn.dialect.name == "postgresql":
                found = _resolve_token(token, bind=conn)
            submission = _submission(found, submission_key, form_key)
            with tenant_session(_respondent_ctx(submission.org_id), engine=conn) as session:
                held = bump_after_commit(session)
                _submit(session, submission, answers)
        except BaseException:
            if transaction.is_active:  # a refusal in the tenant session has rolled it back
                transaction.rollback()
            raise
        if not commit_then_bump(
            conn, held
        ):  # the answer is in: say so; a view is reused 60 s at most
            log.warning(
                "data version of organisation %s not bumped after a submission",
                submission.org_id,
            )


class _Submission(NamedTuple):
    org_id: int
    survey_id: int
    team_id: int
    invitation_id: int | None  # None: an open link
    browser_key: str  # an open link's: the hash of the browser's key
    receipt: str  # the form's receipt hash, or ""


def _submission(
    found: tuple[int, int, int, int | None], submission_key: str | None, form_key: str
) -> _Submission:
    org_id, survey_id, team_id, invitation_id = found
    if invitation_id is None and (not submission_key or len(submission_key) > 200):
        raise ValidationFailed("The form is incomplete; reload the page and answer.")
    return _Submission(
        org_id,
        survey_id,
        team_id,
        invitation_id,
        _open_key_hash(survey_id, submission_key) if submission_key else "",
        _receipt_hash(survey_id, form_key) if form_key else "",
    )


def _submit(session: Session, sub: _Submission, answers: dict[str, Any]) -> None:
    """Under the team's lock: store what the answer needs, then check it; a refusal rolls
    all of it back. The refusals come in the order the checks once ran one by one."""
    open_link = sub.invitation_id is None
    team = _count_and_lock_team(session, sub)
    specs = _specs(session, sub.org_id, sub.survey_id, team.created_at)
    invalid: ValidationFailed | None = None
    try:
        sealed: bytes | None = tally.sealed_box(
            sub.survey_id, sub.team_id, _clean_answers(specs, answers)
        )
    except ValidationFailed as error:
        sealed, invalid = None, error
    receipt_new, claimed, status, closes_at = _store(session, sub, sealed)
    if sub.receipt and not receipt_new:
        raise AlreadyReceived()
    _check_open(status, closes_at)
    if open_link and not team.open_links:
        _refuse_open_link_of_personal_survey()
    if not claimed:
        raise Conflict(_BROWSER_USED if open_link else _USED_MESSAGE)
    if open_link and team.open_responses > team.cap:  # the count includes this answer
        _refuse_full_open_link(team.cap)
    if invalid is not None:
        raise invalid


# A submission's statements: SQLAlchemy Core, run through `tenant_scoped` on the tenant
# session's connection (`tenant_rows`), so each UPDATE and SELECT is scoped to the
# organisation as the tenancy hook scopes it (db.py), a read-only workspace refuses them and
# the data version is bumped; row-level security holds them too on PostgreSQL.
# A new row's org_id is the session's (`tenant_org_id`), as a flush stamps it; its survey
# and team are the locked team's, found inside the organisation. Built once: only the
# bound values change (named unlike any column: Core reads a parameter named as a column of
# an UPDATE's table as a value to SET).


def _of_teams_survey(column: Any) -> Any:
    return select(column).where(col(Survey.id) == col(SurveyTeam.survey_id)).scalar_subquery()


_COUNT_AND_LOCK: Any = (
    update(SurveyTeam)
    .where(col(SurveyTeam.id) == bindparam("team"))
    .values(
        responses=col(SurveyTeam.responses) + 1,
        open_responses=col(SurveyTeam.open_responses) + bindparam("opened", type_=Integer),
    )
    .returning(
        col(SurveyTeam.survey_id),
        col(SurveyTeam.open_responses),
        col(SurveyTeam.open_cap),
        _of_teams_survey(col(Survey.open_links)),
        _of_teams_survey(col(Survey.created_at)),
    )
    .execution_options(synchronize_session=False)
)


def _open_key(insert_for_dialect: Any, key: str) -> Any:
    """A receipt or a browser's key: a row when new, none when it was there (ON CONFLICT)."""
    return (
        insert_for_dialect(SurveyOpenKey)
        .values(org_id=bindparam("org"), key_hash=bindparam(key), survey_id=bindparam("survey"))
        .on_conflict_do_nothing()
        .returning(literal(1))
    )


# Every participation row of the team is rewritten together, so no row version (PostgreSQL's
# xmin) pairs this answer with this person; none at all when it was answered already.
_mine = aliased(SurveyInvitation, name="mine")
_PARTICIPATION: Any = (
    update(SurveyInvitation)
    .where(
        col(SurveyInvitation.survey_team_id) == bindparam("team"),
        exists().where(
            col(_mine.id) == bindparam("invitation"),
            col(_mine.survey_team_id) == bindparam("team"),
            ~col(_mine.answered),
        ),
    )
    .values(
        answered=case(
            (col(SurveyInvitation.id) == bindparam("invitation"), true()),
            else_=col(SurveyInvitation.answered),
        )
    )
    .returning(literal(1))
    .execution_options(synchronize_session=False)
)
_SEALED: Any = (
    insert(SurveySealedResponse)
    .values(
        id=bindparam("response_id"),
        org_id=bindparam("org"),
        survey_id=bindparam("survey"),
        survey_team_id=bindparam("team"),
        sealed=bindparam("sealed_box", type_=LargeBinary),
    )
    .returning(literal(1))
)
_PARTS: dict[str, dict[str, Any]] = {
    dialect: {
        "receipt": _open_key(insert_for_dialect, "receipt"),
        "browser": _open_key(insert_for_dialect, "browser"),
        "participation": _PARTICIPATION,
        "sealed": _SEALED,
    }
    for dialect, insert_for_dialect in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_SURVEY_STATE: Any = select(col(Survey.status), col(Survey.closes_at)).where(
    col(Survey.id) == bindparam("survey")
)


def _store(
    session: Session, sub: _Submission, sealed: bytes | None
) -> tuple[bool, bool, str, datetime]:
    """(the receipt is new or none was sent, the participation or browser key was claimed,
    the survey's status and end date, read under the team's lock): the receipt, the claim
    and the sealed row in one round trip on PostgreSQL (a data-modifying WITH), one
    statement each on SQLite. Read after the lock, the status is the close's if it came
    first (a closed survey's answers are counted under these locks: none may come after)."""
    parts = (
        *(("receipt",) if sub.receipt else ()),
        "browser" if sub.invitation_id is None else "participation",
        *(("sealed",) if sealed is not None else ()),
    )
    params = {
        "org": tenant_org_id(session),
        "survey": sub.survey_id,
        "team": sub.team_id,
        "invitation": sub.invitation_id,
        "receipt": sub.receipt,
        "browser": sub.browser_key,
        "response_id": secrets.token_hex(16),
        "sealed_box": sealed,
    }
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        found = tenant_rows(session, _together(parts), params)
        if not found:  # the survey is not the organisation's (or is gone)
            raise InvalidLink()
        *counts, status, closes_at = found[0]
        written = dict(zip(parts, counts, strict=True))
    else:
        statements = _PARTS[dialect]
        written = {name: len(tenant_rows(session, statements[name], params)) for name in parts}
        ((status, closes_at),) = tenant_rows(session, _SURVEY_STATE, params)
    claimed = written.get("participation", written.get("browser"))
    return not sub.receipt or bool(written["receipt"]), bool(claimed), status, closes_at


@lru_cache(maxsize=8)
def _together(parts: tuple[str, ...]) -> Any:
    """The parts as one PostgreSQL statement (a data-modifying WITH; each part runs once
    and to completion), returning how many rows each wrote, then the survey's state."""
    statements = _PARTS["postgresql"]
    written = [statements[name].cte(name) for name in parts]
    return select(  # type: ignore[call-overload]
        *(select(func.count()).select_from(cte).scalar_subquery() for cte in written),
        col(Survey.status),
        col(Survey.closes_at),
    ).where(col(Survey.id) == bindparam("survey"))


class _LockedTeam(NamedTuple):
    open_responses: int  # this answer included
    cap: int
    # its survey's, read in the same statement (set at launch, never changed)
    open_links: bool
    created_at: datetime


def _count_and_lock_team(session: Session, sub: _Submission) -> _LockedTeam:
    """Count the response for its team, as the transaction's first write: PostgreSQL locks
    the team's row and SQLite takes its write lock (waiting, not failing), which serialises
    submissions per surveyed team. Rolled back with anything that fails. Returns the team's
    open-link count and cap, and what of its survey never changes (its open-link flag and
    creation time), in the same round trip; its status is read after the lock (`_store`).

    Scoped as the tenant session scopes it: a team of another organisation is not there
    (InvalidLink), a read-only workspace is refused, and the version bump is held for after
    the commit."""
    found = tenant_rows(
        session, _COUNT_AND_LOCK, {"team": sub.team_id, "opened": int(sub.invitation_id is None)}
    )
    row = found[0] if found else None
    if row is None or row[0] != sub.survey_id or row[4] is None:
        raise InvalidLink()
    return _LockedTeam(int(row[1]), int(row[2] or 0), bool(row[3]), row[4])


# A survey's questions as answers are checked against them: written at launch, never changed.
_SPECS: Kept[list[QuestionRef]] = Kept(256)


def _specs(
    session: Session, org_id: int, survey_id: int, created_at: datetime
) -> list[QuestionRef]:
    return _SPECS.get((org_id, survey_id, created_at), lambda: _survey_specs(session, survey_id))


def _survey_specs(session: Session, survey_id: int) -> list[QuestionRef]:
    """The survey's questions in one read (plain values, no rows loaded); NotFound when the
    survey is gone."""
    found = session.execute(
        select(  # type: ignore[call-overload]
            col(Survey.id),
            col(SurveyQuestion.id),
            col(SurveyQuestion.key),
            col(SurveyQuestion.kind),
            col(SurveyQuestion.prompt),
            col(SurveyQuestion.options),
            col(SurveyQuestion.required),
        )
        .outerjoin(SurveyQuestion, col(SurveyQuestion.survey_id) == Survey.id)
        .where(col(Survey.id) == survey_id)
        .order_by(col(SurveyQuestion.position))
    ).all()
    if not found:
        raise NotFound("That survey")
    return [
        (int(qid), ins.QuestionSpec(key, kind, prompt, _options(options), required))
        for _sid, qid, key, kind, prompt, options, required in found
        if qid is not None
    ]


def _clean_answers(specs: list[QuestionRef], answers: dict[str, Any]) -> list[tally.AnswerRow]:
    unknown = set(answers or {}) - {spec.key for _, spec in specs}
    if unknown:
        raise ValidationFailed("The answers do not match this survey; reload the page.")
    return [
        (question_id, option_key, value, text)
        for question_id, spec in specs
        for option_key, value, text in ins.clean_answer(spec, (answers or {}).get(spec.key))
    ]


def _store_response(
    session: Session,
    survey_id: int,
    team_id: int,
    rows: list[tally.AnswerRow],
    *,
    open_link: bool = False,
) -> None:
    tally.seal_response(session, survey_id, team_id, rows)
    tally.count_response(session, team_id, open_link=open_link)
