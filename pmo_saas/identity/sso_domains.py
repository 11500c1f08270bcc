"""Email domains an organisation claims for single sign-on, and their proofs.

A claimed domain counts for nothing (no sign-in by email, no just-in-time account, no link)
until the organisation proves it controls it, by EITHER
- a DNS TXT record `pmo-saas-verification=<token>` at `_pmo-saas.<domain>` or the apex, read
  through the operator's resolver (`sso_dns`), OR
- a one-time link mailed to admin@, postmaster@, hostmaster@ or webmaster@ the domain (only
  the token's hash is stored; it expires).
One domain is verified by at most one organisation at a time (a partial unique index backs
the check); a claim of a domain another organisation verified is refused without naming it.
Every claim, proof and removal is audited.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import audit, sso_dns
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Organization, User
from pmo_saas.identity.security import hash_token
from pmo_saas.identity.sso_models import DOMAIN_VERIFIED, SsoDomain
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound, RateLimited, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

MAILBOXES = ("admin", "postmaster", "hostmaster", "webmaster")
TXT_PREFIX = "pmo-saas-verification="
TXT_LABEL = "_pmo-saas"
MAIL_LINK_HOURS = 24
# One mail per claim per minute: the admin mailboxes of a domain are not ours to flood.
MAIL_COOLDOWN_SECONDS = 60
VERIFY_PATH = "/sso/verify-domain"
TAKEN = (
    "{domain} is already verified by another organisation on this service, so it cannot be "
    "claimed here. If it is yours, ask that organisation to remove it, or contact support."
)


class SsoDomainRow(BaseModel):
    domain: str
    status: str
    verified: bool
    method: str = ""
    txt_name: str
    txt_value: str
    claimed_at: str = ""
    verified_at: str = ""
    verified_by: str = ""
    mail_sent_to: str = ""
    mail_expires_at: str = ""


class DomainLinkPublic(BaseModel):
    """What the mailed link's page shows before and after confirming."""

    domain: str
    org_name: str
    verified: bool = False


def _when(value: object) -> str:
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC" if value else ""  # type: ignore[arg-type]


def _row(claim: SsoDomain) -> SsoDomainRow:
    return SsoDomainRow(
        domain=claim.domain,
        status=claim.status,
        verified=claim.status == DOMAIN_VERIFIED,
        method=claim.method,
        txt_name=f"{TXT_LABEL}.{claim.domain}",
        txt_value=TXT_PREFIX + claim.dns_token,
        claimed_at=_when(claim.claimed_at),
        verified_at=_when(claim.verified_at),
        verified_by=claim.verified_by,
        mail_sent_to=claim.mail_sent_to if claim.mail_token_hash else "",
        mail_expires_at=_when(claim.mail_token_expires_at) if claim.mail_token_hash else "",
    )


def clean_domain(raw: str) -> str:
    from pmo_saas.identity.sso import clean_domains

    return clean_domains([raw])[0]


def _claims(session: Session) -> list[SsoDomain]:
    return list(session.exec(select(SsoDomain).order_by(SsoDomain.domain)).all())


def _claim(session: Session, domain: str) -> SsoDomain:
    claim = session.exec(select(SsoDomain).where(SsoDomain.domain == domain)).first()
    if claim is None:
        raise NotFound(f"The domain {domain}")
    return claim


def verified_domains(session: Session) -> list[str]:
    """The caller's organisation's proven domains (the only ones SSO honours)."""
    return list(
        session.exec(
            select(SsoDomain.domain)
            .where(SsoDomain.status == DOMAIN_VERIFIED)
            .order_by(SsoDomain.domain)
        ).all()
    )


def verified_elsewhere(domain: str, org_id: int) -> bool:
    """Whether another organisation holds `domain` verified (a look across organisations)."""
    with system_session() as session:
        found = session.exec(
            select(SsoDomain.id).where(
                SsoDomain.domain == domain,
                SsoDomain.status == DOMAIN_VERIFIED,
                SsoDomain.org_id != org_id,
            )
        ).first()
    return found is not None


def list_sso_domains(*, session: Session, ctx: TenantContext) -> list[SsoDomainRow]:
    ctx.require(Role.ADMIN, "Only owners and admins can see the single sign-on settings.")
    return [_row(claim) for claim in _claims(session)]


