"""SSO settings services: roles, tenancy, the secret at rest, test connection, require-SSO."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity import sso
from pmo_saas.identity.models import AuditEvent
from pmo_saas.identity.sso_models import SsoConnection
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests.factories import PASSWORD, make_member
from tests.identity.sso.conftest import free_port

SECRET = "s3cr3t-value-that-must-never-come-back"


def _save(ctx: TenantContext, issuer: str = "https://login.a.example", **options: object):
    options.setdefault("client_id", "pmo-client")
    options.setdefault("allowed_domains", "a.example, A.example  sub.a.example")
    with tenant_session(ctx) as session:
        return sso.save_sso_connection(session=session, ctx=ctx, issuer_url=issuer, **options)  # type: ignore[arg-type]


def _get(ctx: TenantContext) -> sso.SsoConnectionPublic:
    with tenant_session(ctx) as session:
        return sso.get_sso_connection(session=session, ctx=ctx)


def test_client_secret_is_encrypted_and_never_returned(org_a: TenantContext) -> None:
    saved = _save(org_a, client_secret=SECRET)
    shown = _get(org_a)
    for dto in (saved, shown):
        assert dto.client_secret == "set"
        assert SECRET not in dto.model_dump_json()
    assert shown.allowed_domains == ["a.example", "sub.a.example"]
    with system_session() as session:
        row = session.exec(select(SsoConnection)).one()
        details = " ".join(session.exec(select(AuditEvent.detail)).all())
    assert SECRET not in row.client_secret_encrypted
    assert sso.decrypt_secret(row.client_secret_encrypted) == SECRET
    assert SECRET not in details

    # Saving again without a secret keeps it; a new one replaces it (and is audited as such).
    _save(org_a, client_secret="", default_role="coach")
    with system_session() as session:
        row = session.exec(select(SsoConnection)).one()
        assert sso.decrypt_secret(row.client_secret_encrypted) == SECRET
    _save(org_a, client_secret="another-secret")
    with system_session() as session:
        events = session.exec(select(AuditEvent.action, AuditEvent.detail)).all()
    actions = [a for a, _ in events]
    assert actions.count("sso.configured") == 1 and actions.count("sso.updated") == 2
    assert any("default role: member -> coach" in d for _, d in events)
    assert any("client secret replaced" in d for _, d in events)
    assert all("another-secret" not in d for _, d in events)


def test_validation_messages(org_a: TenantContext) -> None:
    with pytest.raises(ValidationFailed, match="client secret"):
        _save(org_a)
    with pytest.raises(ValidationFailed, match="https://"):
        _save(org_a, issuer="http://login.example.com", client_secret=SECRET)
    with pytest.raises(ValidationFailed, match="not an email domain"):
        _save(org_a, client_secret=SECRET, allowed_domains="not a domain!")
    with pytest.raises(ValidationFailed, match="at least one email domain"):
        _save(org_a, client_secret=SECRET, allowed_domains="")
    with pytest.raises(ValidationFailed, match="cannot make anyone an owner"):
        _save(org_a, client_secret=SECRET, default_role="owner")
    with pytest.raises(ValidationFailed, match="cannot make anyone an owner"):
        _save(org_a, client_secret=SECRET, role_claim="groups", role_mapping={"x": "owner"})
    with pytest.raises(ValidationFailed, match="Name the claim"):
        _save(org_a, client_secret=SECRET, role_mapping={"x": "admin"})
    assert _get(org_a).configured is False


def test_only_owners_and_admins_manage_sso(org_a: TenantContext) -> None:
    admin = make_member(org_a, Role.ADMIN)
    _save(admin, client_secret=SECRET)
    for role in (Role.COACH, Role.MEMBER, Role.VIEWER):
        person = make_member(org_a, role)
        with pytest.raises(Forbidden):
            _get(person)
        with pytest.raises(Forbidden):
            _save(person, client_secret="x")
        with pytest.raises(Forbidden):
            sso.check_sso_connection(ctx=person, issuer_url="https://login.a.example")
        with tenant_session(person) as session, pytest.raises(Forbidden):
            sso.delete_sso_connection(session=session, ctx=person)


def test_other_org_cannot_see_or_change_the_connection(
    org_a: TenantContext, org_b: TenantContext
) -> None:
    _save(org_a, client_secret=SECRET)
    assert _get(org_b).configured is False
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        sso.delete_sso_connection(session=session, ctx=org_b)
    _save(org_b, issuer="https://login.b.example", client_secret="b-secret")
    assert _get(org_a).issuer_url == "https://login.a.example"
    assert _get(org_b).issuer_url == "https://login.b.example"
    with tenant_session(org_a) as session:
        sso.delete_sso_connection(session=session, ctx=org_a)
    assert _get(org_a).configured is False
    assert _get(org_b).configured is True


def test_require_sso_refuses_passwords_except_for_owners(org_a: TenantContext) -> None:
    member = make_member(org_a, Role.ADMIN, email="admin@a.example")
    owner_email = "owner-a@a.example"
    owner = make_member(org_a, Role.OWNER, email=owner_email)
    _save(org_a, client_secret=SECRET, require_sso=True)
    with pytest.raises(Forbidden, match="Org A requires single sign-on"):
        identity.authenticate(email="admin@a.example", password=PASSWORD)
    assert identity.authenticate(email=owner_email, password=PASSWORD) == owner.user_id
    _save(org_a, require_sso=False)
    assert identity.authenticate(email="admin@a.example", password=PASSWORD) == member.user_id


def test_check_connection_reports_what_it_found(idp1: str, org_a: TenantContext) -> None:
    found = sso.check_sso_connection(ctx=org_a, issuer_url=idp1 + "/")
    assert found.ok, found.message
    assert found.issuer == idp1
    assert found.token_endpoint.startswith(idp1) and found.end_session_endpoint
    assert found.signing_keys >= 1
    assert f"Found {idp1}" in found.message

    closed = f"http://127.0.0.1:{free_port()}"
    unreachable = sso.check_sso_connection(ctx=org_a, issuer_url=closed)
    assert not unreachable.ok and "Could not reach the identity provider" in unreachable.message

    wrong_path = sso.check_sso_connection(ctx=org_a, issuer_url=idp1 + "/tenant-x")
    assert not wrong_path.ok and "answered 404" in wrong_path.message
