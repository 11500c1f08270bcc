"""Submissions under concurrency: exactly once, counted exactly by a close running beside
them, never deadlocked with a close or a deletion, and never queued on the organisation's
row (its data version is bumped after the submission commits, still once per submission).

The PostgreSQL tests hold real row locks from a second connection; SQLite serialises every
writer on its one write lock, so there they have nothing to show and are not defined."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import Organization
from pmo_saas.kernel.errors import Conflict
from pmo_saas.surveys import services
from pmo_saas.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyOpenKey,
    SurveySealedResponse,
    SurveyTeam,
)
from tests.surveys.helpers import close, email_of, launch, links_from_outbox, team_with
from tests.surveys.helpers import westrum_answers as answers

POSTGRES = os.environ["PMO_DATABASE_URL"].startswith("postgresql")


def _version(org_id: int) -> int:
    with system_session() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org.data_version


def _sealed(survey_id: int) -> int:
    with get_engine().connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM surveysealedresponse WHERE survey_id = :s"),
            {"s": survey_id},
        ).scalar_one()


def test_each_submission_bumps_the_version_once_and_a_refused_one_not_at_all(org_a):
    team, members = team_with(org_a, "Alpha", 2)
    launch(org_a, [team])
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    before = _version(org_a.org_id)
    services.submit_response(token=token, answers=answers(4), form_key="form-1")
    assert _version(org_a.org_id) == before + 1
    with pytest.raises(Conflict, match="already been used"):
        services.submit_response(token=token, answers=answers(4))
    with pytest.raises(services.AlreadyReceived):
        services.submit_response(token=token, answers=answers(4), form_key="form-1")
    assert _version(org_a.org_id) == before + 1


if POSTGRES:

    def _wait_for_a_lock_wait(deadline_s: float = 10.0) -> None:
        """Until some backend waits on a row lock (the submission, blocked)."""
        start = time.monotonic()
        with get_engine().connect() as conn:
            while time.monotonic() - start < deadline_s:
                waiting = conn.execute(
                    text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                ).scalar_one()
                conn.rollback()
                if waiting:
                    return
                time.sleep(0.02)
        raise AssertionError("the submission never waited on the lock")

    def test_a_submission_commits_while_another_writer_holds_the_organisations_row(org_a):
        team, members = team_with(org_a, "Alpha", 2)
        survey_id = launch(org_a, [team])
        token = links_from_outbox(org_a)[email_of(members[0])][0]
        before = _version(org_a.org_id)
        with get_engine().connect() as holder:
            holder.execute(
                text("SELECT id FROM organization WHERE id = :id FOR NO KEY UPDATE"),
                {"id": org_a.org_id},
            )
            with ThreadPoolExecutor(max_workers=1) as pool:
                done = pool.submit(services.submit_response, token=token, answers=answers(5))
                start = time.monotonic()
                while _sealed(survey_id) == 0 and time.monotonic() - start < 10:
                    time.sleep(0.02)
                # The answer is committed although the organisation's row is still held:
                # only the version bump, after the commit, waits for it.
                assert _sealed(survey_id) == 1
                assert not done.done()
                holder.rollback()
                done.result(timeout=10)
        assert _version(org_a.org_id) == before + 1

    def test_a_close_that_took_the_team_lock_first_refuses_the_waiting_submission(org_a):
        """The survey's status is read after the team's lock: a submission that waited for
        the close sees it closed (read with the lock's own snapshot, it would be stored
        after the close had counted: never opened, never counted)."""
        team, members = team_with(org_a, "Alpha", 2)
        survey_id = launch(org_a, [team])
        token = links_from_outbox(org_a)[email_of(members[0])][0]
        with get_engine().connect() as closer:
            closer.execute(  # what the close does first: every team lock of the survey
                text("UPDATE surveyteam SET team_name = team_name WHERE survey_id = :s"),
                {"s": survey_id},
            )
            with ThreadPoolExecutor(max_workers=1) as pool:
                done = pool.submit(services.submit_response, token=token, answers=answers(5))
                _wait_for_a_lock_wait()
                closer.execute(
                    text("UPDATE survey SET status = 'closed' WHERE id = :s"), {"s": survey_id}
                )
                closer.commit()
                with pytest.raises(Conflict, match="closed"):
                    done.result(timeout=10)
        assert _sealed(survey_id) == 0
        with tenant_session(org_a) as session:
            assert session.exec(select(func.sum(SurveyTeam.responses))).one() == 0
            assert not any(session.exec(select(SurveyInvitation.answered)).all())

    def _race(org_a, action) -> tuple[int, list[int], dict[str, int]]:  # type: ignore[no-untyped-def]
        """Three teams of six submit all at once while `action(survey_id)` runs in the
        middle of them. Returns the survey, its team ids and the outcomes."""
        teams = [team_with(org_a, f"Team {n}", 6) for n in range(3)]
        survey_id = launch(org_a, [t for t, _ in teams], min_group_size=5)
        links = links_from_outbox(org_a)
        tokens = [links[email_of(m)][0] for _, members in teams for m in members]
        outcomes: dict[str, int] = {}
        lock = threading.Lock()
        start = threading.Barrier(len(tokens) + 1)

        def submit(n: int) -> None:
            start.wait()
            try:
                services.submit_response(
                    token=tokens[n], answers=answers(1 + n % 7), form_key=f"form-{n}"
                )
                outcome = "ok"
            except Conflict as refused:
                outcome = "closed" if "closed" in str(refused) else str(refused)
            except services.InvalidLink:
                outcome = "gone"
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

        def act() -> None:
            start.wait()
            time.sleep(0.01)  # some submissions first, the rest beside and after it
            action(survey_id)

        with ThreadPoolExecutor(max_workers=len(tokens) + 1) as pool:
            futures = [pool.submit(submit, n) for n in range(len(tokens))]
            futures.append(pool.submit(act))
            for future in futures:
                future.result(timeout=60)  # a deadlock or any other error fails here
        return survey_id, [t for t, _ in teams], outcomes

    @pytest.mark.parametrize("round_", range(3))
    def test_submissions_beside_a_close_are_counted_exactly_and_never_deadlock(org_a, round_):
        """Whatever the order: each answer accepted is counted once by the close or, for a
        team below the threshold, stays sealed; each refused one left nothing."""
        survey_id, _, outcomes = _race(org_a, lambda s: close(org_a, s))
        assert set(outcomes) <= {"ok", "closed"}, outcomes
        accepted = outcomes.get("ok", 0)
        with tenant_session(org_a) as session:
            survey = session.get(Survey, survey_id)
            assert survey is not None and survey.status == "closed"
            teams = session.exec(select(SurveyTeam).where(SurveyTeam.survey_id == survey_id))
            counted = {t.id: t.responses for t in teams}
            answered = session.exec(
                select(func.count()).where(
                    col(SurveyInvitation.answered), SurveyInvitation.survey_id == survey_id
                )
            ).one()
            keys = session.exec(
                select(func.count()).where(SurveyOpenKey.survey_id == survey_id)
            ).one()
            sealed = {
                team_id: n
                for team_id, n in session.exec(
                    select(SurveySealedResponse.survey_team_id, func.count())
                    .where(SurveySealedResponse.survey_id == survey_id)
                    .group_by(SurveySealedResponse.survey_team_id)
                ).all()
            }
        assert sum(counted.values()) == accepted == answered
        assert keys == 0  # every receipt deleted by the close, none added after it
        # Teams at the threshold were opened whole; smaller ones stay sealed, every answer.
        for team_id, n in counted.items():
            assert sealed.get(team_id, 0) == (0 if n >= 5 else n)

    def test_submissions_beside_a_deletion_never_deadlock_and_leave_nothing(org_a):
        def delete(survey_id: int) -> None:
            with tenant_session(org_a) as session:
                services.delete_survey(session=session, ctx=org_a, survey_id=survey_id)

        survey_id, _, outcomes = _race(org_a, delete)
        assert set(outcomes) <= {"ok", "gone"}, outcomes
        with get_engine().connect() as conn:
            for table in (
                "surveyteam",
                "surveyinvitation",
                "surveysealedresponse",
                "surveyopenkey",
            ):
                left = conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE survey_id = :s"),
                    {"s": survey_id},
                ).scalar_one()
                assert left == 0, table
