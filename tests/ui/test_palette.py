"""The one chart palette: Okabe-Ito series colours and an orange-to-blue heat scale."""

from __future__ import annotations

import re

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
