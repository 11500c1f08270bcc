"""Survey test helpers: quick people and teams, links read from the mails sent.

Personal links reach people only by SMTP (the outbox keeps them masked), so survey tests mail
through the loopback SMTP server of tests/peers/smtp.py (`smtp_delivery`, on for every test
in tests/surveys and for `launch` here) and read the links from what it received.
"""

from __future__ import annotations

import re
import secrets

from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import Membership, OutboxMessage, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import services
from tests import factories
from tests.peers import smtp
from tests.peers.smtp import smtp_delivery

LINK = re.compile(r"/s/([A-Za-z0-9_\-]+)")


def people(ctx: TenantContext, n: int, role: Role = Role.MEMBER) -> list[TenantContext]:
    """n members without a password (no argon2 per person: keeps the suite fast)."""
    made = []
    with system_session() as session:
        for _ in range(n):
            user = User(email=factories.unique_email("p"), name="P " + secrets.token_hex(3))
            session.add(user)
            session.flush()
            assert user.id is not None
            session.add(Membership(org_id=ctx.org_id, user_id=user.id, role=role))
            made.append(TenantContext(org_id=ctx.org_id, user_id=user.id, role=role))
    return made


def team_with(ctx: TenantContext, name: str, n: int) -> tuple[int, list[TenantContext]]:
    members = people(ctx, n)
    return factories.make_team(ctx, name, members), members


def links_from_outbox(ctx: TenantContext, subject_contains: str = "") -> dict[str, list[str]]:
    """email -> tokens, oldest first, as delivered by SMTP to ctx's organisation's mail."""
    with tenant_session(ctx) as session:
        ours = {
            m.to_email
            for m in session.exec(select(OutboxMessage)).all()
            if subject_contains in m.subject
        }
    found: dict[str, list[str]] = {}
    for message in smtp.messages():
        if message["To"] in ours and subject_contains in (message["Subject"] or ""):
            found.setdefault(message["To"], []).extend(LINK.findall(smtp.body(message)))
    return found


def email_of(ctx: TenantContext) -> str:
    with system_session() as session:
        user = session.get(User, ctx.user_id)
        assert user is not None
        return user.email


def launch(ctx: TenantContext, team_ids: list[int], instrument: str = "westrum", **kw) -> int:
    with smtp_delivery(), tenant_session(ctx) as session:
        return services.launch_survey(
            session=session,
            ctx=ctx,
            title=kw.pop("title", f"{instrument} check"),
            instrument=instrument,
            team_ids=team_ids,
            **kw,
        )


def westrum_answers(value: int, comment: str = "") -> dict:
    answers: dict = {
        k: value
        for k in ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")
    }
    if comment:
        answers["comment"] = comment
    return answers


def close(ctx: TenantContext, survey_id: int) -> None:
    with tenant_session(ctx) as session:
        services.close_survey(session=session, ctx=ctx, survey_id=survey_id)


def results(ctx: TenantContext, survey_id: int, team_ids: list[int] | None = None):
    with tenant_session(ctx) as session:
        return services.survey_results(
            session=session, ctx=ctx, survey_id=survey_id, team_ids=team_ids
        )


def team_results(ctx: TenantContext, survey_team_id: int):
    """One surveyed team's results with its bars (the survey's results list it without)."""
    with tenant_session(ctx) as session:
        return services.survey_team_results(session=session, ctx=ctx, survey_team_id=survey_team_id)
