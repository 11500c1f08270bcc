"""The survey pages' states enforce roles and tenancy on the server, whatever the page shows.

Each handler is called as the websocket would call it (tests/state_harness.py). The
respondent's page is public: it is driven with no session at all.
"""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import Survey, SurveyTeam
from pmo_saas.surveys.pages.overview import SurveysState, parse_custom_questions
from pmo_saas.surveys.pages.respond import RespondState
from pmo_saas.surveys.pages.results import MyTeamState, ResultsState
from tests.state_harness import run, state_for
from tests.surveys.helpers import close, launch, links_from_outbox, people, team_with

NO_SESSION = "no-session"


def _responses(survey_id: int) -> int:
    """Acknowledged responses of a survey (they are sealed, then counted: no rows to count)."""
    with system_session() as session:
        return int(
            session.exec(
                select(func.coalesce(func.sum(SurveyTeam.responses), 0)).where(
                    SurveyTeam.survey_id == survey_id
                )
            ).one()
        )


def _count(model, **where) -> int:  # type: ignore[no-untyped-def]
    with system_session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.exec(query).one()


def _token(person) -> str:  # type: ignore[no-untyped-def]
    return identity.start_session(user_id=person.user_id)


def _status(survey_id: int) -> str:
    with system_session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey.status


@pytest.fixture
def world(org_a):
    """Org A: a coach; team Alpha (5 people) and Beta (4) surveyed with Westrum."""
    coach = people(org_a, 1, Role.COACH)[0]
    alpha, alpha_people = team_with(org_a, "Alpha", 5)
    beta, beta_people = team_with(org_a, "Beta", 4)
    survey_id = launch(org_a, [alpha, beta], title="Pulse", min_comment_group_size=5)
    links = links_from_outbox(org_a, "Pulse")
    return {
        "org": org_a,
        "coach": coach,
        "alpha": alpha,
        "beta": beta,
        "alpha_people": alpha_people,
        "beta_people": beta_people,
        "survey_id": survey_id,
        "links": links,
    }


def _answer_form(value: int, comment: str = "") -> dict:
    form = {k: str(value) for k, _ in ins.WESTRUM_ITEMS}
    form["comment"] = comment
    return form


async def _open(token: str, browser_key: str = "") -> RespondState:
    """A browser opens /s/<token>: the page seals the token and goes on to /s, which loads."""
    state = await state_for(RespondState, token=NO_SESSION, path=f"/s/{token}")
    state.browser_key = browser_key  # what the browser's localStorage holds ("" at first)
    state.open_link()
    await state.load()
    return state


async def _respond(token: str, form: dict) -> RespondState:
    state = await _open(token)
    await state.submit(form)
    return state


def test_member_cannot_launch_close_or_see_results(world):
    org, member = world["org"], world["alpha_people"][0]
    path = f"/o/{org.org_slug}/surveys"

    async def scenario():
        state = await state_for(SurveysState, token=_token(member), path=path)
        await state.load()
        assert state.error == ""
        assert [s.title for s in state.mine] == ["Pulse"]
        assert state.surveys == [] and state.teams == []
        state.chosen_team_ids = [world["alpha"]]
        await state.launch({"title": "Rogue survey"})
        assert state.error == "This needs the coach role or higher."
        await state.close(world["survey_id"])
        assert "coach role" in state.error
        await state.rerun(world["survey_id"])
        assert "coach role" in state.error
        await state.remind(world["survey_id"])
        assert "coach role" in state.error
        state.ask_delete(world["survey_id"], "Pulse")
        await state.delete_confirmed()
        assert "coach role" in state.error
        results = await state_for(
            ResultsState, token=_token(member), path=f"{path}/results/{world['survey_id']}"
        )
        await results.load()
        assert "coach role" in results.error and results.teams == []

    run(scenario())
    assert _count(Survey) == 1 and _status(world["survey_id"]) == "open"


