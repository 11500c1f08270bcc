"""Logs carry request ids and never a secret: a sign-in and a survey submission, end to end."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import OutboxMessage
from pmo_saas.ops.logs import REDACTED, bind_actor, bind_request, build_handler, redact
from pmo_saas.surveys import services as surveys
from tests.surveys.helpers import (
    email_of,
    launch,
    links_from_outbox,
    smtp_delivery,
    team_with,
    westrum_answers,
)

PASSWORD = "correct-horse-battery-77"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, through the production handler (JSON)."""
    stream = io.StringIO()
    handler = build_handler(stream, "json")
    root = logging.getLogger()
    previous = root.level, logging.getLogger("pmo_saas").level
    bind_request("")  # no request id, org or user left bound by an earlier test
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("pmo_saas").setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous[0])
        logging.getLogger("pmo_saas").setLevel(previous[1])
        bind_request("")


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_redact_hides_token_like_values_and_keeps_words():
    samples = {
        "Authorization: Bearer abcdefghijklmnop123": "abcdefghijklmnop123",
        "url postgresql://pmo:hunter2-secret@db/pmo": "hunter2-secret",
        'payload {"password": "p@ss word!"}': "p@ss word!",
        "GET /auth/complete?ticket=tkt-123&next=/o/x": "tkt-123",
        "cookie: pmo_session=s3ss10n; theme=dark": "s3ss10n",
        "stripe key sk_live_51HxYzAbCdEf rejected": "sk_live_51HxYzAbCdEf",
        "open https://pmo.example/s/Zq3_v9KfLm0PqR7sTuVwXyZ12345abcd now": "Zq3_v9KfLm0PqR7s",
    }
    for text, secret in samples.items():
        cleaned = redact(text)
        assert secret not in cleaned, cleaned
        assert REDACTED in cleaned
    keep = "event pmo_saas___identity___pages___public____sign_up_state.submit took 3 ms"
    assert redact(keep) == keep


def test_a_sign_in_and_a_survey_submission_log_nothing_secret(captured, org_a):
    # Sign up and sign in through the service and the HTTP hand-over that sets the cookie.
    user_id, _slug = identity.sign_up(
        org_name="Log Org", name="Lo Owner", email="lo@log.example", password=PASSWORD
    )
    assert identity.authenticate(email="lo@log.example", password=PASSWORD) == user_id
    ticket = identity.issue_signin_ticket(
        user_id=user_id, next_path="/o/log-org", browser_binding="log-browser"
    )
    client = TestClient(build_api(), follow_redirects=False, cookies={"pmo_bind": "log-browser"})
    response = client.get(
        "/auth/complete", params={"ticket": ticket}, headers={"x-request-id": "req-signin-1"}
    )
    assert response.status_code == 303
    assert response.headers["x-request-id"] == "req-signin-1"
    session_token = (
        response.cookies.get("pmo_session")
        or response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    )
    identity.request_password_reset(email="lo@log.example")  # its link is masked in the log

    # A survey: invitations (with personal tokens) are mailed to the log, one is answered.
    bind_actor(org_id=None, user_id=org_a.user_id)
    team, members = team_with(org_a, "Alpha", 2)
    with tenant_session(org_a) as session:  # no SMTP: "mail not sent", inside org_a's session
        identity.invite_member(session=session, ctx=org_a, email="new@log.example", role="member")
    with smtp_delivery():  # personal survey links travel only by SMTP
        launch(org_a, [team])
        token = links_from_outbox(org_a)[email_of(members[0])][0]
    comment = "our manager hides bad news from the board"
    surveys.submit_response(token=token, answers=westrum_answers(2, comment=comment))

    with tenant_session(org_a) as session:
        bodies = session.exec(select(OutboxMessage.body)).all()
        # The app logs nothing of its own here (SMTP delivered): one line of ours, so the bound
        # user is checked on a line we know is written (not on asyncio's incidental debug line).
        logging.getLogger("pmo_saas.tests").info("inside org A")
    assert bodies and not any(token in body for body in bodies)  # masked in the outbox too
    mailed_tokens = [token]

    output = captured.getvalue()
    lines = _lines(captured)
    assert any("no SMTP configured" in line["message"] for line in lines), "mail was logged"
    assert REDACTED in output
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    # Lines written inside a tenant session name its organisation; bound ids are kept.
    scoped = [line for line in lines if line.get("org_id") is not None]
    assert scoped and all(line["org_id"] == org_a.org_id for line in scoped)
    assert any("You are invited" in line["message"] for line in scoped)
    assert all(line.get("user_id") in (None, org_a.user_id) for line in scoped)
    assert any(
        line["message"] == "inside org A" and line.get("user_id") == org_a.user_id
        for line in scoped
    ), scoped
    for secret in (PASSWORD, ticket, session_token, comment, *mailed_tokens):
        assert secret not in output, f"{secret[:6]}... reached the log"


