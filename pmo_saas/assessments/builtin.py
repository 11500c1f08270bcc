"""The product's built-in models: an agile maturity model and a team health check.

Written for this product. Each organisation gets its own copy on first use (see
`services.catalog.ensure_builtin_models`); a coach copies one to adapt it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pmo_saas.assessments.models import KIND_HEALTH_CHECK, KIND_MATURITY


@dataclass(frozen=True)
class BuiltinDimension:
    key: str
    name: str
    description: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class BuiltinModel:
    key: str
    name: str
    kind: str
    description: str
    asks_trend: bool
    levels: tuple[tuple[int, str, str], ...]
    dimensions: tuple[BuiltinDimension, ...]


MATURITY_LEVELS = (
    (
        1,
        "Initial",
        "Rarely or never true. Work happens through individual effort and heroics; "
        "nobody expects this to be different.",
    ),
    (
        2,
        "Emerging",
        "True now and then. A few people try it, usually when reminded or when "
        "something has gone wrong.",
    ),
    (
        3,
        "Practised",
        "Usually true. The team does this as a matter of routine, though it slips under pressure.",
    ),
    (
        4,
        "Embedded",
        "Consistently true, even under pressure. The team would notice at once and correct "
        "itself if it stopped.",
    ),
    (
        5,
        "Leading",
        "True and continuously improved. The team refines how it does this and other teams "
        "learn from it.",
    ),
)

AGILE_MATURITY = BuiltinModel(
    key="agile_maturity",
    name="Agile maturity",
    kind=KIND_MATURITY,
    description=(
        "Where a team stands in its agile transformation, across seven areas from culture to "
        "portfolio. Rate each statement as it is today, not as it should be."
    ),
    asks_trend=False,
    levels=MATURITY_LEVELS,
    dimensions=(
        BuiltinDimension(
            key="culture",
            name="Culture & mindset",
            description="How safe it is to speak up, experiment and learn from what fails.",
            statements=(
                "People raise problems and bad news early, without fear of blame.",
                "We run small experiments and treat a failed one as something learned.",
                "Team members help each other beyond their own speciality.",
                "We change how we work when our retrospectives show a better way.",
            ),
        ),
        BuiltinDimension(
            key="leadership",
            name="Leadership",
            description="How leaders set direction and create the conditions for teams.",
            statements=(
                "Leaders explain the why behind goals and leave the how to the team.",
                "Leaders remove impediments the team cannot remove on its own.",
                "Decisions are made close to the work, by the people who do it.",
                "Leaders show the agile behaviours they ask of teams.",
            ),
        ),
        BuiltinDimension(
            key="team_practices",
            name="Team practices",
            description="The everyday events and agreements that make a team work as one.",
            statements=(
                "Our planning, daily check-in, review and retrospective each have a clear "
                "purpose and stay within their time.",
                "We keep a visible working agreement and actually follow it.",
                "Work is pulled by the team, not assigned to individuals by someone else.",
                "Every retrospective ends with an improvement we carry out.",
            ),
        ),
        BuiltinDimension(
            key="product_ownership",
            name="Product ownership & value",
            description="How the team decides what to build and knows it mattered.",
            statements=(
                "We have one ordered backlog and know why the top items come first.",
                "The product owner is available and can make decisions on the spot.",
                "We talk to real users or customers at least once per iteration.",
                "We measure whether what we delivered achieved the outcome we wanted.",
                "We stop or change work when we learn it will not bring the expected value.",
            ),
        ),
        BuiltinDimension(
            key="technical_excellence",
            name="Technical excellence",
            description="The engineering habits that keep change cheap and safe.",
            statements=(
                "Automated tests give us confidence to change code at any time.",
                "Every change is integrated into the main line at least daily.",
                "We pay down technical debt as part of normal work, not as a special project.",
                "Our definition of done includes quality, security and operability.",
            ),
        ),
        BuiltinDimension(
            key="flow",
            name="Flow & delivery",
            description="How smoothly work moves from idea to the hands of users.",
            statements=(
                "We limit work in progress and finish items before starting new ones.",
                "We can release to users whenever the business wants, with little effort.",
                "We know our cycle time and use it when we make forecasts.",
                "Blocked work is visible and gets attention within a day.",
            ),
        ),
        BuiltinDimension(
            key="portfolio",
            name="Portfolio & governance",
            description="How the organisation chooses, funds and steers work across teams.",
            statements=(
                "Work across teams is prioritised in one place, against shared goals.",
                "Funding follows value streams or products rather than fixed projects.",
                "Reporting comes from the teams' real data, not from extra status reports.",
                "Dependencies between teams are visible and planned together.",
                "Governance checks outcomes and risk without slowing teams down.",
            ),
        ),
    ),
)

HEALTH_LEVELS = (
    (1, "Red", "This is a real problem for us and it needs attention now."),
    (2, "Amber", "There are some issues, but nothing that is hurting us badly."),
    (3, "Green", "This is in good shape; we are happy with it."),
)


def _indicator(key: str, name: str, good: str) -> BuiltinDimension:
    return BuiltinDimension(key=key, name=name, description=good, statements=(good,))


TEAM_HEALTH = BuiltinModel(
    key="team_health",
    name="Team health check",
    kind=KIND_HEALTH_CHECK,
    description=(
        "A quick pulse of how the team feels. For each indicator choose green, amber or red, "
        "and say whether it is getting better, staying the same or getting worse."
    ),
    asks_trend=True,
    levels=HEALTH_LEVELS,
    dimensions=(
        _indicator("value", "Delivering value", "What we deliver matters to our users."),
        _indicator("release", "Easy to release", "Getting our work to users is simple and safe."),
        _indicator("fun", "Fun", "We enjoy working together."),
        _indicator("codebase", "Health of the codebase", "Our code is clean and easy to change."),
        _indicator("learning", "Learning", "We learn something new all the time."),
        _indicator("mission", "Mission", "We know why we are here and we care about it."),
        _indicator("control", "In control", "We decide how we work and can shape what we build."),
        _indicator("pace", "Sustainable pace", "We work at a pace we can keep up for months."),
        _indicator("process", "Suitable way of working", "Our way of working suits us."),
        _indicator("support", "Support", "We get help quickly when we ask for it."),
        _indicator("teamwork", "Teamwork", "We are a real team and we collaborate well."),
    ),
)

BUILTIN_MODELS = (AGILE_MATURITY, TEAM_HEALTH)
