"""The plan list and the board cost the same number of queries for 2 plans or 8."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from pmo_saas.coaching.services.actions import add_action
from pmo_saas.coaching.services.board import leadership_board
from pmo_saas.coaching.services.plans import create_plan, list_plans
from pmo_saas.db import get_engine, tenant_session
from pmo_saas.kernel.context import TenantContext
from tests.coaching import helpers


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _add_plans(w: helpers.World, n: int) -> None:
    with tenant_session(w.coach) as session:
        for i in range(n):
            plan = create_plan(session=session, ctx=w.coach, title=f"Plan {i}", team_id=w.alpha)
            for j in range(3):
                add_action(
                    session=session,
                    ctx=w.coach,
                    plan_id=plan.id,
                    title=f"a{j}",
                    owner_user_id=w.alice.user_id,
                    scope="organisation" if j == 0 else "team",
                )


def _queries(ctx: TenantContext) -> tuple[int, int]:
    with tenant_session(ctx) as session:
        with counting() as listed:
            assert list_plans(session=session, ctx=ctx)
        with counting() as board:
            assert leadership_board(session=session, ctx=ctx)
    return len(listed), len(board)


def test_list_and_board_queries_do_not_grow_with_plans(org_a: TenantContext) -> None:
    w = helpers.world(org_a)
    _add_plans(w, 2)
    small = {who: _queries(who) for who in (w.coach, w.alice)}
    _add_plans(w, 6)
    large = {who: _queries(who) for who in (w.coach, w.alice)}
    assert small == large
