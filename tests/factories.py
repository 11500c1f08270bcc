"""Test data built through the services (random where it does not matter)."""

from __future__ import annotations

import secrets

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, Organization, OutboxMessage, User
from pmo_saas.identity.security import hash_password
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests.peers import smtp

PASSWORD = "correct-horse-battery-9"
VERIFY_SUBJECT = "Verify your email for pmo_saas"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


def make_org(
    name: str = "Org", *, email: str | None = None, verified: bool = True
) -> TenantContext:
    """A new organisation through sign-up; returns its owner's context.

    The owner is verified the way a person is: by opening the link of the verification mail.
    """
    email = email or unique_email("owner")
    with smtp.smtp_delivery():  # the link reaches the person only by SMTP
        user_id, slug = identity.sign_up(
            org_name=name, name=f"{name} Owner", email=email, password=PASSWORD
        )
    if verified:
        identity.verify_email(token=verification_token(email))
        # The person read and used that mail: it leaves the outbox and the SMTP peer's inbox,
        # so the other domains' tests find there only the mails they caused.
        smtp.discard(email, VERIFY_SUBJECT)
        with system_session() as session:
            session.exec(
                delete(OutboxMessage).where(
                    col(OutboxMessage.to_email) == email.lower(),
                    col(OutboxMessage.subject) == VERIFY_SUBJECT,
                )
            )
    return identity.workspace_context(user_id=user_id, slug=slug)


def verification_token(email: str) -> str:
    """The token of the newest verification mail to `email`, as SMTP delivered it (the
    outbox keeps the link masked)."""
    return smtp.last_link(email.lower(), r"/verify/([\w-]+)")


def make_member(
    ctx: TenantContext, role: Role = Role.MEMBER, *, name: str = "", email: str | None = None
) -> TenantContext:
    """Another person in ctx's organisation with `role`; returns their context."""
    email = email or unique_email(role.value)
    with system_session() as session:
        # Verified, as accepting an invitation would have left them.
        user = User(
            email=email,
            name=name or email.split("@")[0],
            password_hash=hash_password(PASSWORD),
            email_verified_at=utcnow(),
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Membership(org_id=ctx.org_id, user_id=user.id, role=role))
        slug = session.exec(select(Organization.slug).where(Organization.id == ctx.org_id)).one()
    return TenantContext(org_id=ctx.org_id, user_id=user.id, role=role, org_slug=slug)


def make_team(
    ctx: TenantContext, name: str | None = None, members: list[TenantContext] = ()
) -> int:  # type: ignore[assignment]
    with tenant_session(ctx) as session:
        owner = TenantContext(org_id=ctx.org_id, user_id=ctx.user_id, role=Role.OWNER)
        team_id = identity.create_team(
            session=session, ctx=owner, name=name or f"Team {secrets.token_hex(3)}"
        )
        for person in members:
            membership_id = session.exec(
                select(Membership.id).where(Membership.user_id == person.user_id)
            ).one()
            assert membership_id is not None
            identity.add_team_member(
                session=session, ctx=owner, team_id=team_id, membership_id=membership_id
            )
    return team_id


def _make_invitation(ctx: TenantContext) -> None:
    with tenant_session(ctx) as session:
        identity.invite_member(
            session=session, ctx=ctx, email=unique_email("invitee"), role="member"
        )


# Tenant tables the demo seed leaves empty get a row from here in the isolation test.
TENANT_ROW_MAKERS = {
    "invitation": _make_invitation,  # also writes an outbox message
}


def _make_sso_rows(ctx: TenantContext) -> None:
    """A connection (through the service) and a linked IdP identity (as sign-in leaves one)."""
    from pmo_saas.billing.entitlements import billing_enabled
    from pmo_saas.identity import sso
    from pmo_saas.identity.sso_models import SsoIdentity

    assert not billing_enabled()  # SSO is an Enterprise feature when billing is on
    with tenant_session(ctx) as session:
        sso.save_sso_connection(
            session=session,
            ctx=ctx,
            issuer_url="https://idp.example.com",
            client_id="client",
            client_secret="secret-value",
            allowed_domains="example.com",
        )
        session.add(
            SsoIdentity(
                user_id=ctx.user_id or 0,
                issuer="https://idp.example.com",
                subject=secrets.token_hex(4),
            )
        )


