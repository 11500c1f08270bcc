"""Operator commands: `python -m pmo_saas.manage COMMAND` (run with --help for the list)."""

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
    backup_parser = sub.add_parser("backup", help="write the whole database to FILE")
    backup_parser.add_argument("file")
    backup_parser.add_argument("--force", action="store_true", help="replace an existing FILE")
    backup_parser.add_argument(
        "--database-url", help="connect as this role instead (PostgreSQL: one that bypasses RLS)"
    )
    restore_parser = sub.add_parser("restore", help="load a backup FILE into the database")
    restore_parser.add_argument("file")
    restore_parser.add_argument(
        "--force", action="store_true", help="replace the contents of a non-empty database"
    )
    restore_parser.add_argument(
        "--database-url", help="connect as this role instead (PostgreSQL: one that bypasses RLS)"
    )
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
    elif args.command in ("backup", "restore"):
        from pmo_saas.ops import backup

        try:
            if args.command == "backup":
                written = backup.backup(args.file, database_url=args.database_url, force=args.force)
                print(f"backup written to {written}")
            else:
                backup.restore(args.file, database_url=args.database_url, force=args.force)
                print(f"database restored from {args.file}")
        except backup.BackupError as error:
            print(f"{args.command} refused: {error}", file=sys.stderr)
            return 1
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