def _add_claim(session: Session, ctx: TenantContext, domain: str) -> SsoDomain:
    if verified_elsewhere(domain, ctx.org_id):
        raise Conflict(TAKEN.format(domain=domain))
    claim = SsoDomain(domain=domain, dns_token=secrets.token_urlsafe(24))
    session.add(claim)
    audit.record(
        session=session,
        ctx=ctx,
        action="sso.domain_claimed",
        target=domain,
        detail=f"proof pending: TXT {TXT_LABEL}.{domain} or a mailed link",
    )
    return claim


def claim_sso_domain(*, session: Session, ctx: TenantContext, domain: str) -> SsoDomainRow:
    """Claim a domain (pending until proven); claiming it again changes nothing."""
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    name = clean_domain(domain)
    existing = session.exec(select(SsoDomain).where(SsoDomain.domain == name)).first()
    claim = existing or _add_claim(session, ctx, name)
    session.flush()
    return _row(claim)


def sync_claimed_domains(*, session: Session, ctx: TenantContext, domains: list[str]) -> list[str]:
    """Make the claims exactly `domains` (new ones pending, proofs of kept ones untouched);
    returns what changed, for the connection's audit line."""
    current = {claim.domain: claim for claim in _claims(session)}
    changes: list[str] = []
    for domain in domains:
        if domain not in current:
            _add_claim(session, ctx, domain)
            changes.append(f"claimed {domain}")
    for domain, claim in current.items():
        if domain not in domains:
            _delete_claim(session, ctx, claim)
            changes.append(f"removed {domain}")
    session.flush()
    return changes


def _delete_claim(session: Session, ctx: TenantContext, claim: SsoDomain) -> None:
    session.delete(claim)
    audit.record(
        session=session,
        ctx=ctx,
        action="sso.domain_removed",
        target=claim.domain,
        detail=f"was {claim.status}" + (f" ({claim.method})" if claim.method else ""),
    )


def remove_sso_domain(*, session: Session, ctx: TenantContext, domain: str) -> None:
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    _delete_claim(session, ctx, _claim(session, clean_domain(domain)))


def _actor_email(session: Session, ctx: TenantContext) -> str:
    user = session.get(User, ctx.user_id) if ctx.user_id is not None else None
    return user.email if user else ""


def _mark_verified(
    session: Session, ctx: TenantContext, claim: SsoDomain, *, method: str, by: str
) -> None:
    """Flip a claim to verified; a racing proof by another organisation loses here."""
    if verified_elsewhere(claim.domain, ctx.org_id):
        raise Conflict(TAKEN.format(domain=claim.domain))
    claim.status = DOMAIN_VERIFIED
    claim.method = method
    claim.verified_at = utcnow()
    claim.verified_by = by
    claim.mail_token_hash = ""
    claim.mail_token_expires_at = None
    session.add(claim)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(TAKEN.format(domain=claim.domain)) from None
    audit.record(
        session=session,
        ctx=ctx,
        action="sso.domain_verified",
        target=claim.domain,
        detail=f"proven by {'DNS TXT record' if method == 'dns' else 'mailed link'}; by {by}",
        actor_email=by if method == "mail" else "",
    )


def check_domain_dns(*, ctx: TenantContext, domain: str) -> SsoDomainRow:
    """Look the TXT record up (no transaction open meanwhile) and verify on a match.

    Wrong or missing record: ValidationFailed; resolver down: DnsUnavailable; either way
    nothing changes.
    """
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    name = clean_domain(domain)
    with tenant_session(ctx) as session:
        claim = _claim(session, name)
        if claim.status == DOMAIN_VERIFIED:
            return _row(claim)
        expected = TXT_PREFIX + claim.dns_token
    found: list[str] = []
    for host in (f"{TXT_LABEL}.{name}", name):
        found += sso_dns.txt_records(host)
    if expected not in (value.strip() for value in found):
        ours = [value for value in found if value.strip().startswith(TXT_PREFIX)]
        hint = (
            "a pmo-saas-verification record with another token is published"
            if ours
            else "no pmo-saas-verification record is published"
        )
        raise ValidationFailed(
            f"{name} is not verified yet: {hint}. Publish the TXT record "
            f"{TXT_LABEL}.{name} with the value {expected} (DNS changes can take a while "
            "to appear), then check again.",
            field="domain",
        )
    with tenant_session(ctx) as session:
        claim = _claim(session, name)
        if claim.status != DOMAIN_VERIFIED and claim.dns_token == expected[len(TXT_PREFIX) :]:
            _mark_verified(session, ctx, claim, method="dns", by=_actor_email(session, ctx))
        return _row(claim)


