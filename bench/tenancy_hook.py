"""The tenant-scoping hook's cost per statement, and one initiatives reload through the service.

On a temporary SQLite database with the demo organisation, times (the fastest of several rounds):
(1) the hook's analysis alone (`_tenant_classes_in` on the initiatives SELECT),
(2) the same SELECT executed on a tenant session (hook + criteria + compile) against a
    system session (the hook returns at once: the baseline, a plain ORM SELECT), and
(3) `views.initiatives_view` for the demo portfolio (the service behind one reload).

    python bench/tenancy_hook.py            # full size
    python bench/tenancy_hook.py --smoke    # a few hundred statements (CI)

The ratios compare each figure with its baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
_tmp = Path(tempfile.mkdtemp(prefix="pmo-bench-"))
os.environ["PMO_DATABASE_URL"] = f"sqlite:///{_tmp / 'bench.db'}"
os.environ.setdefault("PMO_ENVIRONMENT", "test")
os.environ.setdefault("PMO_SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ["PMO_SMTP_HOST"] = ""

from sqlmodel import SQLModel, col, select  # noqa: E402

import pmo_saas.models  # noqa: E402,F401
from pmo_saas.db import (  # noqa: E402
    _tenant_classes_in,
    get_engine,
    system_session,
    tenant_session,
)
from pmo_saas.identity.models import Membership, Organization  # noqa: E402
from pmo_saas.kernel.context import TenantContext  # noqa: E402
from pmo_saas.portfolio import views  # noqa: E402
from pmo_saas.portfolio.models import Initiative, Portfolio  # noqa: E402
from pmo_saas.seed import DEMO_SLUG, seed_demo  # noqa: E402

logging.getLogger("pmo_saas.mail").setLevel(logging.ERROR)  # the demo's invitations


def per_call_us(fns: list[Callable[[], object]], calls: int, rounds: int) -> list[float]:
    """The fastest of `rounds` means of one call, in microseconds, for each of `fns`.

    The functions take turns inside each round, so a busy machine slows each of them alike;
    the fastest round is the least disturbed one.
    """
    for fn in fns:
        fn()  # warm the statement cache
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / calls * 1e6)
    return best


def demo_context() -> tuple[TenantContext, int]:
    with system_session() as session:
        org = session.exec(select(Organization).where(Organization.slug == DEMO_SLUG)).one()
        owner = session.exec(
            select(Membership).where(Membership.org_id == org.id, Membership.role == "owner")
        ).first()
        assert org.id is not None and owner is not None
        ctx = TenantContext(
            org_id=org.id, user_id=owner.user_id, role=owner.role, org_slug=DEMO_SLUG
        )
    with tenant_session(ctx) as session:
        portfolio = session.exec(select(Portfolio).order_by(col(Portfolio.id))).first()
        assert portfolio is not None and portfolio.id is not None
    return ctx, portfolio.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a small run (CI)")
    args = parser.parse_args()
    calls, rounds, views_n = (100, 3, 20) if args.smoke else (2000, 7, 300)
    try:
        SQLModel.metadata.create_all(get_engine())
        seed_demo()
        ctx, pid = demo_context()

        def statement():  # type: ignore[no-untyped-def]
            return (
                select(Initiative)
                .where(Initiative.portfolio_id == pid, Initiative.archived_at.is_(None))  # type: ignore[union-attr]
                .order_by(col(Initiative.id))
            )

        build_us, analysis_us = per_call_us(
            [statement, lambda: _tenant_classes_in(statement())], calls, rounds
        )

        with tenant_session(ctx) as scoped, system_session() as plain:
            plain_us, scoped_us = per_call_us(
                [lambda: plain.exec(statement()).all(), lambda: scoped.exec(statement()).all()],
                calls,
                rounds,
            )
            rows = len(scoped.exec(statement()).all())

        def reload() -> None:
            with tenant_session(ctx) as session:
                views.initiatives_view(session=session, ctx=ctx, portfolio_id=pid)

        (view_us,) = per_call_us([reload], views_n, rounds)
    finally:
        get_engine().dispose()
        shutil.rmtree(_tmp, ignore_errors=True)

    size = "smoke" if args.smoke else "full"
    print(f"tenancy hook ({size}: {calls} statements x {rounds} rounds, SQLite, {rows} rows each)")
    print(f"  building the SELECT (baseline for the analysis)   {build_us:9.1f} us")
    print(
        f"  building it + the hook analysis                   {analysis_us:9.1f} us"
        f"   {analysis_us / build_us:5.2f}x building it"
    )
    print(f"  SELECT on a system session (baseline, no scoping) {plain_us:9.1f} us")
    print(
        f"  SELECT on a tenant session (hook + criteria)      {scoped_us:9.1f} us"
        f"   {scoped_us / plain_us:5.2f}x the plain SELECT"
    )
    print(
        f"  initiatives_view (one reload's service call)      {view_us / 1000:9.2f} ms"
        f"   {view_us / plain_us:5.1f}x the plain SELECT"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
