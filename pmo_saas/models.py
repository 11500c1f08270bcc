"""Imports every domain's tables, so metadata (Alembic, tests) sees them all, and the modules that
register hooks with the layers below them."""

from __future__ import annotations

import importlib
import pkgutil

import pmo_saas

DOMAINS = (
    "identity",
    "billing",
    "portfolio",
    "assessments",
    "coaching",
    "surveys",
    "dashboard",
    "rest",
    "jobs",
    "practices",
    "capacity",
    "delivery",
    "collaboration",
    "rollout",
    "programmes",
    "improvement",
)
# Modules that hold tables beside a domain's models.py.
EXTRA_MODEL_MODULES = (
    "pmo_saas.identity.sso_models",
    "pmo_saas.delivery.sync.models",
    "pmo_saas.surveys.wedid.models",
)
# Modules that register what the layers below ask of them: billing's read-only write guard
# (db.py) and its plan rules (identity.plan_rules, which may not import billing); the
# domains' comment targets (collaboration.targets, which imports none of them).
HOOK_MODULES = (
    "pmo_saas.billing.entitlements",
    # Each registers with collaboration who may see the objects people comment on.
    "pmo_saas.portfolio.comment_targets",
    "pmo_saas.coaching.comment_targets",
    "pmo_saas.assessments.comment_targets",
    "pmo_saas.surveys.comment_targets",
    # Capacity registers with the portfolio how to read team capacity for funding.
    "pmo_saas.capacity.funding_limits",
)


def _import_if_present(name: str) -> None:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise


def load_all_models() -> None:
    for domain in DOMAINS:
        names = {m.name for m in pkgutil.iter_modules([f"{pmo_saas.__path__[0]}/{domain}"])}
        if "models" in names:
            importlib.import_module(f"pmo_saas.{domain}.models")
    for name in EXTRA_MODEL_MODULES:
        _import_if_present(name)
    for name in HOOK_MODULES:
        importlib.import_module(name)


load_all_models()
