"""The respondent's page: a personal or open link opens the form; a submission is sealed.

Answering precedes any sign-in: `load_survey_form` and `submit_response` find the
organisation from the token, then work in that organisation's tenant session."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any, NamedTuple, NoReturn

from sqlalchemy import case, insert, null, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as lite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.security import hash_token
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import tally
from pmo_saas.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyLink,
    SurveyOpenKey,
    SurveyQuestion,
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

# A question's id and what checking an answer to it needs.
QuestionRef = tuple[int, ins.QuestionSpec]

# ---------------------------------------------------------------- answering through a link


def _resolve_token(token: str) -> tuple[int, int, int, int | None]:
    """(org_id, survey_id, survey_team_id, invitation_id or None for an open link), in one
    read: a personal link's token or a team's open-link token."""
    if not token or len(token) > 200:
        raise InvalidLink()
    token_hash = hash_token(token)
    personal = (
        select(
            col(SurveyInvitation.org_id),
            col(SurveyInvitation.survey_id),
            col(SurveyInvitation.survey_team_id),
            col(SurveyInvitation.id),
        )
        .join(SurveyLink, col(SurveyLink.invitation_id) == SurveyInvitation.id)
        .where(SurveyLink.token_hash == token_hash)
    )
    open_link = select(
        col(SurveyTeam.org_id), col(SurveyTeam.survey_id), col(SurveyTeam.id), null()
    ).where(SurveyTeam.open_token_hash == token_hash)
    with system_session() as session:
        row = session.execute(union_all(personal, open_link).limit(1)).first()
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

    The least work that keeps a response exactly-once and unlinkable, in one transaction:
    the team's counter (its first write, so also the per-team lock), the receipt, the survey
    with its questions in one read, participation or the browser's key, the sealed row."""
    org_id, survey_id, team_id, invitation_id = _resolve_token(token)
    open_link = invitation_id is None
    if open_link and (not submission_key or len(submission_key) > 200):
        raise ValidationFailed("The form is incomplete; reload the page and answer.")
    receipt = _receipt_hash(survey_id, form_key) if form_key and len(form_key) <= 200 else ""
    try:
        with tenant_session(_respondent_ctx(org_id)) as session:
            team = _count_and_lock_team(session, team_id, open_link=open_link)
            if receipt and not _keep_receipt(session, org_id, survey_id, receipt):
                raise AlreadyReceived()
            _check_open(team.status, team.closes_at)
            specs = _specs(session, org_id, survey_id, team.created_at)
            if invitation_id is not None:
                _mark_answered(session, team_id, invitation_id)
            else:
                assert submission_key is not None
                if not team.open_links:
                    _refuse_open_link_of_personal_survey()
                key_hash = _open_key_hash(survey_id, submission_key)
                session.execute(  # this browser answered already: IntegrityError, below
                    insert(SurveyOpenKey).values(
                        org_id=org_id, key_hash=key_hash, survey_id=survey_id
                    )
                )
                if team.open_responses > team.cap:  # the count includes this answer
                    _refuse_full_open_link(team.cap)
            rows = _clean_answers(specs, answers)
            tally.insert_sealed(session, org_id, survey_id, team_id, rows)
    except IntegrityError:
        raise Conflict(_BROWSER_USED) from None


class _LockedTeam(NamedTuple):
    open_responses: int  # this answer included
    cap: int
    # its survey's, read in the same statement
    status: str
    closes_at: datetime
    open_links: bool
    created_at: datetime


def _of_survey(column: Any) -> Any:
    return select(column).where(col(Survey.id) == SurveyTeam.survey_id).scalar_subquery()