def invite(ctx: TenantContext, email: str, role: str = "member") -> str:
    """Invite `email` into ctx's organisation; returns the token of the mail SMTP delivered."""
    with smtp.smtp_delivery(), tenant_session(ctx) as session:
        identity.invite_member(session=session, ctx=ctx, email=email, role=role)
    return invitation_token(email)


def invitation_token(email: str) -> str:
    """The token of the newest invitation mailed to `email`, as SMTP delivered it."""
    return smtp.last_link(email, r"/invite/([\w-]+)")


def reset_tokens(email: str) -> list[str]:
    """The tokens of every password-reset link SMTP delivered to `email`, oldest first."""
    return smtp.links(email, r"/reset/([\w-]+)")


def mailed_domain_token(address: str) -> str:
    """The token of the newest domain-verification link mailed to `address`, as SMTP
    delivered it (the outbox, which the claiming org's admins read, keeps it masked)."""
    return smtp.last_link(address, r"token=([\w-]+)")


def prove_sso_domain(ctx: TenantContext, domain: str) -> None:
    """Claim and prove an SSO email domain as an admin would: the link mailed to
    admin@<domain>, opened and confirmed."""
    from pmo_saas.identity import sso_domains

    with smtp.smtp_delivery(), tenant_session(ctx) as session:
        sso_domains.claim_sso_domain(session=session, ctx=ctx, domain=domain)
        sso_domains.send_domain_verification_mail(
            session=session, ctx=ctx, domain=domain, mailbox="admin"
        )
    sso_domains.confirm_domain_link(token=mailed_domain_token(f"admin@{domain}"))


def _make_running_survey_rows(ctx: TenantContext) -> None:
    """A running open-link survey with one answer (a sealed response and a browser key), and a
    closed one with a comment."""
    from pmo_saas.surveys import services as surveys

    team_id = make_team(ctx, "Survey team " + secrets.token_hex(3))
    with tenant_session(ctx) as session:
        survey_id = surveys.launch_survey(
            session=session,
            ctx=ctx,
            title="Running pulse",
            instrument="enps",
            team_ids=[team_id],
            personal_links=False,
            open_links=True,
            open_link_cap=3,
        )
        [team] = surveys.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
        url = surveys.create_open_link(
            session=session, ctx=ctx, survey_id=survey_id, team_id=team.survey_team_id
        )
    surveys.submit_response(
        token=url.rsplit("/", 1)[1], answers={"enps": 9}, submission_key="browser"
    )
    # And a closed one with a comment (the demo's teams are too small for comments).
    with tenant_session(ctx) as session:
        closed_id = surveys.launch_survey(
            session=session,
            ctx=ctx,
            title="Closed pulse",
            instrument="enps",
            team_ids=[team_id],
            personal_links=False,
            open_links=True,
            open_link_cap=3,
            min_group_size=3,
            min_comment_group_size=3,
        )
        [team] = surveys.survey_progress(session=session, ctx=ctx, survey_id=closed_id)
        url = surveys.create_open_link(
            session=session, ctx=ctx, survey_id=closed_id, team_id=team.survey_team_id
        )
    for n in range(3):  # a group of 3 (its threshold): opened and counted at the close
        surveys.submit_response(
            token=url.rsplit("/", 1)[1],
            answers={"enps": 8, "why": "fine"},
            submission_key=f"browser-{n}",
        )
    with tenant_session(ctx) as session:
        surveys.close_survey(session=session, ctx=ctx, survey_id=closed_id)


def _make_digest(ctx: TenantContext) -> None:
    """A weekly digest record, as `send_weekly_digests` leaves one per coach and week."""
    from pmo_saas.coaching.digest import send_weekly_digests

    assert send_weekly_digests() >= 1


