"""Invitations go through a real SMTP server on loopback; people answer through the links."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import OutboxMessage
from pmo_saas.kernel.errors import Conflict
from pmo_saas.surveys import services
from tests.peers import smtp as peer
from tests.surveys.helpers import LINK, close, email_of, launch, results, team_with, westrum_answers


class Capture:
    """What the loopback SMTP server (tests/peers/smtp.py) received since the test began."""

    def __init__(self) -> None:
        self.start = len(peer.messages())

    @property
    def messages(self) -> list[Message]:
        return peer.messages()[self.start :]


@pytest.fixture
def smtp() -> Iterator[Capture]:
    yield Capture()


def test_launch_mails_links_over_smtp_and_results_respect_thresholds(org_a, smtp):
    t1, m1 = team_with(org_a, "Team One", 5)
    t2, m2 = team_with(org_a, "Team Two", 4)
    survey_id = launch(org_a, [t1, t2], title="How we work")
    assert len(smtp.messages) == 9
    links = {}
    for message in smtp.messages:
        body = message.get_payload(decode=True).decode()
        assert message["Subject"] == "Your voice, anonymously: How we work"
        assert "without your name" in body
        links[message["To"]] = LINK.findall(body)[0]
    assert set(links) == {email_of(p) for p in m1 + m2}
    # The outbox copy of a delivered mail keeps no usable link: only the hash is stored.
    with tenant_session(org_a) as session:
        kept = session.exec(select(OutboxMessage)).all()
    assert len(kept) == 9 and all(m.sent_via == "smtp" for m in kept)
    assert not any(token in m.body for m in kept for token in links.values())
    assert all("[link hidden: sent by email only]" in m.body for m in kept)
    for n, person in enumerate(m1 + m2):
        services.submit_response(
            token=links[email_of(person)], answers=westrum_answers(3 + n % 4, f"comment {n}")
        )
    # A reused link from the mail gets a clear message.
    with pytest.raises(Conflict, match="already been used"):
        services.submit_response(token=links[email_of(m1[0])], answers=westrum_answers(5))
    close(org_a, survey_id)
    r = results(org_a, survey_id)
    one, two = r.teams
    assert (one.label, one.visible, one.responses) == ("Team One", True, 5)
    # Westrum score: the five people answered 3, 4, 5, 6 and 3 on every item.
    assert one.headline is not None and one.headline.value == pytest.approx(4.2)
    assert (two.label, two.visible) == ("Team Two", False)
    assert "fewer than 5 responses" in two.hidden_reason
    assert one.comments == [] and "fewer than 8" in one.comments_hidden_reason
