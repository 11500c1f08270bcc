"""Field cleaners and the cycle finder (against the standard library's topological sort)."""

from __future__ import annotations

import graphlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio import fields


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("120,000", 120000), ("1 500", 1500), ("99.00", 99), (0, 0), ("", None), (None, None)],
)
def test_money_accepts_what_people_type(raw, expected):
    assert fields.clean_money(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [("-1", "cannot be negative"), ("ten", "must be a number"), ("1.5", "whole currency")],
)
def test_money_refuses_with_a_reason(raw, message):
    with pytest.raises(ValidationFailed, match=message):
        fields.clean_money(raw)


def test_moscow_aliases_and_tags():
    assert fields.clean_moscow("Won\u2019t have") == "wont"
    assert fields.clean_moscow(" M ") == "must"
    assert fields.clean_tags("UX; growth,ux") == "growth,ux"


def test_long_chain_has_no_recursion_limit():
    edges = {k: [k + 1] for k in range(20_000)}
    assert fields.find_cycle(edges) is None
    edges[20_000] = [0]
    assert len(fields.find_cycle(edges)) == 20_002


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.integers(0, 9), st.lists(st.integers(0, 9), max_size=3, unique=True), max_size=10
    )
)
def test_find_cycle_agrees_with_topological_sort(edges):
    cycle = fields.find_cycle(edges)
    try:
        list(graphlib.TopologicalSorter(edges).static_order())
        acyclic = True
    except graphlib.CycleError:
        acyclic = False
    assert (cycle is None) == acyclic
    if cycle is not None:
        assert cycle[0] == cycle[-1]
        for a, b in itertools.pairwise(cycle):
            assert b in edges.get(a, [])
