"""The organisation's figures kept at the close (SurveyFigures): what a fresh computation from
the raw answers gives, sealed, never for a group below the threshold, never another's.

Each survey here has large teams, small ones (below the threshold, whose answers stay sealed)
and free-text answers, on a real database; "fresh" is the same read with the stored row gone,
which sums the counters and opens the small teams' sealed answers as every read did before.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import delete, select

from pmo_saas.dashboard import tiles
from pmo_saas.db import system_session, tenant_session
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.errors import Conflict, NotFound
from pmo_saas.surveys import sealing, services
from pmo_saas.surveys.models import Survey, SurveyFigures, SurveySealedResponse, SurveyTeam
from pmo_saas.surveys.services.figures import store_org_figures
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    results,
    team_with,
    westrum_answers,
)


def _answered(ctx, sizes: dict[str, int], *, closed: bool = True) -> tuple[int, dict, list]:
    """A Westrum survey of teams of `sizes`; person n of a team answers (n % 7) + 1 (+ the
    team's offset) and a comment naming the team. Returns (survey id, team ids, values)."""
    teams, members = {}, {}
    for name, size in sizes.items():
        teams[name], members[name] = team_with(ctx, name, size)
    survey_id = launch(ctx, list(teams.values()))
    links = links_from_outbox(ctx)
    values = []
    for offset, name in enumerate(sizes):
        for n, member in enumerate(members[name]):
            value = (n + offset) % 7 + 1
            values.append(value)
            services.submit_response(
                token=links[email_of(member)][0],
                answers=westrum_answers(value, comment=f"{name} says {n}"),
            )
    if closed:
        close(ctx, survey_id)
    return survey_id, teams, values


def _row(ctx, survey_id: int) -> SurveyFigures | None:
    with tenant_session(ctx) as session:
        return session.exec(
            select(SurveyFigures).where(SurveyFigures.survey_id == survey_id)
        ).first()


def _forget(ctx, survey_id: int) -> None:
    with tenant_session(ctx) as session:
        session.exec(delete(SurveyFigures).where(SurveyFigures.survey_id == survey_id))


def _comparable(shown) -> dict:
    """The results as data, comments sorted (they are shuffled again on every read)."""
    data = shown.model_dump()
    for group in [data["org"], *data["teams"]]:
        for comments in group["comments"]:
            comments["comments"].sort()
    return data


def test_stored_figures_equal_a_fresh_computation_from_the_raw_answers(org_a, org_b):
    # Gamma (2) and Delta (1) stay sealed; hidden together they are 3 < 5, so Beta (5) is
    # hidden too (differencing protection); the organisation (19) and Alpha (11) are shown.
    sizes = {"Alpha": 11, "Beta": 5, "Gamma": 2, "Delta": 1}
    survey_id, _, values = _answered(org_a, sizes)
    row = _row(org_a, survey_id)
    assert row is not None and row.responses == 19
    stored = results(org_a, survey_id)
    assert [g.label for g in stored.teams if g.visible] == ["Alpha"]
    # Recounted from what was submitted: every team, the small ones included.
    org = stored.org
    assert org.visible and org.responses == 19
    assert org.headline.value == pytest.approx(round(sum(values) / len(values), 2))
    for question in org.questions:
        assert [b.count for b in question.bars] == [Counter(values)[v] for v in range(1, 8)]
    # Comments: the organisation's are everyone's (19 >= 8), the small teams' included.
    everyone = sorted(f"{name} says {n}" for name, size in sizes.items() for n in range(size))
    assert sorted(org.comments[0].comments) == everyone
    alpha = next(g for g in stored.teams if g.label == "Alpha")
    assert sorted(alpha.comments[0].comments) == sorted(f"Alpha says {n}" for n in range(11))
    # The stored path gives exactly what computing afresh from the raw answers gives.
    _forget(org_a, survey_id)
    fresh = results(org_a, survey_id)
    assert _comparable(fresh) == _comparable(stored)
    with tenant_session(org_a) as session:
        export = services.export_results_csv(session=session, ctx=org_a, survey_id=survey_id)
    # The organisation figures are read from the row: with the small teams' sealed answers
    # gone, the stored path still counts them and a fresh computation can no longer.
    with tenant_session(org_a) as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        store_org_figures(session, survey)
    with system_session() as session:
        session.exec(
            delete(SurveySealedResponse).where(SurveySealedResponse.survey_id == survey_id)
        )
    assert _comparable(results(org_a, survey_id)) == _comparable(stored)
    with tenant_session(org_a) as session:
        again = services.export_results_csv(session=session, ctx=org_a, survey_id=survey_id)
    assert sorted(again.splitlines()) == sorted(export.splitlines())
    _forget(org_a, survey_id)
    assert results(org_a, survey_id).org.responses == 19  # counts: kept on the teams
    assert results(org_a, survey_id).org.questions[0].answered == 16  # Gamma, Delta: gone
    # The other organisation: its own survey, its own figures; ours are not found.
    theirs, _, their_values = _answered(org_b, {"One": 6, "Two": 4, "Three": 1})
    assert results(org_b, theirs).org.headline.value == pytest.approx(
        round(sum(their_values) / len(their_values), 2)
    )
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        services.survey_results(session=session, ctx=org_b, survey_id=survey_id)


def test_the_trend_and_the_culture_tile_read_the_same_stored_figures(org_a):
    survey_id, _, values = _answered(org_a, {"Alpha": 6, "Beta": 3, "Gamma": 2})
    shown = results(org_a, survey_id).org.headline.value
    assert shown == pytest.approx(round(sum(values) / len(values), 2))
    with tenant_session(org_a) as session:
        alone = services.survey_trend(session=session, ctx=org_a, survey_id=survey_id, teams=False)
        by_team = services.survey_trend(session=session, ctx=org_a, survey_id=survey_id)
        tile = tiles.culture_tile(session, org_a)
    assert alone[-1].org == by_team[-1].org == shown
    assert by_team[-1].teams == {"Alpha": results(org_a, survey_id).teams[0].headline.value}
    assert [f.value for f in tile.figures if f.instrument == "westrum"] == [shown]
    _forget(org_a, survey_id)  # computed afresh: the same headline
    with tenant_session(org_a) as session:
        fresh = services.survey_trend(session=session, ctx=org_a, survey_id=survey_id, teams=False)
    assert fresh[-1].org == shown


def test_a_survey_closed_by_its_end_date_keeps_its_figures_at_the_first_read(org_a):
    survey_id, _, values = _answered(org_a, {"Alpha": 5, "Beta": 3, "Gamma": 2}, closed=False)
    with tenant_session(org_a) as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        survey.closes_at = utcnow() - timedelta(minutes=1)
        session.add(survey)
    assert _row(org_a, survey_id) is None
    first = results(org_a, survey_id)
    assert _row(org_a, survey_id) is not None
    assert first.org.headline.value == pytest.approx(round(sum(values) / len(values), 2))
    _forget(org_a, survey_id)
    assert _comparable(results(org_a, survey_id)) == _comparable(first)


# ---------------------------------------------------------------- what an attacker gets


def test_the_stored_figures_are_sealed_and_never_count_a_small_group(org_a):
    survey_id, _, _ = _answered(org_a, {"Alpha": 6, "Beta": 5, "Gamma": 2})
    row = _row(org_a, survey_id)
    assert row is not None and row.responses == 13 >= 5
    # Whoever holds the database reads no figure and no comment in it: one sealed box, whole
    # 2 KiB blocks (nonce and tag aside), under its own key.
    assert (len(row.sealed) - 28) % sealing.BLOCK == 0
    assert b"Westrum" not in row.sealed and b"Gamma says" not in row.sealed
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(row.sealed, associated=f"{survey_id}:org".encode())
    # An organisation total below the threshold, or hidden by the differencing protection
    # (Alpha shown would give Beta's 2 answers away): nothing stored, nothing shown.
    for sizes in ({"Ann": 3, "Bob": 1}, {"Cat": 6, "Dan": 2, "Eve": 0}):
        hidden_id, _, _ = _answered(org_a, sizes)
        assert _row(org_a, hidden_id) is None
        shown = results(org_a, hidden_id)
        assert not shown.org.visible and shown.org.questions == []
        assert [g.label for g in shown.teams if g.visible] in ([], ["Cat"])
    small_only, _, _ = _answered(org_a, {"Fay": 6, "Gus": 3, "Hal": 2})
    with tenant_session(org_a) as session:
        gus = session.exec(
            select(SurveyTeam).where(
                SurveyTeam.survey_id == small_only, SurveyTeam.team_name == "Gus"
            )
        ).one()
    # Gus's figures are in no row of its own: still sealed, and only inside the total.
    assert gus.figures == ""
    gus_view = next(g for g in results(org_a, small_only).teams if g.label == "Gus")
    assert not gus_view.visible and gus_view.questions == [] and gus_view.comments == []


def test_figures_moved_to_another_survey_or_organisation_are_not_read(org_a, org_b):
    ours, _, _ = _answered(org_a, {"Alpha": 6, "Beta": 3, "Gamma": 2})
    other, _, _ = _answered(org_a, {"Ida": 5, "Jo": 4, "Kim": 2})  # the same 11
    fresh_other = _comparable(results(org_a, other))
    # Someone with the database copies our sealed figures onto the other survey's row: they
    # are bound to their survey, so the other survey's results are computed afresh instead.
    ours_row = _row(org_a, ours)
    assert ours_row is not None
    with system_session() as session:
        session.execute(
            text("UPDATE surveyfigures SET sealed = :sealed WHERE survey_id = :survey"),
            {"sealed": ours_row.sealed, "survey": other},
        )
    assert _comparable(results(org_a, other)) == fresh_other
    # Organisation B sees none of our rows, through the models or (PostgreSQL) raw SQL.
    with tenant_session(org_b) as session:
        assert session.exec(select(SurveyFigures)).all() == []
        if os.environ["PMO_DATABASE_URL"].startswith("postgresql"):
            count = session.execute(text("SELECT count(*) FROM surveyfigures")).scalar()
            assert count == 0
        with pytest.raises(NotFound):
            services.survey_results(session=session, ctx=org_b, survey_id=ours)
        with pytest.raises(NotFound):
            services.survey_trend(session=session, ctx=org_b, survey_id=ours, teams=False)


def test_an_open_survey_shows_no_results_and_keeps_no_figures(org_a):
    survey_id, _, _ = _answered(org_a, {"Alpha": 6, "Beta": 2}, closed=False)
    assert _row(org_a, survey_id) is None
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="once the survey"):
        services.survey_results(session=session, ctx=org_a, survey_id=survey_id)
    with tenant_session(org_a) as session:
        point = services.survey_trend(session=session, ctx=org_a, survey_id=survey_id)[-1]
    assert point.org is None and point.teams == {}
    assert _row(org_a, survey_id) is None


def test_deleting_a_survey_deletes_its_kept_figures(org_a):
    survey_id, _, _ = _answered(org_a, {"Alpha": 6, "Beta": 3, "Gamma": 2})
    assert _row(org_a, survey_id) is not None
    with tenant_session(org_a) as session:
        services.delete_survey(session=session, ctx=org_a, survey_id=survey_id)
    with system_session() as session:
        left = session.exec(select(SurveyFigures).where(SurveyFigures.survey_id == survey_id))
        assert left.all() == []
