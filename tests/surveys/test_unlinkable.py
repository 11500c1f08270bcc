"""Stored responses carry no user id and cannot be joined to a user: schema and data."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import inspect, text
from sqlmodel import select

from pmo_saas.db import get_engine, system_session, tenant_session
from pmo_saas.surveys import services
from pmo_saas.surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tests.surveys.helpers import email_of, launch, links_from_outbox, team_with, westrum_answers

ANSWER_TABLES = ("surveyresponse", "surveyanswer")


def test_schema_of_answers_has_no_person_no_time_and_no_path_to_one():
    inspector = inspect(get_engine())
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
        # Only survey structure: never a person, a membership, a link or participation.
        assert targets <= {
            "organization",
            "survey",
            "surveyteam",
            "surveyquestion",
            "surveyresponse",
        }, (table, targets)
    # Participation has no time and no reference to a response.
    columns = {c["name"] for c in inspector.get_columns("surveyinvitation")}
    assert not {c for c in columns if c.endswith("_at") or "response" in c}
    # The only columns answers and participation share are the survey and the team.
    shared = {c["name"] for c in inspector.get_columns("surveyresponse")} & columns
    assert shared == {"id", "org_id", "survey_id", "survey_team_id"}
    # ... and `id` is a random string on one side, a sequence number on the other.
    response_id = next(c for c in inspector.get_columns("surveyresponse") if c["name"] == "id")
    assert "CHAR" in str(response_id["type"]).upper()


def test_data_of_answers_cannot_be_joined_to_a_user(org_a):
    team, members = team_with(org_a, "Alpha", 6)
    launch(org_a, [team])
    links = links_from_outbox(org_a)
    answered = members[:5]
    for n, m in enumerate(answered):
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(n + 1))
    user_ids = {m.user_id for m in members}
    with tenant_session(org_a) as session:
        responses = session.exec(select(SurveyResponse)).all()
        answers = session.exec(select(SurveyAnswer)).all()
        invitations = session.exec(select(SurveyInvitation)).all()
    assert len(responses) == 5
    # Response ids are random (not a sequence), so they order nothing and match no user id.
    assert all(len(r.id) == 32 and not r.id.isdigit() for r in responses)
    for r in responses:
        assert r.submission_key is None
        # Joining on what is shared gives the whole team, never one person.
        candidates = {i.user_id for i in invitations if i.survey_team_id == r.survey_team_id}
        assert candidates == user_ids
    # Every stored answer belongs to a response; nothing else about it points anywhere.
    assert {a.response_id for a in answers} == {r.id for r in responses}
    assert set(SurveyAnswer.model_fields) == {
        "org_id",
        "response_id",
        "question_id",
        "option_key",
        "survey_id",
        "survey_team_id",
        "value",
        "text",
    }
    # Participation tells who answered, but nothing about when or which response.
    assert Counter(i.answered for i in invitations) == {True: 5, False: 1}


def test_row_versions_do_not_pair_answers_with_people(org_a):
    """On PostgreSQL every submission rewrites the team's participation rows together, so a
    response's transaction id (xmin) matches all of them or none; on SQLite rowids of
    participation never change when someone answers."""
    team, members = team_with(org_a, "Alpha", 5)
    launch(org_a, [team])
    links = links_from_outbox(org_a)
    with system_session() as session:
        dialect = session.get_bind().dialect.name
    for n, m in enumerate(members[:4]):
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(n + 1))
        with get_engine().connect() as conn:
            if dialect == "postgresql":
                invitation_x = [
                    row[0] for row in conn.execute(text("SELECT xmin::text FROM surveyinvitation"))
                ]
                response_x = [
                    row[0] for row in conn.execute(text("SELECT xmin::text FROM surveyresponse"))
                ]
                # All participation rows share the latest submission's xmin.
                assert len(set(invitation_x)) == 1
                for x in response_x:
                    matching = [i for i in invitation_x if i == x]
                    assert matching in ([], invitation_x)
            else:
                rowids = [
                    row[0]
                    for row in conn.execute(
                        text("SELECT rowid FROM surveyinvitation ORDER BY rowid")
                    )
                ]
                assert rowids == sorted(rowids) and len(rowids) == 5
