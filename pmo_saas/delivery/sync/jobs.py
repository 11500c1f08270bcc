"""The scheduled sync (jobs/tasks.py runs it every 15 minutes): every connection of every
organisation, one after the other; a failing one is recorded on its own run and connection
(what the Connections page shows) and does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pmo_saas.db import tenant_session
from pmo_saas.delivery.sync import models as m
from pmo_saas.delivery.sync.engine import sync_connection
from pmo_saas.delivery.sync.services import due_connection_ids
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError

log = logging.getLogger("pmo_saas.delivery.sync")


@dataclass
class Synced:
    ok: int = 0
    failed: int = 0


def sync_all_connections(org_ids: list[int], context_for: Callable[[int], TenantContext]) -> Synced:
    done = Synced()
    for org_id in org_ids:
        ctx = context_for(org_id)
        with tenant_session(ctx) as session:
            ids = due_connection_ids(session=session, ctx=ctx)
        for connection_id in ids:
            try:
                run = sync_connection(ctx=ctx, connection_id=connection_id, trigger="schedule")
            except DomainError as error:  # running already, read-only workspace
                log.info("sync of connection %s skipped: %s", connection_id, error)
                continue
            if run.status == m.OK:
                done.ok += 1
            else:
                done.failed += 1
    return done