def send_domain_verification_mail(
    *, session: Session, ctx: TenantContext, domain: str, mailbox: str
) -> SsoDomainRow:
    """Mail a one-time link to an admin mailbox at the domain; a new mail replaces the last."""
    ctx.require(Role.ADMIN, "Only owners and admins can change single sign-on.")
    local = (mailbox or "").strip().lower().split("@", 1)[0]
    if local not in MAILBOXES:
        raise ValidationFailed(
            f"Choose one of {', '.join(f'{m}@' for m in MAILBOXES)} the domain: only those "
            "mailboxes prove who runs it.",
            field="mailbox",
        )
    claim = _claim(session, clean_domain(domain))
    if claim.status == DOMAIN_VERIFIED:
        raise Conflict(f"{claim.domain} is already verified.")
    if verified_elsewhere(claim.domain, ctx.org_id):
        raise Conflict(TAKEN.format(domain=claim.domain))
    if claim.mail_token_hash and claim.mail_token_expires_at is not None:
        sent_at = as_utc(claim.mail_token_expires_at) - timedelta(hours=MAIL_LINK_HOURS)
        wait = MAIL_COOLDOWN_SECONDS - (utcnow() - sent_at).total_seconds()
        if wait > 0:
            raise RateLimited(
                f"A verification mail for {claim.domain} was sent moments ago; wait "
                f"{int(wait) + 1} seconds before sending another."
            )
    org = session.get(Organization, ctx.org_id)
    org_name = org.name if org else "your organisation"
    token = secrets.token_urlsafe(32)
    address = f"{local}@{claim.domain}"
    claim.mail_token_hash = hash_token(token)
    claim.mail_token_expires_at = utcnow() + timedelta(hours=MAIL_LINK_HOURS)
    claim.mail_sent_to = address
    session.add(claim)
    link = f"{get_settings().public_url.rstrip('/')}{VERIFY_PATH}?token={token}"
    send_mail(
        session=session,
        to=address,
        subject=f"Confirm that {claim.domain} belongs to {org_name}",
        body=(
            f"{org_name} asks to use single sign-on for every address at {claim.domain}.\n"
            f"If you run {claim.domain} and agree, open this link within {MAIL_LINK_HOURS} "
            f"hours and confirm:\n\n{link}\n\nIf you do not know {org_name}, ignore this mail: "
            "nothing changes without your confirmation."
        ),
        org_id=ctx.org_id,
        # The claiming org's admins read its outbox: the link must reach admin@ only.
        secret=token,
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="sso.domain_mail_sent",
        target=claim.domain,
        detail=f"verification link sent to {address}",
    )
    session.flush()
    return _row(claim)


LINK_UNUSABLE = (
    "This verification link is not valid: it was already used, has expired, or was replaced "
    "by a newer one. Ask your admin to send a new one."
)


def _claim_for_link(session: Session, token: str) -> SsoDomain:
    """The pending claim a mailed token names (system session); one message for every
    unusable link, so nothing is learnt by guessing."""
    claim = (
        session.exec(
            select(SsoDomain).where(
                SsoDomain.mail_token_hash == hash_token(token),
                col(SsoDomain.mail_token_hash) != "",
            )
        ).first()
        if token
        else None
    )
    expires = claim.mail_token_expires_at if claim else None
    if claim is None or expires is None or as_utc(expires) < utcnow():
        raise ValidationFailed(LINK_UNUSABLE, field="token")
    return claim


def describe_domain_link(*, token: str) -> DomainLinkPublic:
    with system_session() as session:
        claim = _claim_for_link(session, token)
        org = session.get(Organization, claim.org_id)
        return DomainLinkPublic(domain=claim.domain, org_name=org.name if org else "")


def confirm_domain_link(*, token: str) -> DomainLinkPublic:
    """The mailbox holder confirms: the claim is verified, the token spent (single use)."""
    with system_session() as session:
        claim = _claim_for_link(session, token)
        org_id, domain = claim.org_id, claim.domain
        assert org_id is not None
        org = session.get(Organization, org_id)
        org_name, slug = (org.name, org.slug) if org else ("", "")
    ctx = TenantContext(org_id=org_id, user_id=None, role=Role.VIEWER, org_slug=slug)
    with tenant_session(ctx) as session:
        claim = _claim(session, domain)
        if claim.mail_token_hash != hash_token(token):
            raise ValidationFailed(LINK_UNUSABLE, field="token")
        _mark_verified(session, ctx, claim, method="mail", by=claim.mail_sent_to)
    return DomainLinkPublic(domain=domain, org_name=org_name, verified=True)