def test_another_organisation_sees_nothing(world, org_b):
    survey_id = world["survey_id"]
    path = f"/o/{org_b.org_slug}/surveys"

    async def scenario():
        state = await state_for(SurveysState, token=_token(org_b), path=path)
        await state.load()
        assert state.surveys == [] and state.mine == [] and state.error == ""
        await state.close(survey_id)
        assert state.error == "That survey was not found."
        await state.make_open_link(survey_id, world["alpha"], "Alpha")
        assert state.error == "That survey was not found." and state.open_link == ""
        state.ask_delete(survey_id, "Pulse")
        await state.delete_confirmed()
        assert state.error == "That survey was not found."
        results = await state_for(
            ResultsState, token=_token(org_b), path=f"{path}/results/{survey_id}"
        )
        await results.load()
        assert results.error == "That survey was not found." and results.title == ""
        mine = await state_for(MyTeamState, token=_token(org_b), path=f"{path}/team/{survey_id}")
        await mine.load()
        assert mine.error == "That survey was not found." and mine.team is None
        # Org A's URL with org B's session: not a member, so nothing either.
        outsider = await state_for(
            ResultsState,
            token=_token(org_b),
            path=f"/o/{world['org'].org_slug}/surveys/results/{survey_id}",
        )
        await outsider.load()
        assert "not found" in outsider.error and outsider.teams == []

    run(scenario())
    assert _status(survey_id) == "open" and _count(Survey) == 1


def test_coach_launches_people_answer_by_link_and_results_follow_the_thresholds(world):
    org, coach = world["org"], world["coach"]
    path = f"/o/{org.org_slug}/surveys"
    alpha_links = [world["links"][_email(p)][0] for p in world["alpha_people"]]
    beta_links = [world["links"][_email(p)][0] for p in world["beta_people"]]

    async def scenario():
        state = await state_for(SurveysState, token=_token(coach), path=path)
        await state.load()
        assert [s.survey.title for s in state.surveys] == ["Pulse"]
        progress = state.surveys[0].progress
        assert [(p.team_name, p.invited, p.answered) for p in progress] == [
            ("Alpha", 5, 0),
            ("Beta", 4, 0),
        ]
        # Results wait for the close; the response rate is live.
        results = await state_for(
            ResultsState, token=_token(coach), path=f"{path}/results/{world['survey_id']}"
        )
        await results.load()
        assert results.error == "" and "once the survey has closed" in results.waiting
        assert results.teams == []

        # The first person also opens the link in a second tab, before answering.
        second_tab = await _open(alpha_links[0])
        await second_tab.load()
        assert second_tab.error == "" and len(second_tab.questions) == 7
        for n, token in enumerate(alpha_links):
            answered = await _respond(token, _answer_form(3 + n % 4, f"alpha note {n}"))
            assert answered.submitted and answered.error == ""
        for token in beta_links:
            await _respond(token, _answer_form(2, "beta secret"))
        # Submitting again from the other tab: refused, still counted once.
        await second_tab.submit(_answer_form(7))
        assert "already been used" in second_tab.error and not second_tab.submitted
        # Opening the used link again: a clear message instead of the form.
        again = await _open(alpha_links[0])
        await again.load()
        assert "already been used" in again.error and again.questions == []
        guessed = await _open("not-a-real-token")
        await guessed.load()
        assert "not valid" in guessed.error

        await state.load()
        progress = state.surveys[0].progress
        assert [(p.answered, p.response_rate) for p in progress] == [(5, 100.0), (4, 100.0)]
        await state.close(world["survey_id"])
        assert state.error == "" and state.surveys[0].survey.status == "closed"

        await results.load()
        assert results.waiting == "" and results.responses == 9
        alpha, beta = results.teams
        assert (alpha.label, alpha.visible, alpha.headline_value) == ("Alpha", True, "4.20")
        assert sorted(c for g in alpha.comments for c in g.comments) == [
            f"alpha note {n}" for n in range(5)
        ]
        assert (beta.label, beta.visible, beta.comments) == ("Beta", False, [])
        assert "fewer than 5 responses" in beta.hidden_reason
        assert results.org is not None and not results.org.visible
        assert [(r.label, r.visible) for r in results.heatmap] == [
            ("Alpha", True),
            ("Beta", False),
            ("Whole organisation", False),
        ]
        assert all(c.text == "hidden" for r in results.heatmap[1:] for c in r.cells)
        # Combining: a shown team alone is fine; adding the hidden one is refused.
        assert [t.label for t in results.team_options] == ["Alpha", "Beta"]
        results.toggle_team(results.team_options[0].id, True)
        await results.combine()
        assert results.selection is not None and results.selection.label == "Selected: Alpha"
        results.toggle_team(results.team_options[1].id, True)
        await results.combine()
        assert results.selection is None
        assert "organisation total is hidden" in results.selection_error
        results.toggle_team(results.team_options[0].id, False)
        await results.combine()
        assert "This selection is refused" in results.selection_error
        csv_text = _downloaded(await results.export_csv())
        assert "alpha note 0" in csv_text and "beta secret" not in csv_text
        assert 'Beta,,,"Hidden: fewer than 5 responses' in csv_text

        # "You said, we did": a respondent sees their own team after the close.
        mine = await state_for(
            MyTeamState,
            token=_token(world["alpha_people"][1]),
            path=f"{path}/team/{world['survey_id']}",
        )
        await mine.load()
        assert mine.error == "" and mine.team is not None and mine.team.label == "Alpha"
        hidden = await state_for(
            MyTeamState,
            token=_token(world["beta_people"][0]),
            path=f"{path}/team/{world['survey_id']}",
        )
        await hidden.load()
        assert hidden.team is not None and not hidden.team.visible

    run(scenario())
    assert _responses(world["survey_id"]) == 9


