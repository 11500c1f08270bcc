"""The garbage collector of a long-running app process: the start-up heap frozen.

An app process imports Reflex, every page's component tree, SQLAlchemy's mappers and the
domains' models: most of the ~800,000 objects it ever holds exist once start-up is done and
live as long as the process. Python's cyclic collector still walks every one of them in each
full (generation 2) collection, which here took 150 ms and came every few seconds under load,
holding every event in flight that long. `gc.freeze()` (the standard library's own answer, as
used by pre-forking servers) moves what exists at start-up to a permanent generation the
collector skips; what events create is collected as before. Objects frozen and later dropped
are not freed: start-up objects are not dropped.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


# Generation 0 collected after 10,000 new container objects instead of 700 (one event creates
# a few thousand: a collection per event otherwise); generation 1 every 20 of those, and a full
# collection considered every 50 generation-1 collections (it still runs only when the heap
# outside the frozen part grew by a quarter, as Python decides).
THRESHOLDS = (10_000, 20, 50)


def freeze_startup_heap() -> None:
    """Collect once, then freeze what is left (a lifespan task: runs when the process serves)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    logger.info("garbage collector: %d start-up objects frozen", gc.get_freeze_count())
