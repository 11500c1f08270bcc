"""Feedback rounds mail personal links through the loopback SMTP server (as survey tests do)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.surveys.helpers import smtp_delivery


@pytest.fixture(autouse=True)
def _smtp() -> Iterator[None]:
    with smtp_delivery():
        yield
