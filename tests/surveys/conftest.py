"""Every survey test mails through the loopback SMTP server (personal links go only there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.surveys.helpers import smtp_delivery


@pytest.fixture(autouse=True)
def _smtp() -> Iterator[None]:
    with smtp_delivery():
        yield
