"""Anonymity: no result, filter, export, or pair of queries reveals a group below threshold."""

from __future__ import annotations

import csv
import io
import itertools
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_saas.db import tenant_session
from pmo_saas.kernel.anonymity import AnonymityRefused, protect
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.surveys import services
from tests import factories
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    results,
    team_with,
    westrum_answers,
)

counts_strategy = st.dictionaries(
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=14),
    min_size=1,
    max_size=8,
)


def _subsets(items):
    items = sorted(items)
    for r in range(1, len(items) + 1):
        yield from (set(c) for c in itertools.combinations(items, r))


@settings(max_examples=300, deadline=None)
@given(counts=counts_strategy, threshold=st.integers(min_value=1, max_value=9))
def test_protect_never_reveals_a_small_group(counts, threshold):
    d = protect(counts, threshold)
    t = max(threshold, 3)
    total = sum(counts.values())
    assert d.threshold == t
    assert set(d.visible) | set(d.hidden) == set(counts)
    assert all(counts[g] >= t for g in d.visible)
    assert not d.total_visible or total >= t
    # Everything an observer can get: shown teams, sums of shown teams, the org total.
    revealed = list(_subsets(d.visible)) + ([set(counts)] if d.total_visible else [])
    for a, b in itertools.product(revealed, repeat=2):
        if b <= a:
            diff = sum(counts[g] for g in a - b)
            assert diff == 0 or diff >= t, (a, b)
    # Any linear combination: the finest it reaches is the hidden teams together.
    if d.total_visible:
        hidden_total = sum(counts[g] for g in counts if g not in d.visible)
        assert hidden_total == 0 or hidden_total >= t
    # Filters: allowed exactly for shown teams or the whole organisation.
    for chosen in _subsets(counts) if len(counts) <= 6 else [set(counts)]:
        allowed = chosen <= d.visible or (chosen == set(counts) and d.total_visible)
        try:
            d.check_filter(chosen, counts)
            assert allowed
        except AnonymityRefused:
            assert not allowed


def test_protect_examples():
    # 5 and 4 with threshold 5: hiding the 5 too would hide every team, so the total goes.
    d = protect({1: 5, 2: 4}, 5)
    assert d.visible == {1} and not d.total_visible and "subtraction" in d.total_hidden_reason
    # 10, 10, 3: the smallest shown team is hidden too, so the total can stay.
    d = protect({1: 10, 2: 9, 3: 3}, 5)
    assert d.visible == {1} and d.total_visible and "protect a smaller team" in d.hidden[2]
    # Two small teams that together reach the threshold need no extra hiding.
    d = protect({1: 10, 2: 3, 3: 2}, 5)
    assert d.visible == {1} and d.total_visible
    # The threshold never goes below 3.
    assert protect({1: 2}, 1).visible == frozenset()


def test_the_issue_journey_shows_team_one_and_hides_team_two(org_a):
    t1, m1 = team_with(org_a, "Team One", 5)
    t2, m2 = team_with(org_a, "Team Two", 4)
    survey_id = launch(org_a, [t1, t2])
    links = links_from_outbox(org_a)
    for n, m in enumerate(m1 + m2):
        services.submit_response(
            token=links[email_of(m)][0], answers=westrum_answers(2 + n % 5, f"note {n}")
        )
    close(org_a, survey_id)
    r = results(org_a, survey_id)
    one, two = r.teams
    assert one.visible and one.responses == 5 and one.headline.value is not None
    assert not two.visible and "fewer than 5" in two.hidden_reason and two.questions == []
    assert not r.org.visible and "subtraction" in r.org.hidden_reason
    # Comments need 8: team one (5) shows none.
    assert one.comments == [] and "fewer than 8" in one.comments_hidden_reason
    with pytest.raises(AnonymityRefused):
        results(org_a, survey_id, team_ids=[two.survey_team_id])
    with pytest.raises(AnonymityRefused):
        results(org_a, survey_id, team_ids=[one.survey_team_id, two.survey_team_id])
    assert results(org_a, survey_id, team_ids=[one.survey_team_id]).selection.responses == 5
    exported = _export(org_a, survey_id)
    assert all(row["group"] != "Team Two" or row["responses"] == "" for row in exported)
    assert not any("note" in row["answer"] for row in exported)


