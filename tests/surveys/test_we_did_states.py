"""The "You said, we did" state checks role, team and tenancy on the server whatever the page
shows; the answering page shows the team's last commitments before the questions."""

from __future__ import annotations

from sqlmodel import func, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import services
from pmo_saas.surveys.pages.respond import RespondState
from pmo_saas.surveys.wedid.models import SurveyCommitment
from pmo_saas.surveys.wedid.pages import WeDidState
from tests.state_harness import run, state_for
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    people,
    team_with,
    westrum_answers,
)


def _commitments() -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(SurveyCommitment)).one()


def _round(org):
    alpha, alpha_people = team_with(org, "Alpha", 3)
    beta, beta_people = team_with(org, "Beta", 3)
    survey_id = launch(org, [alpha, beta], min_group_size=3)
    links = links_from_outbox(org)
    for p in alpha_people + beta_people:
        services.submit_response(token=links[email_of(p)][-1], answers=westrum_answers(5))
    close(org, survey_id)
    with tenant_session(org) as session:
        progress = services.survey_progress(session=session, ctx=org, survey_id=survey_id)
    return survey_id, {p.team_name: p.survey_team_id for p in progress}, alpha_people, beta_people


def _form(survey_team_id: int, owner: int) -> dict:
    return {
        "survey_team_id": str(survey_team_id),
        "question_key": "novelty",
        "title": "Try one new practice a sprint",
        "owner_user_id": str(owner),
        "due_date": "2030-01-31",
    }


def test_coach_and_team_commit_through_the_page_and_others_are_refused(org_a, org_b):
    survey_id, ids, alpha_people, beta_people = _round(org_a)
    coach = people(org_a, 1, Role.COACH)[0]
    results_path = f"/o/{org_a.org_slug}/surveys/results/{survey_id}"
    team_path = f"/o/{org_a.org_slug}/surveys/team/{survey_id}"

    async def scenario():
        state = await state_for(
            WeDidState, token=identity.start_session(user_id=coach.user_id), path=results_path
        )
        await state.load()
        assert state.loaded and [t.label for t in state.teams] == ["Alpha", "Beta"]
        await state.commit(_form(ids["Alpha"], alpha_people[0].user_id))
        assert state.error == "" and "coaching plan" in state.notice
        assert [c.action for c in state.committed] == ["Try one new practice a sprint"]
        # A member of Beta, on their team page, offered Beta only; committing for Alpha refused.
        beta = await state_for(
            WeDidState, token=identity.start_session(user_id=beta_people[0].user_id), path=team_path
        )
        await beta.load()
        assert [t.label for t in beta.teams] == ["Beta"] and beta.committed == []
        await beta.commit(_form(ids["Alpha"], beta_people[0].user_id))
        assert "your own teams only" in beta.error
        # Another organisation: nothing loads and nothing is written.
        other = await state_for(
            WeDidState,
            token=identity.start_session(user_id=org_b.user_id),
            path=f"/o/{org_b.org_slug}/surveys/results/{survey_id}",
        )
        await other.load()
        assert not other.loaded and "not found" in other.error
        await other.commit(_form(ids["Alpha"], org_b.user_id))
        assert "not found" in other.error

    run(scenario())
    assert _commitments() == 1


def test_the_next_round_s_respondent_reads_what_was_done_before_answering(org_a):
    survey_id, ids, alpha_people, _ = _round(org_a)
    with tenant_session(org_a) as session:
        from pmo_saas.surveys.wedid import services as we_did

        we_did.commit_on_question(
            session=session,
            ctx=org_a,
            survey_id=survey_id,
            survey_team_id=ids["Alpha"],
            question_key="novelty",
            title="Innovation day",
            owner_user_id=alpha_people[0].user_id,
            due_date=None,
        )
        services.rerun_survey(session=session, ctx=org_a, survey_id=survey_id)
    token = links_from_outbox(org_a)[email_of(alpha_people[1])][-1]

    async def scenario():
        state = await state_for(RespondState, token="no-session", path=f"/s/{token}")
        state.open_link()
        await state.load()
        assert state.error == "" and state.questions
        assert [(n.action, n.status_label) for n in state.we_did] == [("Innovation day", "Planned")]

    run(scenario())