def _downloaded(event) -> str:  # type: ignore[no-untyped-def]
    """The text of an `rx.download(data=...)` event (sent as a base64 data URL)."""
    found = re.search(r"base64,([A-Za-z0-9+/=]+)", str(event))
    assert found is not None
    return base64.b64decode(found.group(1)).decode()


def _email(person) -> str:  # type: ignore[no-untyped-def]
    from tests.surveys.helpers import email_of

    return email_of(person)


def test_coach_launches_a_custom_survey_reruns_and_deletes_after_confirming(world):
    org, coach = world["org"], world["coach"]
    path = f"/o/{org.org_slug}/surveys"

    async def scenario():
        state = await state_for(SurveysState, token=_token(coach), path=path)
        await state.load()
        state.choose_instrument(ins.CUSTOM)
        state.choose_team(world["alpha"], True)
        await state.launch(
            {
                "title": "Retro check",
                "questions": "agree5: Retros lead to change\nsingle: Best day? | Mon | Fri\n"
                "multi: Which help? | Pairing | Demos\ntext: Anything else?",
                "min_group_size": "5",
                "min_comment_group_size": "8",
                "days_open": "7",
                "distribution": "open",
            }
        )
        assert state.error == "", state.error
        assert "Survey launched for open links" in state.notice
        custom = next(s for s in state.surveys if s.survey.title == "Retro check")
        assert custom.survey.instrument == ins.CUSTOM
        assert [p.team_name for p in custom.progress] == ["Alpha"]
        await state.make_open_link(custom.survey.id, custom.progress[0].survey_team_id, "Alpha")
        assert "/s/" in state.open_link

        # Anyone with the open link answers; the same browser answers once.
        token = state.open_link.rsplit("/", 1)[-1]
        respond = await _open(token)
        await respond.load()
        assert [q.kind for q in respond.questions] == ["scale5", "single", "multi", "text"]
        form = {"q1": "4", "q2": "o2", "q3::o1": "on", "q3::o2": "on", "q4": "fine"}
        await respond.submit(form)
        assert respond.submitted
        respond.submitted = False  # as if the browser sent the same form again (a lost reply)
        await respond.submit(form)
        assert respond.submitted and respond.error == ""
        assert respond.notice.startswith("Your answers were already received.")
        assert _responses(custom.survey.id) == 1

        await state.close(custom.survey.id)
        await state.rerun(custom.survey.id)
        assert "new round" in state.notice
        rounds = [s.survey for s in state.surveys if s.survey.title == "Retro check"]
        assert sorted(r.round_number for r in rounds) == [1, 2]

        state.ask_delete(custom.survey.id, "Retro check")
        assert state.confirm_delete_id == custom.survey.id
        state.cancel_delete()
        await state.delete_confirmed()  # nothing to confirm any more
        assert _count(Survey, id=custom.survey.id) == 1
        state.ask_delete(custom.survey.id, "Retro check")
        await state.delete_confirmed()
        assert "deleted with all its responses" in state.notice
        assert _count(Survey, id=custom.survey.id) == 0
        assert _responses(custom.survey.id) == 0

        bad = await state_for(SurveysState, token=_token(coach), path=path)
        bad.choose_instrument(ins.CUSTOM)
        bad.choose_team(world["alpha"], True)
        await bad.launch({"title": "Bad", "questions": "stars: Rate us"})
        assert "Line 1" in bad.error

    run(scenario())


def test_parse_custom_questions():
    questions = parse_custom_questions("agree7: Calm?\n\n0-10: Score\nsingle: Pick | A | B |")
    assert [(q.kind, q.prompt, q.options) for q in questions] == [
        (ins.SCALE7, "Calm?", []),
        (ins.NPS, "Score", []),
        (ins.SINGLE, "Pick", [("o1", "A"), ("o2", "B")]),
    ]
    with pytest.raises(ValidationFailed, match="Line 2"):
        parse_custom_questions("text: ok\nno type here")


