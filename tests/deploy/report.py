"""Measured figures of the deployment tests, printed past pytest's capture."""

from __future__ import annotations

import pytest


def report(config: pytest.Config, tag: str, line: str) -> None:
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[{tag}] {line}", flush=True)
