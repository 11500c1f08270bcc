"""Builders for roll-out tests: waves, criteria and a closed Westrum survey, all through the
services."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.rollout.services import comparison, progress, waves
from pmo_saas.surveys import services as surveys
from tests.surveys import helpers as survey_helpers


def wave(ctx: TenantContext, title: str, teams: list[int], *, pilot: bool = False) -> int:
    with tenant_session(ctx) as session:
        wid = waves.create_wave(
            session=session,
            ctx=ctx,
            title=title,
            is_pilot=pilot,
            starts_on="2027-01-04",
            ends_on="2027-03-26",
        )
        for t in teams:
            waves.add_wave_team(session=session, ctx=ctx, wave_id=wid, team_id=t)
    return wid


def criterion(ctx: TenantContext, wave_id: int, **kw) -> int:
    with tenant_session(ctx) as session:
        return waves.add_criterion(session=session, ctx=ctx, wave_id=wave_id, **kw)


def wave_progress(ctx: TenantContext, wave_id: int):
    with tenant_session(ctx) as session:
        return progress.wave_progress(session=session, ctx=ctx, wave_id=wave_id)


def compare(ctx: TenantContext):
    with tenant_session(ctx) as session:
        return comparison.compare_pilot(session=session, ctx=ctx)


def westrum_survey(ctx: TenantContext, answers: dict[int, list[int]], invited: dict[int, list]):
    """A Westrum survey (threshold 3) to the teams of `invited` (team -> its people); the
    first people of each team answer every item with the values in `answers`, then it closes."""
    survey_id = survey_helpers.launch(ctx, list(invited), min_group_size=3)
    links = survey_helpers.links_from_outbox(ctx)
    for team, values in answers.items():
        for value, who in zip(values, invited[team], strict=False):
            token = links[survey_helpers.email_of(who)][-1]
            surveys.submit_response(token=token, answers=survey_helpers.westrum_answers(value))
    survey_helpers.close(ctx, survey_id)
    return survey_id
