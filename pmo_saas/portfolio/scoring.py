"""Scoring models and ranking: plain functions of plain data, no database.

Each model names its inputs (`InputSpec`); an input that has not been given is "not scored",
and a score that lacks an input is `None`, never 0. Every computed score carries the
arithmetic that produced it, so a ranking row can explain itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.formatting import number

TIMES = "\u00d7"  # the multiplication sign, shown in formulas
FIBONACCI: tuple[float, ...] = (1, 2, 3, 5, 8, 13, 20)
RICE_IMPACT: tuple[float, ...] = (0.25, 0.5, 1, 2, 3)

WSJF, RICE, WEIGHTED, MOSCOW = "wsjf", "rice", "weighted", "moscow"
MODELS: dict[str, str] = {
    WSJF: "WSJF (weighted shortest job first)",
    RICE: "RICE (reach, impact, confidence, effort)",
    WEIGHTED: "Weighted criteria",
    MOSCOW: "MoSCoW",
}

MOSCOW_LABELS: dict[str, str] = {
    "must": "Must have",
    "should": "Should have",
    "could": "Could have",
    "wont": "Won't have (this time)",
}
MOSCOW_VALUE: dict[str, float] = {"must": 4, "should": 3, "could": 2, "wont": 1}


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One input of a scoring model and the values it accepts."""

    key: str
    label: str
    kind: str  # "choice" | "range" | "positive" | "nonnegative"
    choices: tuple[float, ...] = ()
    low: float = 0
    high: float = 0
    unit: str = ""

    def scale_text(self) -> str:
        if self.kind == "choice":
            return ", ".join(number(c) for c in self.choices)
        if self.kind == "range":
            return f"{number(self.low)} to {number(self.high)}"
        if self.kind == "positive":
            return "a number above 0"
        return "a number of 0 or more"

    def parse(self, raw: object, *, where: str = "") -> float:
        """The value as a float, or ValidationFailed saying what is accepted."""
        prefix = f"{where}: " if where else ""
        if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
            raise ValidationFailed(
                f"{prefix}enter a value for {self.label} ({self.scale_text()}).", field=self.key
            )
        try:
            value = float(str(raw).strip().rstrip("%")) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationFailed(
                f"{prefix}{self.label} must be a number ({self.scale_text()}); got “{raw}”.",
                field=self.key,
            ) from None
        if not math.isfinite(value):
            raise ValidationFailed(f"{prefix}{self.label} must be a finite number.", field=self.key)
        ok = {
            "choice": value in self.choices,
            "range": self.low <= value <= self.high,
            "positive": value > 0,
            "nonnegative": value >= 0,
        }[self.kind]
        if not ok:
            raise ValidationFailed(
                f"{prefix}{self.label} must be {self._must_be()}; got {number(value)}.",
                field=self.key,
            )
        return value

    def _must_be(self) -> str:
        if self.kind == "choice":
            return f"one of {self.scale_text()}"
        if self.kind == "range":
            return f"between {self.scale_text()}"
        return self.scale_text()


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """A custom criterion of the weighted model."""

    id: int
    name: str
    weight: float
    scale_min: int
    scale_max: int

    @property
    def key(self) -> str:
        return f"c{self.id}"


WSJF_INPUTS = (
    InputSpec("business_value", "User/business value", "choice", FIBONACCI),
    InputSpec("time_criticality", "Time criticality", "choice", FIBONACCI),
    InputSpec("risk_reduction", "Risk reduction/opportunity enablement", "choice", FIBONACCI),
    InputSpec("job_size", "Job size", "choice", FIBONACCI),
)
RICE_INPUTS = (
    InputSpec("reach", "Reach", "nonnegative", unit="people per period"),
    InputSpec("impact", "Impact", "choice", RICE_IMPACT),
    InputSpec("confidence", "Confidence", "range", low=0, high=100, unit="%"),
    InputSpec("effort", "Effort", "positive", unit="person-months"),
)
ALL_FIXED_INPUTS = {spec.key: spec for spec in (*WSJF_INPUTS, *RICE_INPUTS)}


def check_model(model: str) -> str:
    model = (model or "").strip().lower()
    if model not in MODELS:
        raise ValidationFailed(
            f"Choose a scoring model: {', '.join(MODELS)}; got “{model}”.", field="scoring_model"
        )
    return model


def criterion_input(c: CriterionSpec) -> InputSpec:
    return InputSpec(c.key, c.name, "range", low=c.scale_min, high=c.scale_max)


def input_specs(model: str, criteria: Sequence[CriterionSpec] = ()) -> list[InputSpec]:
    """The inputs scorers give under `model` (MoSCoW has none: it reads the category)."""
    if model == WSJF:
        return list(WSJF_INPUTS)
    if model == RICE:
        return list(RICE_INPUTS)
    if model == WEIGHTED:
        return [criterion_input(c) for c in criteria]
    return []


def spec_for(key: str, criteria: Sequence[CriterionSpec] = ()) -> InputSpec:
    if key in ALL_FIXED_INPUTS:
        return ALL_FIXED_INPUTS[key]
    for c in criteria:
        if c.key == key:
            return criterion_input(c)
    raise ValidationFailed(f"There is no score input called “{key}”.", field="key")


def formula_text(model: str, criteria: Sequence[CriterionSpec] = ()) -> str:
    """The model's formula in words, shown beside the ranking."""
    if model == WSJF:
        return (
            "WSJF = (User/business value + Time criticality + Risk reduction/opportunity "
            "enablement) / Job size, each on 1, 2, 3, 5, 8, 13, 20"
        )
    if model == RICE:
        return f"RICE = Reach {TIMES} Impact {TIMES} Confidence% / Effort"
    if model == WEIGHTED:
        if not criteria:
            return "Weighted score: no criteria defined yet"
        total = sum(c.weight for c in criteria)
        terms = " + ".join(f"{number(c.weight)} {TIMES} {c.name}" for c in criteria)
        return f"Weighted score = ({terms}) / {number(total)}"
    return "MoSCoW: Must 4, Should 3, Could 2, Won't 1"


