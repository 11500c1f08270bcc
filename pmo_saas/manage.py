"""Operator commands: `python -m pmo_saas.manage migrate|seed|check-settings|worker`."""

from __future__ import annotations

import argparse
import sys

from alembic.config import Config

from alembic import command
from pmo_saas.settings import PROJECT_ROOT, get_settings


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    if url:
        cfg.attributes["url"] = url
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the schema to every branch head (each domain keeps its own migration branch)."""
    command.upgrade(alembic_config(url), "heads")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pmo_saas.manage")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply all migrations")
    sub.add_parser("seed", help="create the demo organisation (idempotent)")
    sub.add_parser("check-settings", help="validate settings and exit")
    worker = sub.add_parser("worker", help="run the background jobs (huey consumer)")
    worker.add_argument("--workers", type=int, default=None, help="threads (PMO_JOBS_WORKERS)")
    worker.add_argument(
        "--no-periodic", action="store_true", help="run queued tasks only, no schedule"
    )
    worker.add_argument(
        "--stop-with", type=int, metavar="PID", help="stop when this parent process ends"
    )
    args = parser.parse_args(argv)

    if args.command == "check-settings":
        get_settings()
        from pmo_saas.billing.services import configuration_problems

        problems = configuration_problems()
        for problem in problems:
            print(f"billing: {problem}")
        print("settings ok" if not problems else "settings have problems")
        return 1 if problems else 0
    elif args.command == "migrate":
        migrate()
        print("database migrated")
    elif args.command == "seed":
        from pmo_saas.seed import seed_demo

        for line in seed_demo():
            print(line)
    elif args.command == "worker":
        from pmo_saas.jobs.worker import run_worker

        return run_worker(
            workers=args.workers,
            periodic=not args.no_periodic,
            stop_with=args.stop_with,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
