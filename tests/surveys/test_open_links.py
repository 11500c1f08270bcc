"""The open-link padding attack: a coach pads a one-person team with known answers until it
passes the threshold, then subtracts them. Refused: once per browser, a cap per link, and no
open links at all on personal-link surveys."""

from __future__ import annotations

import secrets

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import services
from tests.state_harness import run
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    people,
    results,
    team_with,
    westrum_answers,
)
from tests.surveys.test_states import _answer_form, _open


def _open_link(ctx, survey_id: int) -> str:  # type: ignore[no-untyped-def]
    with tenant_session(ctx) as session:
        [team] = services.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
        url = services.create_open_link(
            session=session, ctx=ctx, survey_id=survey_id, team_id=team.survey_team_id
        )
    return url.rsplit("/", 1)[1]


def test_padding_a_one_person_team_through_an_open_link_is_refused(org_a):
    coach = people(org_a, 1, Role.COACH)[0]
    solo, _ = team_with(org_a, "Solo", 1)
    survey_id = launch(
        coach, [solo], personal_links=False, open_links=True, min_comment_group_size=5
    )
    token = _open_link(coach, survey_id)

    async def scenario() -> None:
        # The real member answers from their browser.
        member = await _open(token, browser_key=secrets.token_urlsafe(24))
        assert member.error == "" and member.questions
        await member.submit(_answer_form(2, "the real secret"))
        assert member.submitted
        # The coach: 7 known answers, each after a fresh page load in the same browser ...
        browser = secrets.token_urlsafe(24)
        for _ in range(7):
            padded = await _open(token, browser_key=browser)
            assert padded.questions == [] and "taken all the answers" in padded.error
            await padded.submit(_answer_form(7, "known"))
            assert not padded.submitted and "taken all the answers" in padded.error
        # ... or from 7 fresh browsers (a private window each time): the cap (1) stops it.
        for _ in range(7):
            fresh = await _open(token)
            assert "taken all the answers" in fresh.error and fresh.questions == []
            await fresh.submit(_answer_form(7, "known"))
            assert not fresh.submitted

    run(scenario())
    with pytest.raises(Conflict, match="taken all the answers"):
        services.submit_response(
            token=token, answers=westrum_answers(7), submission_key=secrets.token_hex(8)
        )
    close(coach, survey_id)
    r = results(coach, survey_id)
    [team] = r.teams
    assert team.responses == 1 and team.open_responses == 1 and r.open_responses == 1
    assert not team.visible and team.headline is None and team.comments == []
    assert not r.org.visible
    assert "the real secret" not in str(r.model_dump())


def test_one_answer_per_browser_even_below_the_cap(org_a):
    team, _ = team_with(org_a, "Alpha", 8)
    survey_id = launch(org_a, [team], personal_links=False, open_links=True)
    token = _open_link(org_a, survey_id)

    async def scenario() -> None:
        browser = secrets.token_urlsafe(24)
        # A second tab of the same browser, opened before it answers.
        stale = await _open(token, browser_key=browser)
        first = await _open(token, browser_key=browser)
        await first.submit(_answer_form(4))
        assert first.submitted
        for _ in range(7):  # reloads: the same key comes back from localStorage
            again = await _open(token, browser_key=browser)
            assert "already answered" in again.error and again.questions == []
            await again.submit(_answer_form(7))
            assert not again.submitted
        await stale.submit(_answer_form(7))
        assert "already answered" in stale.error and not stale.submitted

    run(scenario())
    with tenant_session(org_a) as session:
        [progress] = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
    assert (progress.responses, progress.open_responses, progress.open_cap) == (1, 1, 8)


def test_a_cap_set_at_launch_and_said_when_reached(org_a):
    team, _ = team_with(org_a, "Alpha", 8)
    survey_id = launch(org_a, [team], personal_links=False, open_links=True, open_link_cap=2)
    token = _open_link(org_a, survey_id)
    for n in range(2):
        services.submit_response(
            token=token, answers=westrum_answers(n + 3), submission_key=f"browser-{n}"
        )
    with pytest.raises(Conflict, match=r"all the answers it was made for \(2"):
        services.load_survey_form(token=token, submission_key="browser-9")


def test_no_open_link_on_a_personal_link_survey(org_a):
    team, members = team_with(org_a, "Solo", 1)
    survey_id = launch(org_a, [team])
    with tenant_session(org_a) as session:
        [progress] = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
        with pytest.raises(Conflict, match="personal links"):
            services.create_open_link(
                session=session,
                ctx=org_a,
                survey_id=survey_id,
                team_id=progress.survey_team_id,
            )
        # Launching both ways at once is refused too.
        with pytest.raises(ValidationFailed, match="not both"):
            services.launch_survey(
                session=session,
                ctx=org_a,
                title="Both",
                instrument="westrum",
                team_ids=[team],
                open_links=True,
            )
    # The one member's personal answer stays hidden (one response, below every threshold).
    links = links_from_outbox(org_a)
    services.submit_response(token=links[email_of(members[0])][0], answers=westrum_answers(1))
    close(org_a, survey_id)
    r = results(org_a, survey_id)
    assert not r.teams[0].visible and r.open_responses == 0 and not r.open_links


def test_an_old_open_link_on_a_personal_link_survey_stops_counting(org_a):
    """A link made before this rule (its hash still stored) is refused at load and submit."""
    from pmo_saas.identity.security import new_token
    from pmo_saas.surveys.models import SurveyTeam

    team, _ = team_with(org_a, "Solo", 1)
    survey_id = launch(org_a, [team])
    token, token_hash = new_token()
    with tenant_session(org_a) as session:
        survey_team = session.exec(
            select(SurveyTeam).where(SurveyTeam.survey_id == survey_id)
        ).one()
        survey_team.open_token_hash = token_hash
        session.add(survey_team)
    for call in (
        lambda: services.load_survey_form(token=token, submission_key="b"),
        lambda: services.submit_response(
            token=token, answers=westrum_answers(7), submission_key="b"
        ),
    ):
        with pytest.raises(Conflict, match="personal links"):
            call()
