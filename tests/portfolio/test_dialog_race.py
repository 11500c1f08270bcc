"""A dialog opened while its page is still loading stays open (DialogHost).

Reflex queues a page's on_load handlers behind a click made during the navigation (they come
back from the server and join the end of the client's queue), so on a slow server the click
that opens "Import from CSV" can run before the page's `load`. That load must not close the
dialog or drop the preview the user has already asked for; a dialog left open on another page
is still closed by the next page's load.
"""

from __future__ import annotations

from reflex.istate.data import RouterData

from pmo_saas.identity import services as identity
from pmo_saas.portfolio.pages.initiatives import InitiativesState
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.portfolio.test_csv import twenty_rows
from tests.state_harness import run, state_for


def _navigate(state: InitiativesState, path: str) -> None:
    """The router data the next event carries after the browser moved to `path`."""
    root = state._get_root_state()
    root.router = RouterData.from_router_data(
        {
            "sid": root.router.session.session_id,
            "headers": {"origin": "http://test"},
            "pathname": path,
            "asPath": path,
            "query": {},
        }
    )


def test_a_dialog_opened_before_the_load_ran_stays_open(org_a):
    first = make_portfolio(org_a, "FY26")
    second = make_portfolio(org_a, "FY27")
    make_initiative(org_a, second, "Alpha")
    token = identity.start_session(user_id=org_a.user_id)
    base = f"/o/{org_a.org_slug}/portfolio/p"

    async def scenario() -> None:
        state = await state_for(InitiativesState, token=token, path=f"{base}/{first}")
        await state.load()
        assert state.portfolio_name == "FY26"
        # The coach moves to FY27 and opens the import before FY27's load has run.
        _navigate(state, f"{base}/{second}")
        state.set_dialog("import", True)
        await state.preview_import({"csv": twenty_rows().decode()})
        assert state.preview_rows == 19
        await state.load()
        assert state.portfolio_name == "FY27" and [c.title for c in state.cards] == ["Alpha"]
        assert state.dialog == "import" and state.previewing and state.preview_rows == 19
        # Left open there (the browser's back button), it is closed by the other page's load.
        _navigate(state, f"{base}/{first}")
        await state.load()
        assert state.portfolio_name == "FY26"
        assert state.dialog == "" and not state.previewing and state.preview_rows == 0
        # Closed by the user, it stays closed when the page loads again.
        _navigate(state, f"{base}/{second}")
        state.set_dialog("import", True)
        state.set_dialog("import", False)
        await state.load()
        assert state.dialog == "" and state.preview_rows == 0

    run(scenario())
