"""Rows of the "you said, we did" tables, for the tenancy matrix (the demo seed has none)."""

from __future__ import annotations

import secrets

from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys import services
from pmo_saas.surveys.wedid import services as we_did
from tests import factories


def make_we_did_rows(ctx: TenantContext) -> None:
    """A closed open-link survey of a team of three, a focus on it and a committed action."""
    team_id = factories.make_team(ctx, "We did team " + secrets.token_hex(3))
    with tenant_session(ctx) as session:
        survey_id = services.launch_survey(
            session=session,
            ctx=ctx,
            title="We did pulse",
            instrument="westrum",
            team_ids=[team_id],
            personal_links=False,
            open_links=True,
            open_link_cap=3,
            min_group_size=3,
        )
        [team] = services.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
        url = services.create_open_link(
            session=session, ctx=ctx, survey_id=survey_id, team_id=team.survey_team_id
        )
    keys = ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")
    for n in range(3):
        services.submit_response(
            token=url.rsplit("/", 1)[1],
            answers=dict.fromkeys(keys, 5),
            submission_key=f"we-did-{n}",
        )
    with tenant_session(ctx) as session:
        services.close_survey(session=session, ctx=ctx, survey_id=survey_id)
        we_did.commit_on_question(
            session=session,
            ctx=ctx,
            survey_id=survey_id,
            survey_team_id=team.survey_team_id,
            question_key="messengers",
            title="Thank the messenger",
            owner_user_id=ctx.user_id,
            due_date=None,
        )
