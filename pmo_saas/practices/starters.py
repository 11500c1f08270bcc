"""The starter practices for DSDM and Scrum/Kanban, written for this product. Each organisation
adds its own copy on demand ("Add the starter practices") and edits it freely."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterPractice:
    key: str
    title: str
    framework: str
    purpose: str
    how_to: str
    # Keys of the built-in agile maturity model's dimensions (assessments/builtin.py).
    dimensions: tuple[str, ...]


STARTERS: tuple[StarterPractice, ...] = (
    StarterPractice(
        key="definition_of_done",
        title="Definition of Done",
        framework="scrum",
        purpose="One shared, visible agreement of what “done” means, so work is finished "
        "to the same standard every time and nothing is half-done when a sprint ends.",
        how_to="1. Draft the list together: tested, reviewed, documented, deployed.\n"
        "2. Put it on the board where every item passes it.\n"
        "3. Review it at each retrospective; tighten it as the team improves.",
        dimensions=("team_practices", "technical_excellence"),
    ),
    StarterPractice(
        key="moscow_per_timebox",
        title="MoSCoW per timebox",
        framework="dsdm",
        purpose="Each timebox commits to Must haves it can surely deliver and keeps Should "
        "and Could haves as contingency, so dates hold and scope flexes.",
        how_to="- Prioritise every requirement as Must, Should, Could or Won't (this time).\n"
        "- Keep Must haves at no more than about 60% of the timebox's effort.\n"
        "- When work runs late, drop Could haves first, never the quality.",
        dimensions=("product_ownership", "flow"),
    ),
    StarterPractice(
        key="timeboxing",
        title="Timeboxing",
        framework="dsdm",
        purpose="Fixed, short periods with an agreed objective: feedback comes early and "
        "the end date never moves.",
        how_to="- Agree the timebox's objective and length (two to four weeks).\n"
        "- Start with investigation, refine in the middle, consolidate at the end.\n"
        "- Close on the planned day with a review of what was delivered.",
        dimensions=("flow", "team_practices"),
    ),
    StarterPractice(
        key="daily_stand_up",
        title="Daily stand-up",
        framework="scrum",
        purpose="A short daily check on progress toward the goal, so blockers surface the "
        "same day and the team re-plans together.",
        how_to="- Fifteen minutes, same time and place, standing at the board.\n"
        "- Walk the board right to left: what is closest to done first.\n"
        "- Take problem-solving offline, right after.",
        dimensions=("team_practices", "culture"),
    ),
    StarterPractice(
        key="retrospective",
        title="Retrospective",
        framework="scrum",
        purpose="The team regularly inspects how it works and picks one improvement to try, "
        "so it gets better on purpose rather than by chance.",
        how_to="1. Set the stage, gather data, generate insights.\n"
        "2. Decide one or two experiments with an owner.\n"
        "3. Start the next retrospective with how those experiments went.",
        dimensions=("culture", "team_practices"),
    ),
    StarterPractice(
        key="portfolio_kanban_policies",
        title="Portfolio Kanban policies",
        framework="kanban",
        purpose="Explicit policies for how initiatives move across the portfolio board, with "
        "WIP limits, so the portfolio finishes work before it starts more.",
        how_to="- Write the entry and exit policy of each column on the board itself.\n"
        "- Set a WIP limit on Implementing and respect it.\n"
        "- Review flow and ageing items at every portfolio sync.",
        dimensions=("portfolio", "flow"),
    ),
)
