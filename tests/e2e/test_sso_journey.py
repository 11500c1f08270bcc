"""Single sign-on in a real browser, against two OpenID Connect providers on loopback.

Org A's owner sets up its connection on the settings page (Test connection first) and proves
its email domains: one by a DNS TXT record (served by the loopback DNS peer, after a first
"Check DNS" that finds nothing), one by the link mailed to admin@ (through the loopback SMTP
peer, opened and confirmed in the browser). Org B is set up and proven through the services.
People then sign in through each provider's own authorize page: just-in-time provisioning
puts each in the right organisation with its default role, a group claim sets a role, an
address outside the allowed domains is refused, and the IdP naming an existing account (the
owner's) gets no session but "sign in with your password and link this identity". The
client secret, typed once, never comes back.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, WebSocket, expect
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import sso, sso_domains
from pmo_saas.identity.models import Membership, Organization, User, UserSession
from pmo_saas.identity.sso_models import SsoConnection
from tests import factories
from tests.peers import dns, smtp, stripe
from tests.peers.oidc import set_user

SECRET_A = "org-a-client-secret-never-shown-9173"
SECRET_B = "org-b-client-secret-never-shown-5528"


class FrameRecorder:
    """What the server sends the browser over the websocket, and what the browser sends."""

    def __init__(self, page: Page) -> None:
        self.received: list[str] = []
        self.sent: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: self.received.append(str(payload)))
        ws.on("framesent", lambda payload: self.sent.append(str(payload)))


def _memberships(email: str) -> dict[str, str]:
    with system_session() as session:
        rows = session.exec(
            select(Organization.slug, Membership.role)
            .join(Membership, Membership.org_id == Organization.id)  # type: ignore[arg-type]
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(User.email == email)
        ).all()
    return {slug: str(role) for slug, role in rows}


def _domain_rows(ctx) -> list[sso_domains.SsoDomainRow]:  # type: ignore[no-untyped-def]
    with tenant_session(ctx) as session:
        return sso_domains.list_sso_domains(session=session, ctx=ctx)


def _sessions() -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(UserSession)).one()


def _sso_sign_in(page: Page, base_url: str, who: str, issuer: str, sub: str) -> None:
    """From the sign-in page to the provider's authorize page, choose `sub`, come back."""
    page.goto(f"{base_url}/signin")
    page.get_by_role("link", name="Sign in with SSO").click()
    page.wait_for_url(re.compile(r"^[^?]*/signin/sso/?$"))
    page.get_by_label("Work email").fill(who)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(re.escape(issuer) + r"/.*"))
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def _expect_role(page: Page, role: str) -> None:
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    page.get_by_role("button", name="User menu").click()
    expect(page.get_by_text(f"Role: {role}")).to_be_visible()
    page.keyboard.press("Escape")