def test_comments_appear_above_their_threshold_in_random_order(org_a):
    team, members = team_with(org_a, "Alpha", 8)
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    for n, m in enumerate(members):
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(5, f"c{n}"))
    close(org_a, survey_id)
    orders = set()
    for _ in range(6):
        group = results(org_a, survey_id).teams[0]
        assert group.visible and len(group.comments) == 1
        texts = group.comments[0].comments
        assert sorted(texts) == sorted(f"c{n}" for n in range(8))
        orders.add(tuple(texts))
    assert len(orders) > 1


def _export(ctx, survey_id):
    with tenant_session(ctx) as session:
        text = services.export_results_csv(session=session, ctx=ctx, survey_id=survey_id)
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def owner():
    return factories.make_org("Prop")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=9), min_size=2, max_size=4),
    threshold=st.integers(min_value=3, max_value=6),
    comment_extra=st.integers(min_value=0, max_value=3),
    filters=st.lists(st.sets(st.integers(min_value=0, max_value=3), min_size=1), max_size=4),
)
def test_results_filters_and_export_never_reveal_a_small_group(
    owner, sizes, threshold, comment_extra, filters
):
    ctx = owner
    team_ids = [factories.make_team(ctx, f"T{secrets.token_hex(4)}") for _ in sizes]
    survey_id = launch(
        ctx,
        team_ids,
        personal_links=False,
        open_links=True,
        open_link_cap=50,
        min_group_size=threshold,
        min_comment_group_size=threshold + comment_extra,
    )
    with tenant_session(ctx) as session:
        teams = services.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
        urls = [
            services.create_open_link(
                session=session, ctx=ctx, survey_id=survey_id, team_id=t.survey_team_id
            )
            for t in teams
        ]
    size_of = {}
    for t, url, n in zip(teams, urls, sizes, strict=True):
        size_of[t.survey_team_id] = n
        for i in range(n):
            services.submit_response(
                token=url.rsplit("/", 1)[1],
                answers=westrum_answers(1 + i % 7, f"words {i}"),
                submission_key=secrets.token_hex(8),
            )
    close(ctx, survey_id)
    comment_t = threshold + comment_extra
    r = results(ctx, survey_id)
    shown = [g for g in r.teams if g.visible]
    for g in r.teams:
        assert g.responses == size_of[g.survey_team_id]
        if g.visible:
            assert g.responses >= threshold
        else:
            assert g.questions == [] and g.headline is None and g.comments == []
        if g.comments:
            assert g.responses >= comment_t
    assert not r.org.visible or r.org.responses >= threshold
    if r.org.comments:
        assert r.org.responses >= comment_t
    # Pairs of queries: org total minus every shown team is 0 or a group of >= threshold.
    if r.org.visible:
        rest = r.org.responses - sum(g.responses for g in shown)
        assert rest == 0 or rest >= threshold
    if r.org.comments:
        rest = r.org.responses - sum(g.responses for g in r.teams if g.comments)
        assert rest == 0 or rest >= comment_t
    # The heat map shows exactly the shown groups.
    assert all(row.visible or all(c.value is None for c in row.cells) for row in r.heatmap)
    # Filters: refused, or a group made of shown teams (or the whole organisation).
    ids = [t.survey_team_id for t in teams]
    for chosen in filters:
        selected = {ids[i % len(ids)] for i in chosen}
        try:
            sel = results(ctx, survey_id, team_ids=sorted(selected)).selection
        except ValidationFailed:
            continue
        assert sel is not None and sel.responses >= threshold
        assert selected <= {g.survey_team_id for g in shown} or selected == set(ids)
        if selected != set(ids) and r.org.visible:
            rest = r.org.responses - sel.responses
            assert rest == 0 or rest >= threshold
    # The export holds the same groups, never a hidden one's figures.
    visible_labels = {g.label: g.responses for g in [r.org, *r.teams] if g.visible}
    for row in _export(ctx, survey_id):
        if row["responses"]:
            assert row["group"] in visible_labels
            assert int(row["responses"]) >= threshold
            if row["answer"].startswith("words"):
                assert int(row["responses"]) >= comment_t
