"""The instruments: their questions, scales and how an answer is checked.

Westrum uses the items DORA publishes (a published standard, quoted). eNPS, the team health
check and OCAI's alternatives are written in the product's own words; OCAI keeps Cameron and
Quinn's structure (six dimensions, four culture types, 100 points for Now and for Preferred).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmo_saas.kernel.errors import ValidationFailed

WESTRUM = "westrum"
ENPS = "enps"
HEALTH = "health"
OCAI = "ocai"
PMO = "pmo"
CUSTOM = "custom"
INSTRUMENTS = (WESTRUM, ENPS, HEALTH, OCAI, PMO, CUSTOM)
INSTRUMENT_LABELS = {
    WESTRUM: "Westrum organisational culture",
    ENPS: "Employee Net Promoter Score (eNPS)",
    HEALTH: "Team health check",
    OCAI: "Organisational culture profile (OCAI)",
    PMO: "Feedback on the PMO",
    CUSTOM: "Custom survey",
}

SCALE5 = "scale5"
SCALE7 = "scale7"
NPS = "nps"
SINGLE = "single"
MULTI = "multi"
TEXT = "text"
OCAI_SPLIT = "ocai"
KINDS = (SCALE5, SCALE7, NPS, SINGLE, MULTI, TEXT, OCAI_SPLIT)
NUMERIC_KINDS = (SCALE5, SCALE7, NPS)
SCALE_RANGE = {SCALE5: (1, 5), SCALE7: (1, 7), NPS: (0, 10)}

AGREE7 = [
    "Strongly disagree",
    "Disagree",
    "Somewhat disagree",
    "Neither agree nor disagree",
    "Somewhat agree",
    "Agree",
    "Strongly agree",
]
AGREE5 = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]

CULTURE_TYPES = ("clan", "adhocracy", "market", "hierarchy")
CULTURE_LABELS = {
    "clan": "Clan (collaborate)",
    "adhocracy": "Adhocracy (create)",
    "market": "Market (compete)",
    "hierarchy": "Hierarchy (control)",
}
PHASES = ("now", "preferred")


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    prompt: str
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = True


# DORA's published Westrum items (dora.dev, "Generative organizational culture").
WESTRUM_ITEMS = [
    ("information", "On my team, information is actively sought."),
    (
        "messengers",
        "On my team, failures are learning opportunities, and messengers of them are not punished.",
    ),
    ("responsibilities", "On my team, responsibilities are shared."),
    ("bridging", "On my team, cross-functional collaboration is encouraged and rewarded."),
    ("inquiry", "On my team, failure causes inquiry."),
    ("novelty", "On my team, new ideas are welcomed."),
]

HEALTH_ITEMS = [
    ("value", "What we ship makes a real difference to the people who use it."),
    ("release", "Getting a change into users' hands is quick and uneventful."),
    ("codebase", "The code we work in is in a state we are glad to build on."),
    ("pace", "We keep a pace we could sustain for a year."),
    ("learning", "I learn something useful most weeks."),
    ("purpose", "I know why our work matters and where we are heading."),
    ("ownership", "We decide how we do our work; we are not just handed tasks."),
    ("support", "When we are stuck, we get help quickly."),
    ("teamwork", "We work as one team, not as people who happen to share a board."),
    ("fun", "I enjoy working with this team."),
]

# The PMO's own services, as the teams it serves see them (issue 19: a PMO that serves rather
# than controls asks how well it serves). Written in the product's own words.
PMO_ITEMS = [
    ("coaching", "The PMO's coaching helps my team get better at how we work."),
    ("funding", "I understand how and why the PMO's funding decisions are made."),
    ("reports", "The PMO's reports and dashboards are worth the effort they cost us."),
    ("serves", "The PMO serves my team rather than controls it."),
]
PMO_COMMENT = "What should the PMO start, stop or keep doing? (optional)"

OCAI_DIMENSIONS: list[tuple[str, str, dict[str, str]]] = [
    (
        "character",
        "What the organisation is like",
        {
            "clan": "A personal place, like an extended family; people share a lot of themselves.",
            "adhocracy": "An entrepreneurial place; people take risks and try new things.",
            "market": "A results-driven place; getting the job done and winning come first.",
            "hierarchy": "A structured, controlled place; procedures govern what people do.",
        },
    ),
    (
        "leadership",
        "How leaders lead",
        {
            "clan": "Leaders mentor, facilitate and look after people.",
            "adhocracy": "Leaders innovate, experiment and take risks.",
            "market": "Leaders are hard-driving, aggressive and focused on results.",
            "hierarchy": "Leaders coordinate, organise and keep things running smoothly.",
        },
    ),
    (
        "people",
        "How people are managed",
        {
            "clan": "Teamwork, consensus and participation.",
            "adhocracy": "Individual risk-taking, freedom and uniqueness.",
            "market": "Competition, high demands and achievement.",
            "hierarchy": "Security of employment, predictability and stable relationships.",
        },
    ),
    (
        "glue",
        "What holds the organisation together",
        {
            "clan": "Loyalty and mutual trust.",
            "adhocracy": "Commitment to innovation and being first.",
            "market": "Achieving goals and beating competitors.",
            "hierarchy": "Formal rules and policies.",
        },
    ),
    (
        "emphasis",
        "What the organisation emphasises",
        {
            "clan": "Developing people, openness and trust.",
            "adhocracy": "Gaining new resources and creating new challenges.",
            "market": "Winning in the marketplace and hitting targets.",
            "hierarchy": "Permanence, stability, efficiency and control.",
        },
    ),
    (
        "success",
        "How success is defined",
        {
            "clan": "Developing people, teamwork and concern for people.",
            "adhocracy": "Having the newest, most distinctive products or services.",
            "market": "Winning and outpacing the competition.",
            "hierarchy": "Dependable delivery, smooth scheduling and low cost.",
        },
    ),
]


def ocai_option_keys() -> list[str]:
    return [f"{phase}:{culture}" for phase in PHASES for culture in CULTURE_TYPES]


def instrument_questions(instrument: str) -> list[QuestionSpec]:
    """The fixed questions of a standard instrument (custom surveys bring their own)."""
    comment = QuestionSpec(
        "comment", TEXT, "Anything else you would like to tell us? (optional)", required=False
    )
    if instrument == WESTRUM:
        return [QuestionSpec(k, SCALE7, p) for k, p in WESTRUM_ITEMS] + [comment]
    if instrument == ENPS:
        return [
            QuestionSpec(
                "enps",
                NPS,
                "How likely is it that you would recommend working here to a friend? "
                "(0 = not at all, 10 = extremely likely)",
            ),
            QuestionSpec(
                "why", TEXT, "What is the main reason for your score? (optional)", [], False
            ),
        ]
    if instrument == HEALTH:
        return [QuestionSpec(k, SCALE5, p) for k, p in HEALTH_ITEMS] + [comment]
    if instrument == OCAI:
        return [
            QuestionSpec(key, OCAI_SPLIT, prompt, [(c, text) for c, text in alts.items()])
            for key, prompt, alts in OCAI_DIMENSIONS
        ] + [comment]
    if instrument == PMO:
        return [QuestionSpec(k, SCALE5, p) for k, p in PMO_ITEMS] + [
            QuestionSpec("comment", TEXT, PMO_COMMENT, required=False)
        ]
    if instrument == CUSTOM:
        return []
    raise ValidationFailed(f"Unknown survey type: {instrument!r}.", field="instrument")


def check_custom_questions(questions: list[QuestionSpec]) -> list[QuestionSpec]:
    if not questions:
        raise ValidationFailed("Add at least one question.", field="questions")
    if len(questions) > 60:
        raise ValidationFailed("A survey can have at most 60 questions.", field="questions")
    keys: set[str] = set()
    checked = []
    for n, q in enumerate(questions, start=1):
        prompt = " ".join((q.prompt or "").split())
        if not prompt:
            raise ValidationFailed(f"Question {n} has no text.", field="questions")
        if q.kind not in KINDS or q.kind == OCAI_SPLIT:
            raise ValidationFailed(f"Question {n} has an unknown type.", field="questions")
        key = q.key or f"q{n}"
        if key in keys:
            raise ValidationFailed(f"Two questions share the key {key!r}.", field="questions")
        keys.add(key)
        options = [
            (str(k).strip() or f"o{i}", " ".join(str(label).split()))
            for i, (k, label) in enumerate(q.options, start=1)
        ]
        if q.kind in (SINGLE, MULTI):
            if len(options) < 2:
                raise ValidationFailed(
                    f"Question {n} needs at least two choices.", field="questions"
                )
            if len({k for k, _ in options}) != len(options) or any(not lb for _, lb in options):
                raise ValidationFailed(
                    f"Question {n} has an empty or repeated choice.", field="questions"
                )
        else:
            options = []
        # Every scale and single choice is required: an optional one would let a figure rest
        # on fewer answers than the group's responses, below the anonymity threshold.
        required = q.kind not in (TEXT, MULTI)
        checked.append(QuestionSpec(key[:40], q.kind, prompt, options, required))
    return checked


def clean_answer(spec: QuestionSpec, raw: Any) -> list[tuple[str, float | None, str | None]]:
    """Check one answer; returns rows of (option_key, value, text) to store."""
    missing = raw is None or raw == "" or raw == [] or raw == {}
    if missing:
        if spec.required:
            raise ValidationFailed(f"Answer the question: {spec.prompt}", field=spec.key)
        return []
    if spec.kind in NUMERIC_KINDS:
        low, high = SCALE_RANGE[spec.kind]
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(
                f"Choose a value from {low} to {high}: {spec.prompt}", field=spec.key
            ) from None
        if number != raw and str(number) != str(raw).strip():
            raise ValidationFailed(f"Choose a whole number: {spec.prompt}", field=spec.key)
        if not low <= number <= high:
            raise ValidationFailed(
                f"Choose a value from {low} to {high}: {spec.prompt}", field=spec.key
            )
        return [("", float(number), None)]
    keys = {k for k, _ in spec.options}
    if spec.kind == SINGLE:
        if raw not in keys:
            raise ValidationFailed(
                f"Choose one of the offered answers: {spec.prompt}", field=spec.key
            )
        return [(str(raw), 1.0, None)]
    if spec.kind == MULTI:
        chosen = list(raw) if isinstance(raw, list | tuple | set) else [raw]
        if any(c not in keys for c in chosen):
            raise ValidationFailed(
                f"Choose among the offered answers: {spec.prompt}", field=spec.key
            )
        return [(str(c), 1.0, None) for c in sorted(set(chosen))]
    if spec.kind == TEXT:
        text = str(raw).strip()
        if len(text) > 4000:
            raise ValidationFailed("Keep comments under 4,000 characters.", field=spec.key)
        return [("", None, text)] if text else []
    if spec.kind == OCAI_SPLIT:
        return _clean_ocai(spec, raw)
    raise ValidationFailed("That question cannot be answered.", field=spec.key)


def _clean_ocai(spec: QuestionSpec, raw: Any) -> list[tuple[str, float | None, str | None]]:
    if not isinstance(raw, dict):
        raise ValidationFailed(
            f"Split 100 points for Now and for Preferred: {spec.prompt}", field=spec.key
        )
    rows: list[tuple[str, float | None, str | None]] = []
    for phase in PHASES:
        split = raw.get(phase)
        if not isinstance(split, dict) or set(split) != set(CULTURE_TYPES):
            raise ValidationFailed(
                f"Give points to all four statements for {phase.capitalize()}: {spec.prompt}",
                field=spec.key,
            )
        points = {}
        for culture in CULTURE_TYPES:
            try:
                value = int(split[culture])
            except (TypeError, ValueError):
                raise ValidationFailed(
                    f"Points must be whole numbers: {spec.prompt}", field=spec.key
                ) from None
            if value < 0 or value > 100:
                raise ValidationFailed(
                    f"Points must be between 0 and 100: {spec.prompt}", field=spec.key
                )
            points[culture] = value
        total = sum(points.values())
        if total != 100:
            raise ValidationFailed(
                f"The points for {phase.capitalize()} add up to {total}; they must add up to "
                f"100: {spec.prompt}",
                field=spec.key,
            )
        rows.extend((f"{phase}:{c}", float(points[c]), None) for c in CULTURE_TYPES)
    return rows


def scale_labels(kind: str) -> list[str]:
    if kind == SCALE7:
        return AGREE7
    if kind == SCALE5:
        return AGREE5
    if kind == NPS:
        return [str(n) for n in range(11)]
    return []
