"""Built-in models, the editor (create, copy, adapt) and versioning."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel, select

from pmo_saas.assessments import models
from pmo_saas.assessments.models import AssessmentModel
from pmo_saas.assessments.schemas import DimensionInput, LevelInput
from pmo_saas.assessments.services import catalog, results, rounds
from pmo_saas.db import TenantOwned, tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers


def _builtin(ctx: TenantContext, key: str) -> int:
    with tenant_session(ctx) as session:
        catalog.ensure_builtin_models(session=session, ctx=ctx)
        model_id = session.exec(
            select(AssessmentModel.id).where(AssessmentModel.builtin_key == key)
        ).one()
    assert model_id is not None
    return model_id


def test_builtin_maturity_model(org_a: TenantContext) -> None:
    with tenant_session(org_a) as session:
        rows = catalog.list_models(session=session, ctx=org_a)
        maturity = next(r for r in rows if r.name == "Agile maturity")
        detail = catalog.latest_model_version(session=session, ctx=org_a, model_id=maturity.id)
    assert maturity.builtin and maturity.dimension_count >= 6
    assert [lv.value for lv in detail.levels] == [1, 2, 3, 4, 5]
    assert all(lv.description for lv in detail.levels)
    assert all(3 <= len(d.statements) <= 6 for d in detail.dimensions)
    names = {d.name for d in detail.dimensions}
    assert {"Culture & mindset", "Leadership", "Technical excellence", "Flow & delivery"} <= names


def test_builtin_health_check_asks_trend(org_a: TenantContext) -> None:
    with tenant_session(org_a) as session:
        detail = catalog.latest_model_version(
            session=session, ctx=org_a, model_id=_builtin(org_a, "team_health")
        )
    assert detail.kind == "health_check" and detail.asks_trend
    assert [lv.label for lv in detail.levels] == ["Red", "Amber", "Green"]


def test_builtins_are_created_once(org_a: TenantContext) -> None:
    with tenant_session(org_a) as session:
        catalog.list_models(session=session, ctx=org_a)
        catalog.list_models(session=session, ctx=org_a)
        count = len(session.exec(select(AssessmentModel.id)).all())
    assert count == 2


def test_builtin_cannot_be_edited_but_can_be_copied(org_a: TenantContext) -> None:
    maturity = _builtin(org_a, "agile_maturity")
    with tenant_session(org_a) as session:
        with pytest.raises(ValidationFailed, match="copy"):
            catalog.update_model(
                session=session,
                ctx=org_a,
                model_id=maturity,
                name="Mine",
                levels=helpers.LEVELS,
                dimensions=[DimensionInput(name="X", statements=["x"])],
            )
        copy_id = catalog.copy_model(
            session=session, ctx=org_a, model_id=maturity, name="Our maturity"
        )
        original = catalog.latest_model_version(session=session, ctx=org_a, model_id=maturity)
        copied = catalog.latest_model_version(session=session, ctx=org_a, model_id=copy_id)
        assert copied.builtin_key is None
        assert [d.key for d in copied.dimensions] == [d.key for d in original.dimensions]
        assert [s.text for d in copied.dimensions for s in d.statements] == [
            s.text for d in original.dimensions for s in d.statements
        ]
        with pytest.raises(Conflict):
            catalog.copy_model(session=session, ctx=org_a, model_id=maturity, name="our MATURITY")
        actions = session.exec(select(AuditEvent.action)).all()
    assert "assessment.model_copied" in actions


def test_editing_an_unused_model_changes_it_in_place(org_a: TenantContext) -> None:
    model_id = helpers.small_model(org_a)
    with tenant_session(org_a) as session:
        before = catalog.latest_model_version(session=session, ctx=org_a, model_id=model_id)
        version_id = catalog.update_model(
            session=session,
            ctx=org_a,
            model_id=model_id,
            name="Small model",
            levels=helpers.LEVELS,
            dimensions=[DimensionInput(key="flow", name="Flow", statements=["F1 reworded"])],
        )
        after = catalog.latest_model_version(session=session, ctx=org_a, model_id=model_id)
    assert version_id == before.version_id and after.number == 1
    assert [s.text for d in after.dimensions for s in d.statements] == ["F1 reworded"]


def test_editing_after_a_round_makes_a_new_version_and_keeps_old_results(
    org_a: TenantContext,
) -> None:
    people = [helpers.person(org_a, Role.MEMBER) for _ in range(3)]
    team = factories.make_team(org_a, "Alpha", members=people)
    model_id = helpers.small_model(org_a)
    round_id = helpers.start(org_a, model_id, [team])
    for person, (f1, f2, q1) in zip(people, [(1, 2, 3), (3, 4, 5), (5, 5, 4)], strict=True):
        helpers.answer(person, round_id, team, {"F1": f1, "F2": f2, "Q1": q1})
    helpers.close(org_a, round_id)
    with tenant_session(org_a) as session:
        before = results.team_result(session=session, ctx=org_a, round_id=round_id, team_id=team)
        old_version = rounds.get_round(
            session=session, ctx=org_a, round_id=round_id
        ).model_version_id
        new_version = catalog.update_model(
            session=session,
            ctx=org_a,
            model_id=model_id,
            name="Small model",
            levels=helpers.LEVELS[:4],
            dimensions=[
                DimensionInput(key="quality", name="Built-in quality", statements=["Q1", "Q2"]),
                DimensionInput(name="Learning", statements=["L1"]),
            ],
        )
    with tenant_session(org_a) as session:
        after = results.team_result(session=session, ctx=org_a, round_id=round_id, team_id=team)
        old = catalog.model_version(session=session, ctx=org_a, version_id=old_version)
        latest = catalog.latest_model_version(session=session, ctx=org_a, model_id=model_id)
    assert new_version != old_version and latest.number == 2
    assert after == before
    assert [d.name for d in old.dimensions] == ["Flow", "Quality"]
    assert [d.key for d in latest.dimensions] == ["quality", "learning"]
    assert len(latest.levels) == 4 and len(old.levels) == 5
    assert after.dimensions[0].mean == pytest.approx((1 + 2 + 3 + 4 + 5 + 5) / 6)


def test_model_validation(org_a: TenantContext) -> None:
    def create(levels: list[LevelInput], dims: list[DimensionInput], name: str = "M") -> int:
        with tenant_session(org_a) as session:
            return catalog.create_model(
                session=session, ctx=org_a, name=name, levels=levels, dimensions=dims
            )

    one_dim = [DimensionInput(name="A", statements=["a"])]
    with pytest.raises(ValidationFailed, match="without gaps"):
        create([LevelInput(value=1, label="a"), LevelInput(value=3, label="c")], one_dim)
    with pytest.raises(ValidationFailed, match="between 2"):
        create([LevelInput(value=1, label="a")], one_dim)
    with pytest.raises(ValidationFailed, match="statements"):
        create(helpers.LEVELS, [DimensionInput(name="A", statements=["  "])])
    with pytest.raises(ValidationFailed, match="Two dimensions"):
        create(helpers.LEVELS, [*one_dim, DimensionInput(name="a", statements=["b"])])
    with pytest.raises(ValidationFailed, match="model name"):
        create(helpers.LEVELS, one_dim, name="  ")
    create(helpers.LEVELS, one_dim)
    with pytest.raises(Conflict):
        create(helpers.LEVELS, one_dim)


def test_members_cannot_build_models(org_a: TenantContext) -> None:
    member = helpers.person(org_a, Role.MEMBER)
    with tenant_session(member) as session:
        with pytest.raises(Forbidden):
            catalog.list_models(session=session, ctx=member)
        with pytest.raises(Forbidden):
            catalog.create_model(
                session=session,
                ctx=member,
                name="Mine",
                levels=helpers.LEVELS,
                dimensions=[DimensionInput(name="A", statements=["a"])],
            )


def test_other_org_cannot_see_or_change_models(org_a: TenantContext, org_b: TenantContext) -> None:
    model_id = helpers.small_model(org_a)
    with tenant_session(org_b) as session:
        assert all(r.id != model_id for r in catalog.list_models(session=session, ctx=org_b))
        with pytest.raises(NotFound):
            catalog.latest_model_version(session=session, ctx=org_b, model_id=model_id)
        with pytest.raises(NotFound):
            catalog.copy_model(session=session, ctx=org_b, model_id=model_id, name="Stolen")
        with pytest.raises(NotFound):
            catalog.update_model(
                session=session,
                ctx=org_b,
                model_id=model_id,
                name="Changed",
                levels=helpers.LEVELS,
                dimensions=[DimensionInput(name="A", statements=["a"])],
            )
        with pytest.raises(NotFound):
            catalog.archive_model(session=session, ctx=org_b, model_id=model_id)


def test_every_assessment_table_is_tenant_owned_with_row_security(engine: Engine) -> None:
    tables = [
        m.class_ for m in SQLModel._sa_registry.mappers if m.class_.__module__ == models.__name__
    ]
    assert len(tables) == 12 and all(issubclass(t, TenantOwned) for t in tables)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            secured = dict(
                conn.execute(
                    text(
                        "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                        "WHERE relname = ANY(:names)"
                    ),
                    {"names": [t.__tablename__ for t in tables]},
                ).all()
            )
        assert secured == {t.__tablename__: True for t in tables}


def test_change_follows_a_dimension_across_versions_by_key(org_a: TenantContext) -> None:
    people = [helpers.person(org_a) for _ in range(3)]
    team = factories.make_team(org_a, "Alpha", members=people)
    model_id = helpers.small_model(org_a)
    first = helpers.start(org_a, model_id, [team])
    for person in people:
        helpers.answer(person, first, team, {"F1": 2, "F2": 2, "Q1": 3})
    helpers.close(org_a, first)
    with tenant_session(org_a) as session:
        catalog.update_model(
            session=session,
            ctx=org_a,
            model_id=model_id,
            name="Small model",
            levels=helpers.LEVELS,
            dimensions=[DimensionInput(key="flow", name="Flow of work", statements=["F9"])],
        )
    second = helpers.start(org_a, model_id, [team])
    for person in people:
        helpers.answer(person, second, team, {"F9": 4})
    helpers.close(org_a, second)
    with tenant_session(org_a) as session:
        result = results.team_result(session=session, ctx=org_a, round_id=second, team_id=team)
    (flow,) = result.dimensions
    assert (flow.name, flow.previous_mean, flow.change) == ("Flow of work", 2.0, 2.0)
