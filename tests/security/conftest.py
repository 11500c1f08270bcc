"""The security probes share one filled organisation B per module (filling it takes a second
or two; the probes only read it and prove they did not change it), so the per-test emptying of
tests/conftest.py is replaced here by one emptying per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from pmo_saas.kernel import clock
from tests.conftest import empty_database
from tests.security.harness import COUNTS, World, build_world


@pytest.fixture(scope="module")
def _module_database(engine: Engine) -> Iterator[None]:
    empty_database(engine)
    yield
    clock.freeze(None)
    empty_database(engine)


@pytest.fixture(autouse=True)
def clean_db(_module_database: None) -> Iterator[None]:
    """Overrides tests/conftest.py's per-test emptying: one database per module here."""
    yield


@pytest.fixture(scope="module")
def world(_module_database: None) -> World:
    return build_world()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not COUNTS:
        return
    terminalreporter.section("security probes")
    for kind, count in sorted(COUNTS.items()):
        terminalreporter.write_line(f"{kind:<48} {count:>6}")
    terminalreporter.write_line(f"{'total':<48} {sum(COUNTS.values()):>6}")
