"""Proving an SSO email domain: DNS TXT through a real loopback DNS server, or a one-time
link mailed to an admin mailbox; one organisation per verified domain; roles and tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import sso_domains
from pmo_saas.identity.models import AuditEvent, OutboxMessage
from pmo_saas.identity.security import hash_token
from pmo_saas.identity.sso_dns import DnsUnavailable
from pmo_saas.identity.sso_models import SsoDomain
from pmo_saas.kernel import clock
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from tests.factories import mailed_domain_token, make_member, prove_sso_domain
from tests.peers import dns
from tests.peers.oidc import free_port


def _claim(ctx: TenantContext, domain: str) -> sso_domains.SsoDomainRow:
    with tenant_session(ctx) as session:
        return sso_domains.claim_sso_domain(session=session, ctx=ctx, domain=domain)


def _rows(ctx: TenantContext) -> dict[str, sso_domains.SsoDomainRow]:
    with tenant_session(ctx) as session:
        return {r.domain: r for r in sso_domains.list_sso_domains(session=session, ctx=ctx)}


def _mail(ctx: TenantContext, domain: str, mailbox: str = "admin") -> str:
    with tenant_session(ctx) as session:
        sso_domains.send_domain_verification_mail(
            session=session, ctx=ctx, domain=domain, mailbox=mailbox
        )
    return mailed_domain_token(f"{mailbox}@{domain}")


def _audit(ctx: TenantContext) -> list[tuple[str, str, str]]:
    with system_session() as session:
        return [
            (a, t, d)
            for a, t, d in session.exec(
                select(AuditEvent.action, AuditEvent.target, AuditEvent.detail)
                .where(AuditEvent.org_id == ctx.org_id)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]  (no order without it)
            ).all()
        ]


def _fresh(label: str) -> str:
    return f"{label}-{free_port()}.example"


# ------------------------------------------------------------------ DNS TXT


def test_dns_proof_wrong_token_refused_right_token_verifies(
    org_a: TenantContext, dns_peer: str
) -> None:
    domain = _fresh("dns")
    row = _claim(org_a, domain)
    assert row.status == "pending" and not row.verified
    assert row.txt_name == f"_pmo-saas.{domain}"
    assert row.txt_value.startswith("pmo-saas-verification=")

    with pytest.raises(ValidationFailed, match="no pmo-saas-verification record is published"):
        sso_domains.check_domain_dns(ctx=org_a, domain=domain)
    dns.publish(f"_pmo-saas.{domain}", "pmo-saas-verification=not-the-token")
    dns.publish(f"_pmo-saas.{domain}", "v=spf1 -all")
    with pytest.raises(ValidationFailed, match="another token") as refused:
        sso_domains.check_domain_dns(ctx=org_a, domain=domain)
    assert row.txt_value in str(refused.value)  # the message says what to publish
    assert _rows(org_a)[domain].status == "pending"

    dns.publish(f"_pmo-saas.{domain}", row.txt_value)
    verified = sso_domains.check_domain_dns(ctx=org_a, domain=domain)
    assert verified.verified and verified.method == "dns"
    assert verified.verified_by == _owner_email(org_a)
    assert ("sso.domain_verified", domain) in [(a, t) for a, t, _ in _audit(org_a)]


def test_dns_proof_at_the_apex_also_counts(org_a: TenantContext, dns_peer: str) -> None:
    domain = _fresh("apex")
    row = _claim(org_a, domain)
    dns.publish(domain, row.txt_value)
    assert sso_domains.check_domain_dns(ctx=org_a, domain=domain).verified


def test_unreachable_resolver_says_so_and_changes_nothing(
    org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain = _fresh("down")
    _claim(org_a, domain)
    before = _audit(org_a)
    monkeypatch.setattr(get_settings(), "dns_resolver", f"127.0.0.1:{free_port()}")
    with pytest.raises(DnsUnavailable, match=r"did not answer .* Nothing was changed"):
        sso_domains.check_domain_dns(ctx=org_a, domain=domain)
    assert _rows(org_a)[domain].status == "pending"
    assert _audit(org_a) == before


def _owner_email(ctx: TenantContext) -> str:
    from pmo_saas.identity.models import User

    with system_session() as session:
        user = session.get(User, ctx.user_id)
        assert user is not None
        return user.email


# ------------------------------------------------------------------ mailed link


def test_mailed_link_verifies_once_and_only_its_hash_is_stored(org_a: TenantContext) -> None:
    domain = _fresh("mail")
    _claim(org_a, domain)
    with pytest.raises(ValidationFailed, match="admin@, postmaster@"):
        _mail(org_a, domain, mailbox="ceo")
    token = _mail(org_a, domain, mailbox="postmaster")
    with system_session() as session:
        stored = session.exec(select(SsoDomain).where(SsoDomain.domain == domain)).one()
        mail = session.exec(
            select(OutboxMessage).where(OutboxMessage.to_email == f"postmaster@{domain}")
        ).one()
    assert stored.mail_token_hash == hash_token(token)
    assert token not in stored.model_dump_json()
    assert "Org A" in mail.subject and mail.org_id == org_a.org_id
    # Org A's admins read this row on their outbox page: it must not prove the domain.
    assert token not in mail.body and "/sso/verify-domain" in mail.body

    shown = sso_domains.describe_domain_link(token=token)
    assert (shown.domain, shown.org_name, shown.verified) == (domain, "Org A", False)
    assert sso_domains.confirm_domain_link(token=token).verified
    row = _rows(org_a)[domain]
    assert row.verified and row.method == "mail" and row.verified_by == f"postmaster@{domain}"
    with pytest.raises(ValidationFailed, match="already used, has expired"):
        sso_domains.confirm_domain_link(token=token)
    with pytest.raises(ValidationFailed, match="already used, has expired"):
        sso_domains.describe_domain_link(token=token)
    actions = [a for a, t, _ in _audit(org_a) if t == domain]
    assert actions == ["sso.domain_claimed", "sso.domain_mail_sent", "sso.domain_verified"]


def test_mailed_link_expires_and_a_newer_mail_replaces_it(org_a: TenantContext) -> None:
    domain = _fresh("late")
    _claim(org_a, domain)
    first = _mail(org_a, domain)
    with pytest.raises(RateLimited, match="wait"):
        _mail(org_a, domain, mailbox="hostmaster")
    clock.freeze(clock.utcnow() + timedelta(seconds=sso_domains.MAIL_COOLDOWN_SECONDS + 1))
    second = _mail(org_a, domain, mailbox="hostmaster")
    with pytest.raises(ValidationFailed, match="replaced by a newer one"):
        sso_domains.confirm_domain_link(token=first)
    clock.freeze(clock.utcnow() + timedelta(hours=sso_domains.MAIL_LINK_HOURS, minutes=1))
    with pytest.raises(ValidationFailed, match="has expired"):
        sso_domains.confirm_domain_link(token=second)
    assert _rows(org_a)[domain].status == "pending"
    with pytest.raises(ValidationFailed):
        sso_domains.confirm_domain_link(token="")


def test_mailed_link_works_only_for_the_org_that_asked(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    domain = _fresh("shared")
    _claim(org_a, domain)
    _claim(org_b, domain)  # two pending claims may coexist
    token_b = _mail(org_b, domain)
    assert sso_domains.confirm_domain_link(token=token_b).verified
    assert _rows(org_b)[domain].verified
    assert not _rows(org_a)[domain].verified  # B's link verified B's claim, never A's
    with pytest.raises(Conflict, match="already verified by another organisation"):
        _mail(org_a, domain)


# ------------------------------------------------------------------ one organisation per domain


def test_a_domain_org_b_proved_cannot_be_claimed_or_verified_by_org_a(
    org_a: TenantContext, org_b: TenantContext, dns_peer: str
) -> None:
    domain = _fresh("taken")
    pending_a = _claim(org_a, domain)  # A claimed first, but has not proven it
    prove_sso_domain(org_b, domain)

    # A's DNS record is even published: still refused, without naming who holds it.
    dns.publish(f"_pmo-saas.{domain}", pending_a.txt_value)
    with pytest.raises(Conflict) as refused:
        sso_domains.check_domain_dns(ctx=org_a, domain=domain)
    message = str(refused.value)
    assert "already verified by another organisation" in message
    assert "Org B" not in message and org_b.org_slug not in message
    assert not _rows(org_a)[domain].verified

    other = _fresh("other")
    prove_sso_domain(org_b, other)
    with pytest.raises(Conflict, match="already verified by another organisation"):
        _claim(org_a, other)
    from pmo_saas.identity import sso

    with tenant_session(org_a) as session, pytest.raises(Conflict):
        sso.save_sso_connection(
            session=session,
            ctx=org_a,
            issuer_url="https://login.a.example",
            client_id="c",
            client_secret="s",
            allowed_domains=[other],
        )
    assert other not in _rows(org_a)

    # The database holds the line too: a second verified row for the domain cannot exist.
    with pytest.raises(IntegrityError), system_session() as session:
        row = session.exec(
            select(SsoDomain).where(SsoDomain.domain == domain, SsoDomain.org_id == org_a.org_id)
        ).one()
        row.status = "verified"
        session.add(row)
        session.flush()

    # Once B removes it, A can prove it.
    with tenant_session(org_b) as session:
        sso_domains.remove_sso_domain(session=session, ctx=org_b, domain=domain)
    assert sso_domains.check_domain_dns(ctx=org_a, domain=domain).verified
    assert ("sso.domain_removed", domain) in [(a, t) for a, t, _ in _audit(org_b)]


# ------------------------------------------------------------------ roles and tenancy


def test_only_admins_manage_domains_and_other_orgs_see_none(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    domain = _fresh("roles")
    _claim(org_a, domain)
    for role in (Role.COACH, Role.MEMBER, Role.VIEWER):
        person = make_member(org_a, role)
        with pytest.raises(Forbidden):
            _claim(person, _fresh("x"))
        with pytest.raises(Forbidden):
            _rows(person)
        with pytest.raises(Forbidden):
            sso_domains.check_domain_dns(ctx=person, domain=domain)
        with pytest.raises(Forbidden):
            _mail(person, domain)
    admin = make_member(org_a, Role.ADMIN)
    assert domain in _rows(admin)

    assert _rows(org_b) == {}
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        sso_domains.remove_sso_domain(session=session, ctx=org_b, domain=domain)
    with pytest.raises(NotFound):
        _mail(org_b, domain)
    with pytest.raises(NotFound):
        sso_domains.check_domain_dns(ctx=org_b, domain=domain)
    assert domain in _rows(org_a)
    with pytest.raises(ValidationFailed, match="not an email domain"):
        _claim(org_a, "not a domain")
