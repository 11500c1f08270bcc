"""The respondent's page: a personal or open link opens the form; a submission is sealed.

Answering precedes any sign-in: `load_survey_form` and `submit_response` find the
organisation from the token, then work in that organisation's tenant session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.security import hash_token
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import tally
from pmo_saas.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyLink,
    SurveyOpenKey,
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
    _questions,
    _spec,
    _survey,
)

# ---------------------------------------------------------------- answering through a link


def _resolve_token(token: str) -> tuple[int, int, int, int | None]:
    """(org_id, survey_id, survey_team_id, invitation_id or None for an open link)."""
    if not token or len(token) > 200:
        raise InvalidLink()
    token_hash = hash_token(token)
    with system_session() as session:
        row = session.exec(
            select(
                SurveyInvitation.org_id,
                SurveyInvitation.survey_id,
                SurveyInvitation.survey_team_id,
                SurveyInvitation.id,
            )
            .join(SurveyLink, col(SurveyLink.invitation_id) == SurveyInvitation.id)
            .where(SurveyLink.token_hash == token_hash)
        ).first()
        if row is not None:
            org_id, survey_id, team_id, invitation_id = row
            assert org_id is not None
            return org_id, survey_id, team_id, invitation_id
        team = session.exec(
            select(SurveyTeam.org_id, SurveyTeam.survey_id, SurveyTeam.id).where(
                SurveyTeam.open_token_hash == token_hash
            )
        ).first()
    if team is None:
        raise InvalidLink()
    team_org_id, team_survey_id, open_team_id = team
    assert team_org_id is not None and open_team_id is not None
    return team_org_id, team_survey_id, open_team_id, None


def _respondent_ctx(org_id: int) -> TenantContext:
    # Nobody is signed in: a respondent acts without a user id.
    return TenantContext(org_id=org_id, user_id=None, role=Role.MEMBER)


def _check_accepting(survey: Survey) -> None:
    if survey.status != OPEN:
        raise Conflict("This survey has closed; answers are no longer collected. Thank you!")
    if as_utc(survey.closes_at) < utcnow():
        raise Conflict(
            f"This survey link expired on {_date(survey.closes_at)}; answers are no longer "
            "collected."
        )


def load_survey_form(*, token: str, submission_key: str | None = None) -> SurveyForm:
    """What a respondent sees when opening their link (refused if used, expired or unknown).

    For an open link, `submission_key` is the key the browser keeps for it."""
    org_id, survey_id, team_id, invitation_id = _resolve_token(token)
    with tenant_session(_respondent_ctx(org_id)) as session:
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
        raise Conflict(
            "This open link no longer works: the survey uses personal links, sent by email. "
            "Answer through your personal link."
        )
    if submission_key:
        used = session.get(SurveyOpenKey, _open_key_hash(survey.id, submission_key))
        if used is not None:
            raise Conflict(_BROWSER_USED)
    cap = team.open_cap or 0
    if team.open_responses >= cap:
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
    so a respondent whose reply was lost (a server that crashed after storing) knows."""
    org_id, survey_id, team_id, invitation_id = _resolve_token(token)
    ctx = _respondent_ctx(org_id)
    receipt = _receipt_hash(survey_id, form_key) if form_key and len(form_key) <= 200 else ""
    try:
        with tenant_session(ctx) as session:
            _lock_team(session, team_id)
            if receipt and session.get(SurveyOpenKey, receipt) is not None:
                raise AlreadyReceived()
            survey = _survey(session, survey_id)
            _check_accepting(survey)
            if receipt:  # in the response's transaction: stored exactly when the answers are
                session.add(SurveyOpenKey(key_hash=receipt, survey_id=survey_id))
            if invitation_id is not None:
                _mark_answered(session, team_id, invitation_id)
            else:
                if not submission_key or len(submission_key) > 200:
                    raise ValidationFailed("The form is incomplete; reload the page and answer.")
                team = session.get(SurveyTeam, team_id)
                assert team is not None
                session.refresh(team)
                _check_open_link(session, survey, team, submission_key)
                session.add(
                    SurveyOpenKey(
                        key_hash=_open_key_hash(survey_id, submission_key), survey_id=survey_id
                    )
                )
            rows = _clean_answers(session, survey_id, answers)
            _store_response(session, survey_id, team_id, rows, open_link=invitation_id is None)
    except IntegrityError:
        raise Conflict(_BROWSER_USED) from None


def _clean_answers(
    session: Session, survey_id: int, answers: dict[str, Any]
) -> list[tuple[int, str, float | None, str | None]]:
    questions = _questions(session, survey_id)
    known = {q.key for q in questions}
    unknown = set(answers or {}) - known
    if unknown:
        raise ValidationFailed("The answers do not match this survey; reload the page.")
    rows = []
    for q in questions:
        assert q.id is not None
        for option_key, value, text in ins.clean_answer(_spec(q), (answers or {}).get(q.key)):
            rows.append((q.id, option_key, value, text))
    return rows


def _lock_team(session: Session, team_id: int) -> None:
    """Serialise submissions per surveyed team. The transaction's first statement is a write,
    so PostgreSQL locks the row and SQLite takes its write lock (waiting, not failing)."""
    session.exec(
        update(SurveyTeam)
        .where(col(SurveyTeam.id) == team_id)
        .values(team_name=col(SurveyTeam.team_name))
        .execution_options(synchronize_session=False)
    )


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
