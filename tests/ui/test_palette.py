"""The one chart palette: Okabe-Ito series colours and an orange-to-blue heat scale."""

from __future__ import annotations

import re
from pathlib import Path

from pmo_saas.portfolio.schemas import HeatCell
from pmo_saas.portfolio.views import heat_rows
from pmo_saas.ui import palette


def test_series_take_the_okabe_ito_colours_in_order_and_wrap():
    assert palette.series_colour(0) == "#0072B2"
    assert palette.series_colour(1) == "#E69F00"
    assert palette.series_colour(8) == palette.series_colour(0)
    assert len(set(palette.OKABE_ITO)) == 8


def test_heat_cells_run_orange_to_blue_never_red_to_green():
    low, mid, high = (palette.heat_colour(v, 1, 7) for v in (1, 4, 7))
    assert low == "hsl(35, 75%, 84%)"
    assert mid == "hsl(205, 0%, 84%)"  # the neutral middle
    assert high == "hsl(205, 75%, 84%)"
    for value in (1, 2.5, 3.9, 4.1, 6, 7, 0, 9):  # outside the scale: clamped
        hue = int(re.match(r"hsl\((\d+),", palette.heat_colour(value, 1, 7)).group(1))
        assert hue in (35, 205)
    assert palette.heat_colour(None, 1, 7) == palette.EMPTY_CELL
    assert palette.heat_colour(3, 5, 5) == palette.EMPTY_CELL


# Colours written as hex in the app's code; every chart and heat map takes them from here.
HEX = re.compile(r"""["']#[0-9a-fA-F]{6}["']""")
PACKAGE = Path(palette.__file__).parents[1]


def test_no_page_or_view_picks_a_colour_of_its_own():
    """Charts added by any domain use the colour-blind-safe palette (ui/palette.py)."""
    own = [
        f"{path.relative_to(PACKAGE)}: {match.group(0)}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "palette.py"
        for match in HEX.finditer(path.read_text(encoding="utf-8"))
    ]
    assert own == []


def test_the_risk_heat_map_is_orange_for_high_exposure_and_blue_for_low():
    squares = {(s.probability, s.impact): s for row in heat_rows([]) for s in row}
    assert squares[(5, 5)].colour == palette.EMPTY_CELL  # no risk there
    cells = [
        HeatCell(probability=5, impact=5, count=1, risk_ids=[1]),
        HeatCell(probability=1, impact=1, count=2, risk_ids=[2, 3]),
    ]
    squares = {(s.probability, s.impact): s for row in heat_rows(cells) for s in row}
    assert squares[(5, 5)].colour.startswith("hsl(35, 75%")
    assert squares[(1, 1)].colour.startswith("hsl(205, 75%")
