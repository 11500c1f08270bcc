"""Imports every domain's tables, so metadata (Alembic, tests) sees them all."""

from __future__ import annotations

import importlib
import pkgutil

import pmo_saas

DOMAINS = ("identity", "billing", "portfolio", "assessments", "coaching", "surveys", "dashboard")


def load_all_models() -> None:
    for domain in DOMAINS:
        package = f"pmo_saas.{domain}"
        try:
            importlib.import_module(package)
        except ModuleNotFoundError:
            continue
        names = {m.name for m in pkgutil.iter_modules([f"{pmo_saas.__path__[0]}/{domain}"])}
        if "models" in names:
            importlib.import_module(f"{package}.models")


load_all_models()
