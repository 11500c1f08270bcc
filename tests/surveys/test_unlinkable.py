"""An attacker holding the database (and the outbox, which lives in it) tries to tie responses
to people: through columns, row order, ids, row versions, times and lengths. Every attempt is
written as the attack and must fail. The answers are submitted in a known order, each person
with a distinct answer, so any leak of order would show as a match."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import func, select

from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.identity.models import AuditEvent, OutboxMessage
from pmo_saas.kernel import clock
from pmo_saas.surveys import sealing, services, tally
from pmo_saas.surveys.models import (
    SurveyComment,
    SurveyInvitation,
    SurveySealedResponse,
    SurveyTally,
    SurveyTeam,
)
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    results,
    team_results,
    team_with,
    westrum_answers,
)

ANSWER_TABLES = ("surveysealedresponse", "surveytally", "surveycomment", "surveyopenkey")


def _dialect() -> str:
    with system_session() as session:
        return session.get_bind().dialect.name


def test_schema_of_answers_has_no_person_no_time_and_no_path_to_one():
    inspector = inspect(get_engine())
    tables = set(inspector.get_table_names())
    assert not {"surveyresponse", "surveyanswer"} & tables  # no per-response rows any more
    for table in ANSWER_TABLES:
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert not {"user_id", "invitation_id", "email", "actor_id"} & set(columns), table
        assert not [
            n
            for n, c in columns.items()
            if "time" in str(c["type"]).lower()
            or "date" in str(c["type"]).lower()
            or n.endswith("_at")
        ], table
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert targets <= {"organization", "survey", "surveyteam", "surveyquestion"}, table
    # Participation has no time and no reference to a response.
    columns = {c["name"] for c in inspector.get_columns("surveyinvitation")}
    assert not {c for c in columns if c.endswith("_at") or "response" in c}
    # Sealed responses and comments have random string ids, not sequence numbers.
    for table in ("surveysealedresponse", "surveycomment"):
        pk = next(c for c in inspector.get_columns(table) if c["name"] == "id")
        assert "CHAR" in str(pk["type"]).upper()


def _six_answer_in_a_known_order(org_a):  # type: ignore[no-untyped-def]
    team, members = team_with(org_a, "Alpha", 6)
    survey_id = launch(org_a, [team], min_group_size=5, min_comment_group_size=5)
    links = links_from_outbox(org_a)
    order = []
    for n, m in enumerate(members):
        comment = f"person {n} says " + "x" * (n * 37 + 1)  # distinct lengths, to try those too
        services.submit_response(
            token=links[email_of(m)][0], answers=westrum_answers(n + 1, comment)
        )
        order.append((m.user_id, n + 1, comment))
    return survey_id, team, members, links, order


def _stored_order(table: str, column: str) -> list:
    """Rows as the storage holds them: SQLite's physical order (no ORDER BY), PostgreSQL's
    heap order (ctid) -- what a dump or a backup file keeps."""
    order_by = " ORDER BY ctid" if _dialect() == "postgresql" else ""
    with get_engine().connect() as conn:
        return [r[0] for r in conn.execute(text(f"SELECT {column} FROM {table}{order_by}"))]


def test_a_database_holder_cannot_map_six_respondents(org_a, monkeypatch):
    survey_id, _, members, links, order = _six_answer_in_a_known_order(org_a)

    # While the survey runs: nothing readable, and nothing with a length or an order.
    with tenant_session(org_a) as session:
        sealed = session.exec(select(SurveySealedResponse)).all()
        assert session.exec(select(SurveyTally)).all() == []
        assert session.exec(select(SurveyComment)).all() == []
    assert len(sealed) == 6
    assert len({len(s.sealed) for s in sealed}) == 1  # padded: comment lengths do not show
    for box in sealed:
        assert len(box.id) == 32 and not box.id.isdigit()
        assert not any(c.encode() in box.sealed for _, _, c in order)
    if _dialect() == "sqlite":
        # Not even the database file holds a comment (or a token) in clear.
        raw = Path(get_engine().url.database or "").read_bytes()
        assert not any(c.encode() in raw for _, _, c in order)
        assert not any(t.encode() in raw for ts in links.values() for t in ts)
        # Sealed rows sit in random-id order, not in the order people answered.
        assert _stored_order("surveysealedresponse", "id") == sorted(b.id for b in sealed)

    # The outbox (an admin's view of every mail) holds no link that would answer for anyone.
    with tenant_session(org_a) as session:
        bodies = [m.body for m in session.exec(select(OutboxMessage)).all()]
    assert len(bodies) == 6
    assert not any(t in b for b in bodies for ts in links.values() for t in ts)
    assert all("[link hidden" in b for b in bodies)

    close(org_a, survey_id)

    # After the close: counters and loose comments, no per-response row at all.
    with tenant_session(org_a) as session:
        assert session.exec(select(SurveySealedResponse)).all() == []
        tallies = session.exec(select(SurveyTally)).all()
        comments = session.exec(select(SurveyComment)).all()
    assert {t.count for t in tallies} == {1}  # each person a distinct value: counts of one ...
    per_question = Counter(t.question_id for t in tallies)
    assert set(per_question.values()) == {6}  # ... 6 values per question, unordered
    # Attack 1: the comments' storage order against the order people answered.
    submitted = [c for _, _, c in order]
    stored = _stored_order("surveycomment", "text")
    assert sorted(stored) == sorted(submitted)
    assert stored != submitted
    # Attack 2: their ids (random, so their sort order is just another shuffle).
    with tenant_session(org_a) as session:
        by_id = [
            c.text for c in session.exec(select(SurveyComment).order_by(SurveyComment.id)).all()
        ]
    assert by_id != submitted
    # Attack 3: the tally rows' order is by value, created in one go: it says nothing of who.
    assert all(len(c.id) == 32 for c in comments)
    # Attack 4: participation. Rows are as they were at launch (order = members' ids), every
    # one answered, no time: joining on what is shared gives the whole team, never one person.
    with tenant_session(org_a) as session:
        invitations = session.exec(select(SurveyInvitation).order_by(SurveyInvitation.id)).all()
    assert [i.user_id for i in invitations] == sorted(m.user_id for m in members)
    assert all(i.answered for i in invitations)
    # The results still hold every answer, exactly once.
    r = results(org_a, survey_id)
    assert r.responses == 6 and r.teams[0].visible
    assert sorted(r.teams[0].comments[0].comments) == sorted(submitted)
    assert r.teams[0].headline is not None and r.teams[0].headline.value == pytest.approx(3.5)


def test_row_versions_do_not_pair_answers_with_people(org_a):
    """On PostgreSQL every submission rewrites the team's participation rows together, so a
    sealed response's transaction id (xmin) matches all of them or none; on SQLite rowids of
    participation never change when someone answers."""
    team, members = team_with(org_a, "Alpha", 5)
    launch(org_a, [team])
    links = links_from_outbox(org_a)
    for n, m in enumerate(members[:4]):
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(n + 1))
        with get_engine().connect() as conn:
            if _dialect() == "postgresql":
                invitation_x = [
                    row[0] for row in conn.execute(text("SELECT xmin::text FROM surveyinvitation"))
                ]
                sealed_x = [
                    row[0]
                    for row in conn.execute(text("SELECT xmin::text FROM surveysealedresponse"))
                ]
                assert len(set(invitation_x)) == 1
                for x in sealed_x:
                    assert [i for i in invitation_x if i == x] in ([], invitation_x)
            else:
                rowids = [
                    row[0]
                    for row in conn.execute(
                        text("SELECT rowid FROM surveyinvitation ORDER BY rowid")
                    )
                ]
                assert rowids == sorted(rowids) and len(rowids) == 5


def test_reminders_and_audit_keep_only_the_day(org_a):
    team, members = team_with(org_a, "Alpha", 4)
    clock.freeze(clock.utcnow().replace(hour=15, minute=47, second=12, microsecond=0))
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    services.submit_response(token=links[email_of(members[0])][0], answers=westrum_answers(5))
    services.submit_response(token=links[email_of(members[1])][0], answers=westrum_answers(4))
    with tenant_session(org_a) as session:
        sent = services.send_reminders(session=session, ctx=org_a, survey_id=survey_id)
    assert sent == 2
    with tenant_session(org_a) as session:
        reminders = session.exec(
            select(OutboxMessage).where(OutboxMessage.subject.startswith("Reminder"))  # type: ignore[attr-defined]
        ).all()
        mails = session.exec(select(OutboxMessage)).all()
        audit_rows = session.exec(
            select(AuditEvent).where(AuditEvent.action == "survey.reminders_sent")
        ).all()
    # Only those who had not answered get one.
    assert sorted(m.to_email for m in reminders) == sorted(email_of(m) for m in members[2:])
    # Every survey mail in the outbox is dated to the day, never the time of day.
    for m in mails:
        at = clock.as_utc(m.created_at)
        assert (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)
    # The audit row says reminders went out that day, not when nor how many (with the
    # reminder mails that would tell who had answered by then).
    assert [row.detail for row in audit_rows] == ["to everyone who had not answered"]
    for row in audit_rows:
        at = clock.as_utc(row.created_at)
        assert (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)
    # A fresh reminder link, like the first one, is in no stored form.
    fresh = links_from_outbox(org_a, "Reminder")
    assert not any(t in m.body for m in mails for ts in fresh.values() for t in ts)


def test_an_acknowledged_answer_survives_a_failed_shuffle_and_a_restart(org_a, monkeypatch):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team], min_comment_group_size=5)
    links = links_from_outbox(org_a)
    for n, m in enumerate(members):
        services.submit_response(
            token=links[email_of(m)][0], answers=westrum_answers(n + 2, f"note {n}")
        )

    def broken(items: list) -> None:
        raise RuntimeError("the process died while shuffling")

    monkeypatch.setattr(tally, "_shuffle", broken)
    with pytest.raises(RuntimeError):
        close(org_a, survey_id)
    # Nothing half-written: still running, still sealed, nothing counted.
    with tenant_session(org_a) as session:
        assert session.exec(select(func.count()).select_from(SurveySealedResponse)).one() == 5
        assert session.exec(select(SurveyTally)).all() == []
        assert session.exec(select(SurveyTeam.responses)).one() == 5
    # "Restart": a fresh engine and freshly derived keys; then the close goes through.
    monkeypatch.undo()
    get_engine().dispose()
    sealing._aead.cache_clear()
    close(org_a, survey_id)
    # Counted exactly once, also when the results are read again (and again).
    for _ in range(2):
        r = results(org_a, survey_id)
        assert r.responses == 5
        assert r.teams[0].bars_omitted and r.teams[0].questions[0].answered == 5
        team = team_results(org_a, r.teams[0].survey_team_id)
        assert sum(b.count for b in team.questions[0].bars) == 5
        assert sorted(r.teams[0].comments[0].comments) == [f"note {n}" for n in range(5)]
    with tenant_session(org_a) as session:
        assert session.exec(select(func.sum(SurveyTally.count))).one() == 5 * 6


def test_a_survey_closed_by_its_end_date_opens_its_answers_on_the_first_read(org_a):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team], days_open=1)
    links = links_from_outbox(org_a)
    for n, m in enumerate(members):
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(n + 1))
    clock.freeze(clock.utcnow() + timedelta(days=2))
    first = results(org_a, survey_id)
    again = results(org_a, survey_id)
    assert first.teams[0].headline == again.teams[0].headline
    assert first.teams[0].headline is not None and first.teams[0].headline.value == 3.0
    with tenant_session(org_a) as session:
        assert session.exec(select(SurveySealedResponse)).all() == []


def test_without_smtp_neither_the_outbox_page_nor_the_log_holds_a_link(org_a, monkeypatch, caplog):
    """An admin reading the outbox (or the log) could otherwise answer as anyone."""
    from pmo_saas.identity import services as identity
    from pmo_saas.identity.mail import UNSENT_MASK
    from pmo_saas.settings import get_settings

    monkeypatch.setenv("PMO_SMTP_HOST", "")
    get_settings.cache_clear()
    issued: list[str] = []
    from pmo_saas.surveys.services import launch as launching
    from pmo_saas.surveys.services import reminders as reminding

    real_new_token = launching.new_token

    def recording_new_token() -> tuple[str, str]:
        token, token_hash = real_new_token()
        issued.append(token)
        return token, token_hash

    monkeypatch.setattr(launching, "new_token", recording_new_token)
    monkeypatch.setattr(reminding, "new_token", recording_new_token)
    team, _ = team_with(org_a, "Alpha", 3)
    caplog.set_level("DEBUG")
    with tenant_session(org_a) as session:
        survey_id = services.launch_survey(
            session=session, ctx=org_a, title="Quiet", instrument="westrum", team_ids=[team]
        )
    with tenant_session(org_a) as session:
        services.send_reminders(session=session, ctx=org_a, survey_id=survey_id)
        rows = identity.list_outbox(session=session, ctx=org_a)
    assert len(issued) == 6 and len(rows) == 6
    for row in rows:
        assert UNSENT_MASK in row.body
        assert not any(t in row.body for t in issued)
        assert row.at.endswith("00:00")  # the day only
    logged = caplog.text
    assert "/s/" not in logged and not any(t in logged for t in issued)
    assert not any(email_of_row in logged for email_of_row in (r.to_email for r in rows))


def test_a_team_below_the_threshold_is_never_stored_readable(org_a):
    """After the close, a database holder finds counters for the large teams only: the
    one-person team's answer stays sealed, and is opened in memory for the org total."""
    alpha, alpha_people = team_with(org_a, "Alpha", 6)
    beta, beta_people = team_with(org_a, "Beta", 5)
    solo, solo_people = team_with(org_a, "Solo", 1)
    survey_id = launch(org_a, [alpha, beta, solo], min_comment_group_size=5)
    links = links_from_outbox(org_a)
    values = {}
    for n, person in enumerate(alpha_people + beta_people + solo_people):
        value = 7 if person in solo_people else 1 + n % 5
        values[person.user_id] = value
        comment = "solo secret" if person in solo_people else f"note {n}"
        services.submit_response(
            token=links[email_of(person)][0], answers=westrum_answers(value, comment)
        )
    close(org_a, survey_id)
    with tenant_session(org_a) as session:
        solo_team = session.exec(select(SurveyTeam).where(SurveyTeam.team_name == "Solo")).one()
        assert (
            session.exec(
                select(SurveyTally).where(SurveyTally.survey_team_id == solo_team.id)
            ).all()
            == []
        )
        assert "solo secret" not in [c.text for c in session.exec(select(SurveyComment)).all()]
        [box] = session.exec(select(SurveySealedResponse)).all()
        assert box.survey_team_id == solo_team.id and b"solo secret" not in box.sealed
    r = results(org_a, survey_id)
    shown = {g.label: g.visible for g in r.teams}
    assert shown == {"Alpha": True, "Beta": False, "Solo": False}  # Beta hidden: differencing
    assert r.org.visible and r.org.responses == 12
    assert r.org.headline is not None
    assert r.org.headline.value == pytest.approx(sum(values.values()) / 12, abs=0.01)
    assert "solo secret" in [c for g in r.org.comments for c in g.comments]
    # Read again: the same figures, still nothing of Solo stored readable.
    assert results(org_a, survey_id).org.headline == r.org.headline
