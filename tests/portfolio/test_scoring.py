"""Scoring models with hand-computed values, "not scored", validation and ranking order."""

from __future__ import annotations

import pytest

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio import scoring
from pmo_saas.portfolio.scoring import CriterionSpec, RankInput, ScoreResult, compute, rank


def test_wsjf_by_hand():
    # (8 + 5 + 3) / 5 = 16 / 5 = 3.2
    result = compute(
        "wsjf", {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 5}
    )
    assert result.value == pytest.approx(3.2)
    assert "= 16 / 5 = 3.2" in result.explanation
    # (20 + 13 + 1) / 2 = 17
    result = compute(
        "wsjf", {"business_value": 20, "time_criticality": 13, "risk_reduction": 1, "job_size": 2}
    )
    assert result.value == 17


def test_rice_by_hand():
    # 2000 * 2 * 80% / 4 = 800
    result = compute("rice", {"reach": 2000, "impact": 2, "confidence": 80, "effort": 4})
    assert result.value == pytest.approx(800)
    assert "Confidence 80%" in result.explanation
    # 150 * 0.5 * 50% / 0.5 = 75
    result = compute("rice", {"reach": 150, "impact": 0.5, "confidence": 50, "effort": 0.5})
    assert result.value == pytest.approx(75)


def test_weighted_criteria_and_formula():
    criteria = [CriterionSpec(1, "Value", 2, 1, 5), CriterionSpec(2, "Fit", 1, 1, 10)]
    # (2 * 4 + 1 * 7) / 3 = 5
    result = compute("weighted", {"c1": 4, "c2": 7}, criteria=criteria)
    assert result.value == pytest.approx(5)
    text = scoring.formula_text("weighted", criteria)
    assert text == "Weighted score = (2 \u00d7 Value + 1 \u00d7 Fit) / 3"


def test_moscow_model():
    assert compute("moscow", {}, moscow="must").value == 4
    assert compute("moscow", {}, moscow=None).value is None


def test_not_scored_is_never_zero():
    result = compute("wsjf", {"business_value": 8, "time_criticality": 5, "risk_reduction": 3})
    assert result.value is None
    assert result.explanation == "Not scored: Job size missing"
    assert ("Job size", None) in result.inputs
    assert compute("rice", {}).value is None
    assert compute("weighted", {}, criteria=[]).value is None


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("job_size", "4", "Job size must be one of 1, 2, 3, 5, 8, 13, 20; got 4"),
        ("job_size", "abc", "Job size must be a number"),
        ("business_value", 0, "one of 1, 2, 3"),
        ("impact", 5, "Impact must be one of 0.25, 0.5, 1, 2, 3"),
        ("confidence", 120, "between 0 to 100"),
        ("effort", 0, "a number above 0"),
        ("reach", -3, "0 or more"),
        ("reach", "nan", "finite"),
        ("reach", "", "enter a value"),
    ],
)
def test_off_scale_and_non_numeric_scores_are_refused(key, raw, message):
    with pytest.raises(ValidationFailed, match=message):
        scoring.ALL_FIXED_INPUTS[key].parse(raw)


def test_confidence_accepts_percent_sign():
    assert scoring.ALL_FIXED_INPUTS["confidence"].parse("80%") == 80


def _item(id_, title, value, manual=None):
    return RankInput(id_, title, ScoreResult(value, ""), manual_rank=manual, manual_reason="r")


def test_rank_orders_by_score_then_title_and_puts_unscored_last():
    ranked = rank([_item(1, "b", 2), _item(2, "a", 2), _item(3, "c", None), _item(4, "d", 9)])
    assert [r.item.id for r in ranked] == [4, 2, 1, 3]
    assert [r.computed_rank for r in ranked] == [1, 2, 3, None]


def test_manual_override_places_item():
    ranked = rank([_item(1, "a", 9), _item(2, "b", 5), _item(3, "c", 1, manual=1)])
    assert [r.item.id for r in ranked] == [3, 1, 2]
    assert ranked[0].computed_rank == 3
    ranked = rank([_item(1, "a", 9), _item(2, "b", 5, manual=99)])
    assert [r.item.id for r in ranked] == [1, 2]


def test_median_and_snap():
    assert scoring.median([3, 5]) == 4
    fib = scoring.ALL_FIXED_INPUTS["job_size"]
    assert scoring.snap_to_scale(4, fib) == 5
    assert scoring.snap_to_scale(10, fib) == 8
    assert scoring.snap_to_scale(16.5, fib) == 20