@dataclass(frozen=True, slots=True)
class ScoreResult:
    value: float | None
    explanation: str
    inputs: tuple[tuple[str, float | None], ...] = ()
    # Derived once (results are shared through the cache), read by every ranking row.
    score_text: str = field(init=False)
    inputs_map: dict[str, float | None] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        text = "not scored" if self.value is None else number(self.value)
        object.__setattr__(self, "score_text", text)
        object.__setattr__(self, "inputs_map", dict(self.inputs))

    @property
    def scored(self) -> bool:
        return self.value is not None


def compute(
    model: str,
    inputs: Mapping[str, float],
    *,
    moscow: str | None = None,
    criteria: Sequence[CriterionSpec] = (),
) -> ScoreResult:
    """The score under `model` with its arithmetic; `value` is None when an input is missing."""
    criteria = tuple(criteria)
    keys = _input_keys(model, criteria)
    return _compute(model, tuple([inputs.get(k) for k in keys]), moscow, criteria)


@lru_cache(maxsize=64)
def _input_keys(model: str, criteria: tuple[CriterionSpec, ...]) -> tuple[str, ...]:
    return tuple(s.key for s in input_specs(model, criteria))


# Portfolios repeat the same few input combinations (7^4 on the WSJF scale): each is worked
# out, explanation included, once.
@lru_cache(maxsize=65_536)
def _compute(
    model: str,
    values: tuple[float | None, ...],
    moscow: str | None,
    criteria: tuple[CriterionSpec, ...],
) -> ScoreResult:
    specs = input_specs(model, criteria)
    shown = tuple([(s.label, v) for s, v in zip(specs, values, strict=True)])
    inputs = {s.key: v for s, v in zip(specs, values, strict=True) if v is not None}
    if model == MOSCOW:
        if moscow is None:
            return ScoreResult(None, "Not scored: no MoSCoW category yet")
        value = MOSCOW_VALUE[moscow]
        return ScoreResult(
            value, f"{MOSCOW_LABELS[moscow]} = {number(value)}", (("MoSCoW", value),)
        )
    if model == WEIGHTED and not criteria:
        return ScoreResult(None, "Not scored: the portfolio has no criteria yet")
    missing = [label for label, value in shown if value is None]
    if missing:
        return ScoreResult(None, f"Not scored: {', '.join(missing)} missing", shown)
    if model == WSJF:
        bv, tc, rr = inputs["business_value"], inputs["time_criticality"], inputs["risk_reduction"]
        js = inputs["job_size"]
        value = (bv + tc + rr) / js
        text = (
            f"WSJF = (Value {number(bv)} + Time criticality {number(tc)} "
            f"+ Risk reduction {number(rr)})"
            f" / Job size {number(js)} = {number(bv + tc + rr)} / {number(js)} = {number(value)}"
        )
        return ScoreResult(value, text, shown)
    if model == RICE:
        reach, impact = inputs["reach"], inputs["impact"]
        confidence, effort = inputs["confidence"], inputs["effort"]
        value = reach * impact * (confidence / 100) / effort
        text = (
            f"RICE = Reach {number(reach)} {TIMES} Impact {number(impact)} {TIMES} Confidence "
            f"{number(confidence)}% / Effort {number(effort)} = {number(value)}"
        )
        return ScoreResult(value, text, shown)
    total_weight = sum(c.weight for c in criteria)
    weighted = sum(c.weight * inputs[c.key] for c in criteria)
    value = weighted / total_weight if total_weight else 0.0
    terms = " + ".join(
        f"{number(c.weight)} {TIMES} {c.name} {number(inputs[c.key])}" for c in criteria
    )
    text = f"Score = ({terms}) / {number(total_weight)} = {number(value)}"
    return ScoreResult(value, text, shown)


# ---------------------------------------------------------------- ranking


@dataclass(slots=True)
class RankInput:
    id: int
    title: str
    result: ScoreResult
    manual_rank: int | None = None
    manual_reason: str = ""
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Ranked:
    rank: int
    item: RankInput
    computed_rank: int | None  # where the score alone puts it (None: not scored)


def rank(items: Sequence[RankInput]) -> list[Ranked]:
    """Highest score first, then title; not scored last; manual overrides at their position."""
    scored = [i for i in items if i.result.value is not None]
    scored.sort(key=lambda i: (-(i.result.value or 0.0), i.title.lower(), i.id))
    unscored = sorted(
        (i for i in items if i.result.value is None), key=lambda i: (i.title.lower(), i.id)
    )
    computed = {item.id: n for n, item in enumerate(scored, start=1)}
    order = [i for i in scored + unscored if i.manual_rank is None]
    pinned = sorted(
        (i for i in items if i.manual_rank is not None),
        key=lambda i: (i.manual_rank or 0, i.title.lower(), i.id),
    )
    for item in pinned:
        order.insert(min(max((item.manual_rank or 1) - 1, 0), len(order)), item)
    return [Ranked(n, item, computed.get(item.id)) for n, item in enumerate(order, start=1)]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def snap_to_scale(value: float, spec: InputSpec) -> float:
    """The accepted value nearest to `value` (a median of 3 and 5 is 4: not on Fibonacci)."""
    if spec.kind == "choice":
        return min(spec.choices, key=lambda c: (abs(c - value), -c))
    if spec.kind == "range":
        return min(max(value, spec.low), spec.high)
    return value
