"""Culture criteria read survey results: surveys mail their links through loopback SMTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.surveys.helpers import smtp_delivery


@pytest.fixture(autouse=True)
def _smtp() -> Iterator[None]:
    with smtp_delivery():
        yield