def test_each_http_request_gets_its_own_request_id(captured):
    client = TestClient(build_api())
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert first != second and len(first) == 32
    # A caller's id is kept only when it is a plain short id.
    odd = client.get("/healthz", headers={"x-request-id": "<script>"}).headers["x-request-id"]
    assert odd != "<script>" and len(odd) == 32


def test_reflex_own_log_sinks_redact_too():
    from reflex_base.utils import log as reflex_log

    from pmo_saas.ops.logs import RedactingFilter, configure_logging

    configure_logging()
    for sink in (reflex_log._console_handler(), reflex_log._json_handler()):
        assert any(isinstance(f, RedactingFilter) for f in sink.filters)
    record = logging.LogRecord(
        "reflex.app", logging.WARNING, __file__, 1, "Event data: %s", ({"password": "pw-1"},), None
    )
    assert reflex_log._json_handler().filter(record)
    assert "pw-1" not in record.getMessage() and REDACTED in record.getMessage()


def test_a_tenant_session_names_its_organisation_only_while_it_lasts(captured, org_a, org_b):
    log = logging.getLogger("pmo_saas.tests")
    with tenant_session(org_a) as session:
        session.exec(select(OutboxMessage.id)).all()
        log.info("in A")
    log.info("after A")
    bind_actor(org_id=org_b.org_id, user_id=org_b.user_id)  # what an event had bound
    with tenant_session(org_a) as session:
        session.exec(select(OutboxMessage.id)).all()
        log.info("in A again")
    log.info("back in the event")
    bind_request("")
    log.info("next event")
    seen = {line["message"]: (line.get("org_id"), line.get("user_id")) for line in _lines(captured)}
    assert seen["in A"] == (org_a.org_id, None)
    assert seen["after A"] == (None, None)
    assert seen["in A again"] == (org_a.org_id, org_b.user_id)
    assert seen["back in the event"] == (org_b.org_id, org_b.user_id)
    assert seen["next event"] == (None, None)


def test_a_job_run_logs_under_its_own_request_id_and_no_organisation_it_left(
    captured, org_a, org_b
):
    from datetime import timedelta

    from pmo_saas.jobs import services as jobs

    log = logging.getLogger("pmo_saas.tests")

    def work(progress: jobs.Progress) -> None:
        for ctx in (org_a, org_b):
            with tenant_session(ctx) as session:
                session.exec(select(OutboxMessage.id)).all()
                log.info("digest for %s", ctx.org_id)
        log.info("all organisations done")
        progress.done()

    run = jobs.run_job("probe_job", work, lease=timedelta(minutes=1))
    assert run is not None and run.outcome == "ok"
    log.info("the worker waits")
    lines = {line["message"]: line for line in _lines(captured)}
    inside = [lines[f"digest for {c.org_id}"] for c in (org_a, org_b)]
    assert [line["org_id"] for line in inside] == [org_a.org_id, org_b.org_id]
    request_ids = {line["request_id"] for line in [*inside, lines["all organisations done"]]}
    assert len(request_ids) == 1 and next(iter(request_ids)).startswith("job-probe_job-")
    assert "org_id" not in lines["all organisations done"]
    assert not {"org_id", "user_id", "request_id"} & set(lines["the worker waits"])


def test_an_event_logs_the_signed_in_user_and_organisation_and_clears_them_after(captured, org_a):
    import asyncio

    from reflex_base.event import Event

    from pmo_saas.db import in_tenant
    from pmo_saas.identity.auth_state import tenant_context
    from pmo_saas.ops.metrics import EventMetricsMiddleware
    from pmo_saas.surveys.pages.overview import SurveysState
    from tests.state_harness import run, state_for

    log = logging.getLogger("pmo_saas.tests")
    token = identity.start_session(user_id=org_a.user_id)
    path = f"/o/{org_a.org_slug}/surveys"

    def service(*, session, ctx) -> None:  # type: ignore[no-untyped-def]
        log.info("in the service")

    async def scenario() -> None:
        state = await state_for(SurveysState, token=token, path=path)

        async def event() -> None:
            await EventMetricsMiddleware().preprocess(None, None, Event(name="probe.load"))
            ctx = await tenant_context(state)
            log.info("in the handler")
            await in_tenant(ctx, service)

        await asyncio.create_task(event())
        await asyncio.sleep(0)  # the event task's done callback
        log.info("between events")

    run(scenario())
    lines = {line["message"]: line for line in _lines(captured)}
    for message in ("in the handler", "in the service"):
        assert (lines[message]["org_id"], lines[message]["user_id"]) == (
            org_a.org_id,
            org_a.user_id,
        )
    assert lines["in the handler"]["request_id"] == lines["in the service"]["request_id"]
    assert not {"org_id", "user_id"} & set(lines["between events"])
    assert token not in captured.getvalue()