def test_two_orgs_two_idps_jit_group_mapping_refusal_and_no_secret(
    page: Page, browser: Browser, base_url: str, idp1: str, idp2: str
) -> None:
    org_a = factories.make_org("Acme", email="olive@acme.example")
    org_b = factories.make_org("Bolt", email="owen@bolt.example")
    for org in (org_a, org_b):  # single sign-on is an Enterprise feature when billing is on
        stripe.grant_plan(org.org_id, "enterprise")

    # Org A's owner signs in with a password and opens Settings > Single sign-on.
    frames = FrameRecorder(page)
    page.goto(f"{base_url}/signin")
    page.get_by_label("Email").fill("olive@acme.example")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{org_a.org_slug}/?$"))
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Single sign-on settings").click()
    page.wait_for_url(re.compile(rf"^[^?]*/o/{org_a.org_slug}/settings/sso/?$"))
    expect(page.get_by_text("Not set up yet.")).to_be_visible()
    expect(page.get_by_text("No secret is saved yet.")).to_be_visible()
    expect(page.get_by_text(f"{base_url}/sso/callback")).to_be_visible()

    # Test connection: a wrong issuer says why it failed, the right one shows what it found.
    page.get_by_label("Issuer URL").fill("http://127.0.0.1:9/")
    page.get_by_role("button", name="Test connection").click()
    result = page.get_by_role("region", name="Test connection result")
    expect(result).to_be_visible()
    expect(result).not_to_contain_text("Found")
    page.get_by_label("Issuer URL").fill(idp1)
    page.get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text(f"Found {idp1}")
    expect(result).to_contain_text(f"{idp1}/oauth2/token")
    expect(result).to_contain_text("Userinfo endpoint")

    # A bad mapping line is refused and what was typed stays; then the connection is saved.
    page.get_by_label("Client id").fill("pmo-acme")
    page.get_by_label("Client secret").fill(SECRET_A)
    page.get_by_label("Allowed email domains").fill("acme.example, acme-mail.example")
    page.get_by_label("Default role for new people").select_option("member")
    page.get_by_label("Role claim").fill("groups")
    page.get_by_label("Claim values to roles").fill("pmo-coaches coach")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Line 1 of the role mapping")
    expect(page.get_by_label("Client id")).to_have_value("pmo-acme")
    page.get_by_label("Claim values to roles").fill("pmo-coaches = coach")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Single sign-on is set up.")
    expect(page.get_by_text("A secret is set.")).to_be_visible()
    expect(page.get_by_label("Client secret")).to_have_value("")
    expect(page.get_by_label("Issuer URL")).to_have_value(idp1)
    expect(page.get_by_label("Claim values to roles")).to_have_value("pmo-coaches = coach")

    # Both domains are claimed, neither counts yet. Proof 1: the DNS TXT record.
    domains = page.get_by_role("list", name="Email domains")
    expect(domains.get_by_role("listitem")).to_have_count(2)
    expect(domains).to_contain_text("Not verified yet")
    expect(domains).to_contain_text("_pmo-saas.acme.example")
    txt_value = next(row.txt_value for row in _domain_rows(org_a) if row.domain == "acme.example")
    expect(domains).to_contain_text(txt_value)
    page.get_by_role("button", name="Check DNS for acme.example").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "acme.example is not verified yet: no pmo-saas-verification record is published"
    )
    dns.publish("_pmo-saas.acme.example", txt_value)
    page.get_by_role("button", name="Check DNS for acme.example").click()
    expect(page.get_by_role("status").filter(has_text="acme.example is verified.")).to_be_visible()

    # Proof 2: the link mailed to admin@acme-mail.example, opened and confirmed.
    page.get_by_label("Mailbox for acme-mail.example").select_option("admin")
    page.get_by_role("button", name="Send verification mail for acme-mail.example").click()
    expect(
        page.get_by_role("status").filter(has_text="mailed to admin@acme-mail.example")
    ).to_be_visible()
    subject = "Confirm that acme-mail.example belongs to Acme"
    mails = [m for m in smtp.wait_for(1, subject=subject) if m["To"] == "admin@acme-mail.example"]
    assert len(mails) == 1
    link = re.search(r"http\S+/sso/verify-domain\?token=\S+", smtp.body(mails[0]))
    assert link is not None
    mailbox = browser.new_context().new_page()
    mailbox.goto(link.group(0))
    mailbox.get_by_role("button", name="Confirm").click()
    expect(mailbox.get_by_role("status")).to_contain_text(
        "acme-mail.example is now verified for Acme"
    )
    mailbox.reload()  # the link is single-use
    expect(mailbox.get_by_role("alert")).to_contain_text("already used")
    mailbox.context.close()

    # After a reload: the saved values, "a secret is set", an empty secret field, and
    # both domains verified.
    page.reload()
    expect(domains.get_by_text("Verified", exact=True)).to_have_count(2)
    expect(page.get_by_text("A secret is set.")).to_be_visible()
    expect(page.get_by_label("Issuer URL")).to_have_value(idp1)
    expect(page.get_by_label("Client secret")).to_have_value("")
    with tenant_session(org_a) as session:
        stored = session.exec(select(SsoConnection)).one()
        assert sso.decrypt_secret(stored.client_secret_encrypted) == SECRET_A
        assert stored.client_id == "pmo-acme" and stored.role_claim == "groups"

    # Org B through the service: another provider process, another default role.
    with tenant_session(org_b) as session:
        sso.save_sso_connection(
            session=session,
            ctx=org_b,
            issuer_url=idp2,
            client_id="pmo-bolt",
            client_secret=SECRET_B,
            allowed_domains="bolt.example",
            default_role="coach",
        )
    factories.prove_sso_domain(org_b, "bolt.example")

    set_user(idp1, "ada", {"email": "ada@acme.example", "email_verified": True, "name": "Ada"})
    set_user(
        idp1,
        "cleo",
        {
            "email": "cleo@acme.example",
            "email_verified": True,
            "name": "Cleo",
            "groups": ["staff", "pmo-coaches"],
        },
    )
    set_user(idp1, "mal", {"email": "mal@elsewhere.example", "email_verified": True})
    set_user(idp2, "bea", {"email": "bea@bolt.example", "email_verified": True, "name": "Bea"})

    # Ada signs in through IdP 1: created in Acme with the default role.
    ada = browser.new_context().new_page()
    _sso_sign_in(ada, base_url, "ada@acme.example", idp1, "ada")
    ada.wait_for_url(re.compile(rf"^[^?]*/o/{org_a.org_slug}/?$"))
    _expect_role(ada, "member")
    assert _memberships("ada@acme.example") == {org_a.org_slug: "member"}

    # Bea signs in through IdP 2 (by organisation address): created in Bolt as coach.
    bea = browser.new_context().new_page()
    _sso_sign_in(bea, base_url, org_b.org_slug, idp2, "bea")
    bea.wait_for_url(re.compile(rf"^[^?]*/o/{org_b.org_slug}/?$"))
    _expect_role(bea, "coach")
    assert _memberships("bea@bolt.example") == {org_b.org_slug: "coach"}

    # Cleo's groups claim maps to coach.
    cleo = browser.new_context().new_page()
    _sso_sign_in(cleo, base_url, "cleo@acme.example", idp1, "cleo")
    cleo.wait_for_url(re.compile(rf"^[^?]*/o/{org_a.org_slug}/?$"))
    _expect_role(cleo, "coach")
    assert _memberships("cleo@acme.example") == {org_a.org_slug: "coach"}

    # An address outside the allowed domains: refused with a clear message, no session.
    sessions_before = _sessions()
    mal = browser.new_context().new_page()
    _sso_sign_in(mal, base_url, org_a.org_slug, idp1, "mal")
    mal.wait_for_url(re.compile(r"^[^?]*/signin/?\?error=.*"))
    expect(mal.get_by_role("alert")).to_contain_text(
        "mal@elsewhere.example cannot sign in to Acme with single sign-on: "
        "only addresses at acme-mail.example, acme.example are allowed."
    )
    assert "pmo_session" not in {c["name"] for c in mal.context.cookies()}
    assert _sessions() == sessions_before
    assert _memberships("mal@elsewhere.example") == {}
    # ... and a domain no organisation uses never reaches an identity provider.
    mal.goto(f"{base_url}/signin/sso")
    mal.get_by_label("Work email").fill("mal@elsewhere.example")
    mal.get_by_role("button", name="Continue").click()
    mal.wait_for_url(re.compile(r"^[^?]*/signin/?\?error=.*"))
    expect(mal.get_by_role("alert")).to_contain_text(
        "No organisation uses single sign-on for elsewhere.example"
    )

    # The IdP names Acme's owner (an existing, unlinked account): no session, a clear way on.
    set_user(idp1, "fake-olive", {"email": "olive@acme.example", "email_verified": True})
    fake = browser.new_context().new_page()
    _sso_sign_in(fake, base_url, "olive@acme.example", idp1, "fake-olive")
    fake.wait_for_url(re.compile(r"^[^?]*/signin/?\?error=.*"))
    expect(fake.get_by_role("alert")).to_contain_text(
        "Sign in with your password and link this identity"
    )
    assert "pmo_session" not in {c["name"] for c in fake.context.cookies()}
    assert _sessions() == sessions_before
    fake.context.close()

    # The owner's browser: the secret went up once in the save event, never came back.
    page.goto(f"{base_url}/o/{org_a.org_slug}/settings/sso")
    expect(page.get_by_text("A secret is set.")).to_be_visible()
    received = "\n".join(frames.received)
    assert len(received) > 1000  # the recorder saw the state traffic
    assert any(SECRET_A in frame for frame in frames.sent)
    assert SECRET_A not in received and SECRET_B not in received
    assert SECRET_A not in page.content() and SECRET_B not in page.content()

    # Removing the connection asks first; then Acme is back to passwords only.
    page.get_by_role("button", name="Remove connection").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status").first).to_contain_text("The SSO connection was removed")
    expect(page.get_by_text("Not set up yet.")).to_be_visible()
    with tenant_session(org_a) as session:
        assert session.exec(select(SsoConnection)).first() is None
    for other in (ada, bea, cleo, mal):
        other.context.close()
