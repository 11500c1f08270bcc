from __future__ import annotations

import pytest
from pydantic import ValidationError

from pmo_saas.settings import Settings


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short-but-not-placeholder"])
def test_production_refuses_a_missing_or_placeholder_secret(secret):
    with pytest.raises(ValidationError, match="PMO_SECRET_KEY"):
        Settings(environment="production", secret_key=secret, _env_file=None)


def test_production_accepts_a_real_secret():
    key = "k" * 20 + "0123456789abcdefXYZ"
    assert Settings(environment="production", secret_key=key, _env_file=None).secret_key == key


def test_development_generates_and_keeps_a_local_secret(tmp_path, monkeypatch):
    monkeypatch.setattr("pmo_saas.settings.PROJECT_ROOT", tmp_path)
    first = Settings(environment="development", secret_key="", _env_file=None).secret_key
    second = Settings(environment="development", secret_key="", _env_file=None).secret_key
    assert len(first) >= 32 and first == second
    assert (tmp_path / ".secret_key").stat().st_mode & 0o777 == 0o600


def test_tenant_role_must_be_an_identifier():
    with pytest.raises(ValidationError, match="identifier"):
        Settings(db_tenant_role='x"; drop table user; --', _env_file=None)
