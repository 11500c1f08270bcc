"""What the dashboard section's pages share: revealing a new secret once."""

from __future__ import annotations

import json

import reflex as rx
from reflex.event import EventSpec


def reveal_once(element_id: str, secret: str) -> EventSpec:
    """Show a new secret once without a state var: it travels in this event only.

    Vars are persisted by the state store (disk, Redis); an event's script is sent to the
    browser and kept nowhere. The script writes the value into the element (which the
    state's flag mounts) once React has rendered it.
    """
    return rx.call_script(
        "(() => { let n = 0; const put = () => {"
        f"const el = document.getElementById({json.dumps(element_id)});"
        f"if (el) {{ el.textContent = {json.dumps(secret)}; }}"
        "else if (n++ < 250) { setTimeout(put, 20); } }; put(); })()"
    )