def test_results_of_an_ocai_survey_show_now_against_preferred(org_a):
    team, members = team_with(org_a, "Gamma", 3)
    survey_id = launch(
        org_a, [team], instrument=ins.OCAI, min_group_size=3, min_comment_group_size=3
    )
    links = links_from_outbox(org_a)
    split = {"now": {"clan": 10, "adhocracy": 20, "market": 30, "hierarchy": 40}}
    split["preferred"] = {"clan": 40, "adhocracy": 30, "market": 20, "hierarchy": 10}

    async def scenario():
        for person in members:
            form = {
                f"{key}::{phase}::{c}": str(v)
                for key, _, _ in ins.OCAI_DIMENSIONS
                for phase, points in split.items()
                for c, v in points.items()
            }
            answered = await _respond(links[_email(person)][0], form)
            assert answered.submitted, answered.error
        close(org_a, survey_id)
        results = await state_for(
            ResultsState,
            token=_token(org_a),
            path=f"/o/{org_a.org_slug}/surveys/results/{survey_id}",
        )
        await results.load()
        gamma = results.teams[0]
        assert gamma.visible
        assert gamma.ocai[0] == {"culture": "Clan (collaborate)", "now": 10.0, "preferred": 40.0}

    run(scenario())
    with tenant_session(org_a) as session:
        assert session.exec(select(func.sum(SurveyTeam.responses))).one() == 3


async def _launch_page(world) -> SurveysState:
    """The coach's surveys page, loaded, with team Alpha chosen for a launch."""
    state = await state_for(
        SurveysState, token=_token(world["coach"]), path=f"/o/{world['org'].org_slug}/surveys"
    )
    await state.load()
    state.choose_team(world["alpha"], True)
    return state


def test_launching_personal_links_without_smtp_says_they_could_not_be_delivered(world, monkeypatch):
    from pmo_saas.settings import get_settings

    monkeypatch.setenv("PMO_SMTP_HOST", "")
    get_settings.cache_clear()

    async def scenario():
        state = await _launch_page(world)
        state.mark_busy("launch")  # chained before launch by the form: the button spins
        assert state.busy == "launch"
        await state.launch({"title": "Quiet launch", "min_group_size": "5", "days_open": "7"})
        assert state.error == "", state.error
        assert state.busy == ""  # and stops when the launch ends
        assert "no mail server (SMTP) is configured" in state.notice
        assert "send reminders" in state.notice

    run(scenario())
    get_settings.cache_clear()


def test_the_launch_form_sets_the_reminder_schedule(world):

    async def scenario():
        state = await _launch_page(world)
        await state.launch({"title": "Late", "days_open": "7", "reminder_days": "2, 9"})
        assert "choose days from 1 to 6" in state.error
        await state.launch({"title": "Nudged", "days_open": "14", "reminder_days": "5, 2"})
        assert state.error == "", state.error
        state.choose_team(world["alpha"], True)
        await state.launch({"title": "Quiet", "days_open": "14", "reminder_days": ""})
        assert state.error == "", state.error

    run(scenario())
    with system_session() as session:
        schedules = {s.title: s.reminder_days for s in session.exec(select(Survey)).all()}
    # "Pulse" came from the service's default; "Late" was refused and not created.
    assert schedules == {"Pulse": "3,7", "Nudged": "2,5", "Quiet": ""}


def test_remind_and_close_buttons_spin_until_their_work_ends_refused_or_done(world):
    """The list chains mark_busy("remind-<id>") / ("close-<id>") before the handler; `_act`
    clears it whether the service refused (an unknown survey) or did the work."""
    sid = world["survey_id"]

    async def scenario():
        state = await _launch_page(world)
        state.mark_busy(f"close-{sid + 999}")
        await state.close(sid + 999)  # not a survey of this organisation: refused
        assert state.error != "" and state.busy == ""
        state.mark_busy(f"remind-{sid}")
        assert state.busy == f"remind-{sid}"
        await state.remind(sid)
        assert (state.error, state.busy) == ("", "")
        assert state.notice.startswith("Reminders sent to")
        state.mark_busy(f"close-{sid}")
        await state.close(sid)
        assert (state.error, state.busy) == ("", "")
        assert _status(sid) == "closed"

    run(scenario())
