"""A name taken twice is refused with a message, whatever its letters.

The checks compared the database's lower() of the stored name with Python's lower() of the new
one: SQLite's lower() changes ASCII letters only, so a name with an accented capital ("ÉQUIPE
Ä") was never found taken and reached the unique constraint instead (an IntegrityError, and the
form's input lost). A fuzzed wave title found it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pmo_saas.coaching.services import training
from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Conflict
from pmo_saas.practices.services import playbook
from pmo_saas.programmes.services import programmes
from pmo_saas.rollout.services import waves
from tests.portfolio.builders import make_portfolio

NAME = "ÉQUIPE Ärger Ωmega"


def _wave(session: Any, ctx: Any, name: str) -> object:
    return waves.create_wave(session=session, ctx=ctx, title=name)


def _course(session: Any, ctx: Any, name: str) -> object:
    return training.create_course(session=session, ctx=ctx, name=name)


def _practice(session: Any, ctx: Any, name: str) -> object:
    return playbook.publish_practice(session=session, ctx=ctx, title=name)


def _programme(session: Any, ctx: Any, name: str) -> object:
    portfolio_id = make_portfolio(ctx, "Clash " + str(len(name)))
    return programmes.create_programme(
        session=session, ctx=ctx, portfolio_id=portfolio_id, name=name
    )


@pytest.mark.parametrize("create", [_wave, _course, _practice, _programme])
def test_a_name_with_accented_capitals_taken_twice_is_refused_with_a_message(
    org_a, org_b, create: Callable[[Any, Any, str], object]
):
    with tenant_session(org_a) as session:
        create(session, org_a, NAME)
    with pytest.raises(Conflict), tenant_session(org_a) as session:
        create(session, org_a, NAME)
    with tenant_session(org_b) as session:  # another organisation's names are its own
        create(session, org_b, NAME)
