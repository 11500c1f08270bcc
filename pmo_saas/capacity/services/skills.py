"""Skills per person (optional tags) and the skills funded initiatives need, so a coach sees
where a skill is short.

The comparison, per team and quarter: the team's people with the skill (`have`) against the
sum, over the initiatives allocated to the team that quarter, of how many people with it each
needs (`need`). A value stream adds up the teams that serve it that quarter (the stream their
capacity row names, as the capacity view counts capacity). Skills are compared in lower case.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.capacity import portfolio_link
from pmo_saas.capacity.models import Allocation, InitiativeSkill, MemberSkill, TeamCapacity
from pmo_saas.capacity.schemas import (
    InitiativeSkillRow,
    PersonSkillsRow,
    SkillGapRow,
    SkillsView,
)
from pmo_saas.capacity.services.common import require_manage
from pmo_saas.capacity.services.view import NO_STREAM, _safe_cell
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, Team, TeamMember, User
from pmo_saas.identity.validation import refuse_nul
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role

MAX_SKILLS = 30
MAX_PEOPLE_NEEDED = 1000
MAX_ID = 2**31 - 1  # PostgreSQL `integer`: a larger id is no one's (and would not bind)


def clean_skills(raw: str | list[str]) -> list[str]:
    """Comma-separated (or listed) skill names, trimmed, lower case, each once, in order."""
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    skills: list[str] = []
    for part in parts:
        refuse_nul(str(part), what="skill")
        skill = " ".join(str(part).split()).lower()
        if not skill:
            continue
        if len(skill) > 60:
            raise ValidationFailed("A skill is longer than 60 characters.", field="skills")
        if skill not in skills:
            skills.append(skill)
    if len(skills) > MAX_SKILLS:
        raise ValidationFailed(f"Give at most {MAX_SKILLS} skills.", field="skills")
    return skills


def set_member_skills(
    *, session: Session, ctx: TenantContext, user_id: int, skills: str | list[str]
) -> list[str]:
    """Replace one person's skills (coaches for anyone; everyone for themselves)."""
    if user_id != ctx.user_id:
        require_manage(ctx)
    if ctx.user_id is None or not ctx.has(Role.MEMBER):
        raise Forbidden("Only members of the organisation can record skills.")
    found = (
        session.exec(select(Membership.user_id).where(Membership.user_id == user_id)).first()
        if 0 < user_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound("That person")
    cleaned = clean_skills(skills)
    session.exec(delete(MemberSkill).where(col(MemberSkill.user_id) == user_id))
    session.add_all(MemberSkill(user_id=user_id, skill=s) for s in cleaned)
    name = session.exec(select(User.name).where(User.id == user_id)).first() or ""
    audit.record(
        session=session,
        ctx=ctx,
        action="capacity.skills",
        target=name,
        detail=", ".join(cleaned) or "(none)",
    )
    return cleaned


def set_initiative_skills(
    *, session: Session, ctx: TenantContext, initiative_id: int, needs: dict[str, int]
) -> None:
    """Replace the skills one initiative needs: skill -> how many people with it."""
    require_manage(ctx)
    labels = (
        portfolio_link.initiative_labels(session, [initiative_id])
        if 0 < initiative_id <= MAX_ID
        else {}
    )
    if initiative_id not in labels:
        raise NotFound("That initiative")
    cleaned: dict[str, int] = {}
    for raw, people in needs.items():
        for skill in clean_skills([raw]):
            if not isinstance(people, int) or not 1 <= people <= MAX_PEOPLE_NEEDED:
                raise ValidationFailed(
                    f"Say how many people with “{skill}” it needs (1 to {MAX_PEOPLE_NEEDED}).",
                    field="skills",
                )
            cleaned[skill] = cleaned.get(skill, 0) + people
    session.exec(delete(InitiativeSkill).where(col(InitiativeSkill.initiative_id) == initiative_id))
    session.add_all(
        InitiativeSkill(initiative_id=initiative_id, skill=s, people=n) for s, n in cleaned.items()
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="capacity.initiative_skills",
        target=labels[initiative_id][0],
        detail=", ".join(f"{s} x{n}" for s, n in cleaned.items()) or "(none)",
    )


def parse_needs(raw: str) -> dict[str, int]:
    """ "python x2, ux" -> {"python": 2, "ux": 1} (the page's one text field)."""
    needs: dict[str, int] = {}
    for part in (raw or "").split(","):
        text = part.strip()
        if not text:
            continue
        name, _, count = text.rpartition(" x")
        if name and count.strip().isdigit():
            needs[name] = needs.get(name, 0) + int(count)
        else:
            needs[text] = needs.get(text, 0) + 1
    return needs


def _gaps(
    scope: str,
    have: dict[tuple[str, str], dict[str, int]],
    need: dict[tuple[str, str], dict[str, int]],
) -> list[SkillGapRow]:
    rows = []
    for key in sorted(need):
        name, quarter = key
        held = have.get(key, {})
        for skill in sorted(need[key]):
            n, h = need[key][skill], held.get(skill, 0)
            rows.append(
                SkillGapRow(
                    scope=scope,
                    name=name,
                    quarter=quarter,
                    skill=skill,
                    have=h,
                    need=n,
                    short=max(0, n - h),
                )
            )
    return rows


def skills_view(*, session: Session, ctx: TenantContext) -> SkillsView:
    """Every (team, quarter) and (value stream, quarter) where allocated initiatives need a
    skill: how many people have it there and how many are needed; plus the tags themselves."""
    ctx.require(Role.VIEWER)
    team_names = dict(session.exec(select(Team.id, Team.name)).all())
    skills_of: dict[int, set[str]] = defaultdict(set)
    for user_id, skill in session.exec(select(MemberSkill.user_id, MemberSkill.skill)).all():
        skills_of[user_id].add(skill)
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in session.exec(select(TeamMember.team_id, TeamMember.user_id)).all():
        members[team_id].add(user_id)
    needs: dict[int, dict[str, int]] = defaultdict(dict)
    for initiative_id, skill, people in session.exec(
        select(InitiativeSkill.initiative_id, InitiativeSkill.skill, InitiativeSkill.people)
    ).all():
        needs[initiative_id][skill] = people
    streams = {
        (t, q): s or NO_STREAM
        for t, q, s in session.exec(
            select(TeamCapacity.team_id, TeamCapacity.quarter, TeamCapacity.value_stream)
        ).all()
    }
    team_need: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for initiative_id, team_id, quarter in session.exec(
        select(Allocation.initiative_id, Allocation.team_id, Allocation.quarter)
    ).all():
        for skill, people in needs.get(initiative_id, {}).items():
            team_need[(team_id, quarter)][skill] += people
    have: dict[tuple[str, str], dict[str, int]] = {}
    need: dict[tuple[str, str], dict[str, int]] = {}
    stream_have: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stream_need: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (team_id, quarter), wanted in team_need.items():
        held = {
            skill: sum(1 for u in members.get(team_id, ()) if skill in skills_of.get(u, ()))
            for skill in wanted
        }
        key = (team_names.get(team_id, ""), quarter)
        have[key], need[key] = held, dict(wanted)
        stream_key = (streams.get((team_id, quarter), NO_STREAM), quarter)
        for skill, n in wanted.items():
            stream_need[stream_key][skill] += n
            stream_have[stream_key][skill] += held[skill]
    return SkillsView(
        teams=_gaps("team", have, need),
        streams=_gaps("value stream", stream_have, stream_need),
        people=_people(session, skills_of, members, team_names),
        needs=_needs(session, needs),
    )


def _people(
    session: Session,
    skills_of: dict[int, set[str]],
    members: dict[int, set[int]],
    team_names: dict[int | None, str],
) -> list[PersonSkillsRow]:
    teams_of: dict[int, list[str]] = defaultdict(list)
    for team_id, users in members.items():
        for u in users:
            teams_of[u].append(team_names.get(team_id, ""))
    rows = session.exec(
        select(User.id, User.name)
        .join(Membership, col(Membership.user_id) == User.id)
        .order_by(col(User.name))
    ).all()
    return [
        PersonSkillsRow(
            user_id=uid,
            name=name,
            teams=", ".join(sorted(teams_of.get(uid, []))),
            skills=sorted(skills_of.get(uid, set())),
        )
        for uid, name in rows
        if uid is not None
    ]


def _needs(session: Session, needs: dict[int, dict[str, int]]) -> list[InitiativeSkillRow]:
    labels = portfolio_link.initiative_labels(session, needs)
    return sorted(
        (
            InitiativeSkillRow(
                initiative_id=i,
                title=labels.get(i, ("(removed initiative)", ""))[0],
                skill=skill,
                people=n,
            )
            for i, by_skill in needs.items()
            for skill, n in by_skill.items()
        ),
        key=lambda r: (r.title, r.skill),
    )


def export_skills_csv(*, session: Session, ctx: TenantContext) -> str:
    """The skills comparison: the teams' lines, then the value streams' (`scope` says which)."""
    view = skills_view(session=session, ctx=ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "name", "quarter", "skill", "have", "need", "short"])
    for r in [*view.teams, *view.streams]:
        writer.writerow(
            [r.scope, _safe_cell(r.name), r.quarter, _safe_cell(r.skill), r.have, r.need, r.short]
        )
    return out.getvalue()
