# mypy: disable-error-code="operator,arg-type"
"""The domains card, the mailed link's page and the account page's link button, called as the
websocket would: roles on the server, clear messages, nothing changed by a refusal."""

from __future__ import annotations

import secrets

from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity import sso, sso_domains
from pmo_saas.identity.pages.sso import SsoSettingsState
from pmo_saas.identity.pages.sso_account import SsoAccountState
from pmo_saas.identity.pages.sso_domains import DomainProofState, SsoDomainsState
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.peers import dns
from tests.state_harness import run, state_for


def _configure(ctx: TenantContext, domain: str) -> None:
    with tenant_session(ctx) as session:
        sso.save_sso_connection(
            session=session,
            ctx=ctx,
            issuer_url="https://login.a.example",
            client_id="c",
            client_secret="s",
            allowed_domains=[domain],
        )


def _path(ctx: TenantContext) -> str:
    return f"/o/{ctx.org_slug}/settings/sso"


def test_domains_card_checks_dns_mails_a_link_and_removes(org_a, dns_peer: str) -> None:
    domain = f"card-{secrets.token_hex(3)}.example"
    _configure(org_a, domain)
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario() -> None:
        state = await state_for(SsoDomainsState, token=token, path=_path(org_a))
        await state.load()
        assert state.error == "" and [r.domain for r in state.rows] == [domain]
        row = state.rows[0]
        assert row.status == "pending" and row.txt_name == f"_pmo-saas.{domain}"

        steps = [state.checking async for _ in state.check_dns(domain)]
        assert steps == [domain] and state.checking == ""
        assert "not verified yet" in state.error and row.txt_value in state.error

        await state.send_mail({"domain": domain, "mailbox": "webmaster"})
        assert state.error == "" and f"mailed to webmaster@{domain}" in state.notice
        assert state.rows[0].mail_sent_to == f"webmaster@{domain}"
        await state.send_mail({"domain": domain, "mailbox": "sales"})
        assert "admin@, postmaster@" in state.error

        dns.publish(f"_pmo-saas.{domain}", row.txt_value)
        async for _ in state.check_dns(domain):
            pass
        assert state.error == "" and state.notice == f"{domain} is verified."
        assert state.rows[0].verified and state.rows[0].method == "dns"

        follow_up = await state.remove(domain)
        assert state.rows == [] and "was removed" in state.notice
        assert follow_up is not None and "reload_form" in str(follow_up)

        settings = await state_for(SsoSettingsState, token=token, path=_path(org_a))
        await settings.reload_form()
        assert settings.domains == ""

    run(scenario())


def test_domains_card_refuses_members(org_a) -> None:
    domain = f"m-{secrets.token_hex(3)}.example"
    _configure(org_a, domain)
    member = factories.make_member(org_a, Role.MEMBER)
    token = identity.start_session(user_id=member.user_id)

    async def scenario() -> None:
        state = await state_for(SsoDomainsState, token=token, path=_path(org_a))
        await state.load()
        assert "admin role" in state.error and state.rows == []
        await state.send_mail({"domain": domain, "mailbox": "admin"})
        assert "admin role" in state.error
        await state.remove(domain)
        assert "admin role" in state.error

    run(scenario())
    with tenant_session(org_a) as session:
        rows = sso_domains.list_sso_domains(session=session, ctx=org_a)
    assert [r.domain for r in rows] == [domain] and rows[0].mail_sent_to == ""


def test_the_mailed_link_page_confirms_once(org_a) -> None:
    domain = f"link-{secrets.token_hex(3)}.example"
    _configure(org_a, domain)
    with tenant_session(org_a) as session:
        sso_domains.send_domain_verification_mail(
            session=session, ctx=org_a, domain=domain, mailbox="admin"
        )
    link_token = factories.mailed_domain_token(f"admin@{domain}")
    path = f"/sso/verify-domain?token={link_token}"

    async def scenario() -> None:
        page = await state_for(DomainProofState, token="", path=path)
        await page.load()
        assert (page.domain, page.org_name, page.verified, page.error) == (
            domain,
            "Org A",
            False,
            "",
        )
        await page.confirm()
        assert page.verified and page.error == ""
        again = await state_for(DomainProofState, token="", path=path)
        await again.load()
        assert "already used" in again.error and again.domain == ""
        await again.confirm()
        assert "already used" in again.error and not again.verified

    run(scenario())


def test_account_page_hands_linking_over_to_the_backend(org_a) -> None:
    token = identity.start_session(user_id=org_a.user_id)
    path = f"/o/{org_a.org_slug}/account/sso"

    async def scenario() -> None:
        state = await state_for(SsoAccountState, token=token, path=path)
        await state.load()
        assert state.loaded and state.linked == [] and state.error == ""
        spec = await state.start_link()
        assert f"/sso/link?org={org_a.org_slug}" in str(spec)
        await state.unlink()
        assert state.error == ""

        outsider = await state_for(SsoAccountState, token="", path=path)
        await outsider.load()
        assert not outsider.loaded and outsider.error

    run(scenario())