def _count_and_lock_team(session: Session, team_id: int, *, open_link: bool) -> _LockedTeam:
    """Count the response for its team, as the transaction's first statement: a write, so
    PostgreSQL locks the team's row and SQLite takes its write lock (waiting, not failing),
    which serialises submissions per surveyed team. Rolled back with anything that fails.
    Returns the team's open-link count and cap, and what accepting the answer needs of its
    survey (read under the lock, in the same round trip)."""
    row = session.execute(
        update(SurveyTeam)
        .where(col(SurveyTeam.id) == team_id)
        .values(
            responses=col(SurveyTeam.responses) + 1,
            open_responses=col(SurveyTeam.open_responses) + int(open_link),
        )
        .returning(
            col(SurveyTeam.open_responses),
            col(SurveyTeam.open_cap),
            _of_survey(Survey.status),
            _of_survey(Survey.closes_at),
            _of_survey(Survey.open_links),
            _of_survey(Survey.created_at),
        )
        .execution_options(synchronize_session=False)
    ).first()
    if row is None or row[2] is None:
        raise InvalidLink()
    return _LockedTeam(int(row[0]), int(row[1] or 0), row[2], row[3], bool(row[4]), row[5])


# (org, survey, its creation time) -> its questions as answers are checked against them. A
# survey's questions are written at launch and never change; the creation time tells a new
# survey from a deleted one whose id came back (SQLite may reuse ids). Bounded.
_SPECS: OrderedDict[tuple[int, int, datetime], list[QuestionRef]] = OrderedDict()
_SPECS_KEPT = 256


def _specs(
    session: Session, org_id: int, survey_id: int, created_at: datetime
) -> list[QuestionRef]:
    key = (org_id, survey_id, created_at)
    found = _SPECS.get(key)
    if found is None:
        found = _SPECS[key] = _survey_and_specs(session, survey_id)[1]
        while len(_SPECS) > _SPECS_KEPT:
            _SPECS.popitem(last=False)
    return found


def _keep_receipt(session: Session, org_id: int, survey_id: int, receipt: str) -> bool:
    """Store this form's receipt; False when it was stored already (the answers are in)."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else lite_insert
    stored = session.execute(
        dialect_insert(SurveyOpenKey)
        .values(org_id=org_id, key_hash=receipt, survey_id=survey_id)
        .on_conflict_do_nothing()
        .returning(col(SurveyOpenKey.key_hash))
    ).first()
    return stored is not None


def _survey_and_specs(session: Session, survey_id: int) -> tuple[Survey, list[QuestionRef]]:
    """The survey and its questions in one read (plain values, no question rows loaded)."""
    found = session.execute(
        select(  # type: ignore[call-overload]
            Survey,
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
    specs = [
        (int(qid), ins.QuestionSpec(key, kind, prompt, _options(options), required))
        for _s, qid, key, kind, prompt, options, required in found
        if qid is not None
    ]
    return found[0][0], specs


def _clean_answers(specs: list[QuestionRef], answers: dict[str, Any]) -> list[tally.AnswerRow]:
    unknown = set(answers or {}) - {spec.key for _, spec in specs}
    if unknown:
        raise ValidationFailed("The answers do not match this survey; reload the page.")
    return [
        (question_id, option_key, value, text)
        for question_id, spec in specs
        for option_key, value, text in ins.clean_answer(spec, (answers or {}).get(spec.key))
    ]


def _mark_answered(session: Session, team_id: int, invitation_id: int) -> None:
    """Under the team lock: mark this link's invitation answered, unless it already is, by
    rewriting every participation row of the team in one statement, so no row version pairs
    this answer with this person."""
    unused = (
        select(SurveyInvitation.id)
        .where(SurveyInvitation.id == invitation_id, col(SurveyInvitation.answered).is_(False))
        .exists()
    )
    result = session.exec(
        update(SurveyInvitation)
        .where(col(SurveyInvitation.survey_team_id) == team_id, unused)
        .values(
            answered=case(
                (col(SurveyInvitation.id) == invitation_id, True),
                else_=col(SurveyInvitation.answered),
            )
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Conflict(_USED_MESSAGE)


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
