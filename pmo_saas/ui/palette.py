"""The one chart palette (plain Python: the views that colour heat maps use it without Reflex).

Okabe and Ito's eight colours stay distinguishable for the common colour-vision deficiencies;
series take them in order. Heat maps run from orange (low) to blue (high), never red to green,
and stay pale enough for dark text (every cell also prints its number).
"""

from __future__ import annotations

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
PRIMARY = OKABE_ITO[0]
SECONDARY = OKABE_ITO[1]
# A previous round or a baseline: drawn grey and dashed, so it never competes with the data.
BASELINE = "#8a8a8a"
EMPTY_CELL = "var(--gray-a3)"

# Orange (hue 35) for low values through a neutral middle to blue (hue 205) for high ones.
_LOW_HUE, _HIGH_HUE = 35, 205


def series_colour(index: int) -> str:
    return OKABE_ITO[index % len(OKABE_ITO)]


def heat_colour(value: float | None, low: float, high: float) -> str:
    """A pale orange-to-blue cell colour for `value` on the scale low..high (grey when empty)."""
    if value is None or high <= low:
        return EMPTY_CELL
    share = min(max((value - low) / (high - low), 0.0), 1.0)
    hue = _LOW_HUE if share < 0.5 else _HIGH_HUE
    # saturation falls to 0 in the middle: the two ends differ in hue and in strength
    saturation = round(abs(share - 0.5) * 2 * 75)
    return f"hsl({hue}, {saturation}%, 84%)"
