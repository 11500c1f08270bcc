"""The app process's upkeep: Reflex's state store looks for expired pickles once a minute, not
after every batch of writes; the garbage collector leaves the start-up heap alone.

The purge is driven on a real `StateManagerDisk` over a real states folder: an expired pickle
is deleted by the first look, a second one that expires within the minute waits for the next
look (and is then deleted), and a fresh pickle is never deleted.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import pytest
from reflex.istate.manager.disk import StateManagerDisk

import pmo_saas.pmo_saas  # noqa: F401  (the app module installs the upkeep, as a worker does)
from pmo_saas.ops import memory, state_store


def _pickle(folder: Path, name: str, age_s: float) -> Path:
    path = folder / f"{name}.pkl"
    path.write_bytes(b"state")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def _manager(folder: Path, monkeypatch: pytest.MonkeyPatch, expiration: int) -> StateManagerDisk:
    """A state manager over `folder` (Reflex reads REFLEX_STATES_WORKDIR when it is built)."""
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(folder))
    manager = StateManagerDisk(token_expiration=expiration)
    assert manager.states_directory == folder.absolute()
    return manager


def test_the_app_module_throttles_reflexs_purge():
    assert getattr(StateManagerDisk._purge_expired_states, "__pmo_throttled__", False)
    state_store.install()  # a second install does not wrap it twice
    wrapped = StateManagerDisk._purge_expired_states.__wrapped__  # type: ignore[attr-defined]
    assert not getattr(wrapped, "__pmo_throttled__", False)


def test_expired_states_are_deleted_at_most_once_a_minute(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(state_store.time, "monotonic", lambda: clock[0])
    old = _pickle(tmp_path, "old", age_s=7200)
    fresh = _pickle(tmp_path, "fresh", age_s=10)
    manager = _manager(tmp_path, monkeypatch, 3600)  # built: its first look, as Reflex starts
    assert not old.exists() and fresh.exists()

    later = _pickle(tmp_path, "later", age_s=7200)  # expired, but the last look was just now
    clock[0] += 30
    manager._purge_expired_states()
    assert later.exists()
    clock[0] += state_store.PURGE_EVERY_S
    manager._purge_expired_states()
    assert not later.exists() and fresh.exists()


def test_each_manager_keeps_its_own_minute(tmp_path, monkeypatch):
    monkeypatch.setattr(state_store.time, "monotonic", lambda: 5000.0)
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    _manager(first, monkeypatch, 60)
    stale = _pickle(second, "stale", age_s=120)
    _manager(second, monkeypatch, 60)  # the same instant: another manager still looks
    assert not stale.exists()


@pytest.fixture
def gc_restored():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_start_up_heap_is_frozen_and_young_garbage_still_collected(gc_restored):
    memory.freeze_startup_heap()
    assert gc.get_freeze_count() > 10_000  # Reflex, the pages and the models are held there
    assert gc.get_threshold() == memory.THRESHOLDS

    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    import weakref

    node = Node()
    gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None
