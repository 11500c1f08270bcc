"""The practice/maturity comparison (pages/playbook.py): for each practice, the teams that
adopted it (adopted or adapted) against the rest, each group's mean maturity in the latest
closed maturity round, computed from the raw answers of all the group's teams together.

Anonymity: each group must hold at least `ABSOLUTE_MINIMUM` teams, the floor the surveys'
anonymity rules never go below (three, as assessments' spread rule). When either group is
smaller, both are hidden: the two groups make up every team of the round, so one figure next
to the round's overall mean would give the other away. Only groups are shown, never a team,
and practices keep the playbook's order (by title), never ranked by the difference.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.kernel.anonymity import ABSOLUTE_MINIMUM
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.formatting import fixed
from pmo_saas.kernel.roles import Role
from pmo_saas.practices import dimensions
from pmo_saas.practices.models import IN_USE, Practice, PracticeAdoption
from pmo_saas.practices.schemas import ComparisonGroup, ComparisonResult, PracticeComparison

MIN_TEAMS = ABSOLUTE_MINIMUM


def _hidden_reason(threshold: int) -> str:
    return (
        f"Hidden: each group needs at least {threshold} teams with answers, so no figure "
        "points at one team."
    )


def compare_practices(*, session: Session, ctx: TenantContext) -> ComparisonResult:
    """Adopted vs the rest per practice, with the team count of every figure (coach and up)."""
    ctx.require(Role.COACH, "Only coaches and admins can see the practice comparison.")
    rnd = dimensions.latest_maturity_round(session)
    if rnd is None or rnd.id is None:
        return ComparisonResult(
            round_id=None,
            round_title="",
            threshold=MIN_TEAMS,
            practices=[],
            message="No maturity round has closed yet: the comparison starts after the first.",
        )
    counts = dimensions.team_value_counts(session, rnd.id)
    teams = {t for t, c in counts.items() if c}
    practices = session.exec(select(Practice).order_by(Practice.title)).all()
    in_use: dict[int, set[int]] = {}
    for pid, tid in session.exec(
        select(PracticeAdoption.practice_id, PracticeAdoption.team_id).where(
            col(PracticeAdoption.status).in_(IN_USE)
        )
    ).all():
        in_use.setdefault(pid, set()).add(tid)
    rows = []
    for p in practices:
        assert p.id is not None
        adopted = in_use.get(p.id, set()) & teams
        rest = teams - adopted
        shown = len(adopted) >= MIN_TEAMS and len(rest) >= MIN_TEAMS
        rows.append(
            PracticeComparison(
                practice_id=p.id,
                title=p.title,
                adopted=_group(counts, adopted, shown),
                rest=_group(counts, rest, shown),
                shown=shown,
                reason="" if shown else _hidden_reason(MIN_TEAMS),
            )
        )
    return ComparisonResult(
        round_id=rnd.id, round_title=rnd.title, threshold=MIN_TEAMS, practices=rows
    )


def _group(counts: dict[int, dict[int, int]], teams: set[int], shown: bool) -> ComparisonGroup:
    count = f"{len(teams)} team{'s' if len(teams) != 1 else ''}"
    if not shown:
        return ComparisonGroup(teams=len(teams), mean=None, label=f"hidden ({count})")
    stats = dimensions.merged(counts, teams)
    shown_mean = fixed(stats.mean, empty="no answers")
    return ComparisonGroup(
        teams=len(teams), mean=stats.mean, answers=stats.answers, label=f"{shown_mean} ({count})"
    )
