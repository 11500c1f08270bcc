"""What the workspace home shows: plain data, links given as paths inside the organisation."""

from __future__ import annotations

from pydantic import BaseModel


class HomeItem(BaseModel):
    """One thing to look at or do; `href` is a path after /o/<slug>."""

    title: str
    detail: str = ""
    href: str = ""
    urgent: bool = False


class HomeSection(BaseModel):
    """A section of the home; when `todo` is empty the page says `purpose` and offers
    `action_label` (to `action_href`) when the caller may take that first step."""

    key: str
    title: str
    purpose: str
    todo: list[HomeItem] = []
    action_label: str = ""
    action_href: str = ""


class Headline(BaseModel):
    label: str
    value: int
    href: str


class ChecklistStep(BaseModel):
    label: str
    done: bool
    href: str


class WorkspaceHome(BaseModel):
    sections: list[HomeSection] = []
    headlines: list[Headline] = []
    # A new organisation's first steps (owners and admins), empty once every step is done.
    checklist: list[ChecklistStep] = []
    changes_title: str = "Recent changes"
    changes: list[HomeItem] = []