def _make_weighted_portfolio(ctx: TenantContext) -> None:
    """A portfolio scored by custom weighted criteria (the demo portfolio uses WSJF)."""
    from pmo_saas.portfolio.services import portfolios as portfolio_services
    from pmo_saas.portfolio.services import ranking as ranking_services

    with tenant_session(ctx) as session:
        portfolio_id = portfolio_services.create_portfolio(
            session=session, ctx=ctx, name="Weighted", scoring_model="weighted"
        )
        ranking_services.add_criterion(
            session=session, ctx=ctx, portfolio_id=portfolio_id, name="Customer value", weight=2
        )


def _domain_row_makers() -> None:
    """Domains with tables the demo seed leaves empty register their makers here."""
    from tests.billing.rows import BILLING_ROW_MAKERS
    from tests.capacity.rows import make_capacity_rows, make_skill_rows
    from tests.collaboration.rows import make_collaboration_rows
    from tests.dashboard.rows import make_dashboard_rows
    from tests.delivery.plan_rows import make_delivery_plan_rows
    from tests.delivery.rows import make_delivery_rows, make_sync_rows
    from tests.improvement.rows import make_improvement_rows
    from tests.portfolio.budget_rows import make_budgeting_rows
    from tests.practices.rows import make_practice_rows
    from tests.rest.rows import make_rest_rows
    from tests.rollout.rows import make_programme_rows, make_rollout_rows
    from tests.surveys.rows import make_we_did_rows

    TENANT_ROW_MAKERS.update(BILLING_ROW_MAKERS)
    TENANT_ROW_MAKERS.update(
        {
            "ssoconnection": _make_sso_rows,
            "digestsent": _make_digest,
            # also surveyopenkey and surveycomment
            "surveysealedresponse": _make_running_survey_rows,
            "criterion": _make_weighted_portfolio,
            "dashboard": make_dashboard_rows,
            "rest": make_rest_rows,
            # also practiceversion, practicedimension, practiceadoption
            "practice": make_practice_rows,
            "teamcapacity": make_capacity_rows,  # also allocation
            "workitem": make_delivery_rows,  # also statuschange, flowday, flowtally
            # also ragchange, spendentry, fundingtranche, keyresult, keyresultmeasure
            "initiativeplan": make_delivery_plan_rows,
            # also statusmapping, syncrun, synceditem
            "syncconnection": make_sync_rows,
            "comment": make_collaboration_rows,  # also notification, notificationpreference
            "surveyfocus": make_we_did_rows,  # also surveycommitment
            "budgetsession": make_budgeting_rows,  # also budgetstakeholder, budgetallocation
            "rolloutwave": make_rollout_rows,  # also waveteam, wavecriterion
            "programme": make_programme_rows,  # also programmeinitiative
            "improvementitem": make_improvement_rows,
            "memberskill": make_skill_rows,  # also initiativeskill
        }
    )


_domain_row_makers()


def make_coaching_plan(ctx: TenantContext, title: str = "Growth plan") -> int:
    """An active coaching plan for ctx's own person, coached by ctx (a digest's subject)."""
    from pmo_saas.coaching.services import plans as coaching

    with tenant_session(ctx) as session:
        plan = coaching.create_plan(
            session=session, ctx=ctx, title=title, person_user_id=ctx.user_id
        )
    return int(plan.id)


def lapse_subscription(ctx: TenantContext, session: Session | None = None) -> None:
    """A subscription 60 days past due: with billing on, ctx's workspace is read-only."""
    from datetime import timedelta

    from pmo_saas.billing.models import BillingSubscription

    row = BillingSubscription(
        org_id=ctx.org_id,
        stripe_subscription_id=f"sub_overdue_{ctx.org_id}",
        status="past_due",
        past_due_since=utcnow() - timedelta(days=60),
    )
    if session is not None:
        session.add(row)
        return
    with tenant_session(ctx) as own:
        own.add(row)
