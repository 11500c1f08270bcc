"""A process forked after the app opened database connections (granian's workers are forked
from the process that built the app) must never talk on its parent's connections: two
processes on one PostgreSQL connection collide ("prepared statement _pg3_0 already exists",
seen in the browser journeys with two workers). Registering the metrics collectors, which
happens while the app is built, reads nothing from the database."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry
from sqlalchemy import event, text

from pmo_saas.jobs.http import JobRunCollector


def test_a_forked_child_opens_its_own_connections(engine):
    with engine.connect() as connection:  # the parent's pool now holds a connection
        connection.execute(text("SELECT 1"))
    assert engine.pool.checkedin() >= 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report how many of the parent's connections its pool holds
        os.close(read)
        held = engine.pool.checkedin()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        os.write(write, str(held).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    held_by_child = os.read(read, 16).decode()
    os.close(read)
    assert os.WEXITSTATUS(status) == 0
    assert held_by_child == "0"
    with engine.connect() as connection:  # the parent's own connections still work
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_registering_the_job_metrics_reads_nothing_from_the_database(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        registry = CollectorRegistry()
        registry.register(JobRunCollector())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    assert registry.get_sample_value("pmo_job_metrics_up") == 1  # a scrape does read
