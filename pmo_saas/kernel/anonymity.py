"""The anonymity rules: the threat model, which groups may be shown, which filters are allowed.

In kernel because surveys, practices and the roll-out all show group figures under them.

Threat model: who holds what
- Respondents trust nobody with their answer except the running server process. Coaches,
  admins and owners see results through the app; an operator or attacker may hold the
  database and its backups (taken at any time, including while a survey runs), the logs, the
  outbox (it is in the database) and Reflex's state store (`.states` pickles or Redis).
  None of them holds `PMO_SECRET_KEY`; whoever holds it and the live database at once is the
  server itself, and is out of scope.
- Goal: none of them can tie a response to a person better than chance among a group of at
  least the survey's threshold, nor push a group over its threshold with answers of their own.

How each holder is answered
- Database and backups: a response is stored sealed (AES-GCM under a key derived from the
  secret, padded to whole 2 KiB blocks, so a comment's length shows only in 2 KiB steps: one
  block unless it is very long; random id, no time, no person; SQLite keeps it in random-id
  order) and counted on its team. At the close, the sealed responses of every team with at
  least the threshold are opened in one transaction, shuffled and added to counters per
  (team, question, option, value); comments are stored apart under random ids in shuffled
  order. A team below the threshold stays sealed for good: its answers are opened only in
  memory for the figures that include it (the organisation total), never stored readable.
  No per-response row is ever readable, so row order, ids, row versions and lengths carry
  nothing, and a backup taken while the survey runs holds only sealed boxes and a count.
  Participation (`SurveyInvitation.answered`) holds no time, is set by rewriting every
  participation row of the team in one statement, and is never linked to a response.
  Reminders and their audit row are dated to the day and the audit row has no count.
- Outbox and logs: a survey link's token is masked before the outbox row or the log line is
  written (only the SMTP delivery carries it; without SMTP the outbox says the link is
  hidden), and survey mails are dated to the day. Reminders go only to those who have not
  answered; submissions are never audited or logged.
- State store: the respondent page swaps the token for a sealed, expiring handle in a backend
  var, scrubs the URL, referer, cookies and client address from the router data it persists
  and moves the browser to `/s`, so no later event brings the token back.
- Padding: open links count only on surveys launched for them (never next to personal
  links), once per browser (a key kept in its localStorage) and up to a cap per link set at
  launch (default: the team's size); results say how many came through open links.

The display rules
- A group is shown only with at least `threshold` responses (never fewer than 3).
- Differencing protection: the org total minus the shown teams is the hidden teams together;
  when that remainder is non-empty but smaller than the threshold, more teams are hidden
  (smallest first) until it reaches the threshold, so no small group can be worked out by
  subtraction. When that would hide every team, the org total is hidden instead.
- A filter is a set of teams: allowed when it is every team (the org total) or only teams
  that are shown. Every figure shown is then a sum of shown teams or the org total, and any
  difference of two such figures is itself a group of at least `threshold` responses.
- Results appear only after the close, so nobody can compare figures before and after one
  colleague answers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from pmo_saas.kernel.errors import ValidationFailed

ABSOLUTE_MINIMUM = 3
DEFAULT_MIN_GROUP = 5
DEFAULT_MIN_COMMENTS = 8


class AnonymityRefused(ValidationFailed):
    """A filter or grouping that would expose a group below its threshold."""


def below_threshold_reason(threshold: int) -> str:
    return f"Hidden: fewer than {threshold} responses, so answers could identify people."


def differencing_reason(threshold: int) -> str:
    return (
        "Hidden to protect a smaller team: with this team shown, the smaller team's answers "
        f"could be worked out from the total (each group needs {threshold} responses)."
    )


@dataclass(frozen=True)
class Disclosure:
    threshold: int
    visible: frozenset[int]
    hidden: Mapping[int, str] = field(default_factory=dict)
    total_visible: bool = False
    total_hidden_reason: str = ""

    def check_filter(self, selected: Collection[int], all_groups: Collection[int]) -> None:
        chosen = set(selected)
        if not chosen:
            raise AnonymityRefused("Choose at least one team.", field="teams")
        unknown = chosen - set(all_groups)
        if unknown:
            raise AnonymityRefused("That team is not part of this survey.", field="teams")
        if chosen == set(all_groups):
            if not self.total_visible:
                raise AnonymityRefused(self.total_hidden_reason, field="teams")
            return
        exposed = chosen - self.visible
        if exposed:
            raise AnonymityRefused(
                "This selection is refused: it includes a team whose results are hidden to "
                f"protect anonymity (each group needs {self.threshold} responses, and a hidden "
                "team must not be separable from the total).",
                field="teams",
            )


def check_threshold(value: int, *, what: str = "minimum group size") -> int:
    if value < ABSOLUTE_MINIMUM:
        raise ValidationFailed(
            f"The {what} cannot be below {ABSOLUTE_MINIMUM}.", field="min_group_size"
        )
    if value > 1000:
        raise ValidationFailed(f"The {what} is too large.", field="min_group_size")
    return value


def total_reason(threshold: int) -> str:
    return (
        "The organisation total is hidden: with the teams that are shown, it would let "
        f"someone work out a team of fewer than {threshold} responses by subtraction."
    )


def protect(counts: Mapping[int, int], threshold: int) -> Disclosure:
    """Which groups (siblings under one total) may be shown, with a reason for each hidden one.

    When the hidden teams together have fewer than `threshold` responses, the smallest shown
    teams are hidden too; if that would hide every team, the organisation total is hidden
    instead (so the shown teams can no longer be subtracted from it).
    """
    threshold = max(threshold, ABSOLUTE_MINIMUM)
    hidden: dict[int, str] = {
        g: below_threshold_reason(threshold) for g, n in counts.items() if n < threshold
    }
    visible = {g for g in counts if g not in hidden}
    total = sum(counts.values())
    remainder = sum(counts[g] for g in hidden)
    if 0 < remainder < threshold and visible:
        extra_hidden = dict(hidden)
        still_visible = set(visible)
        while 0 < remainder < threshold and still_visible:
            smallest = min(still_visible, key=lambda g: (counts[g], g))
            still_visible.remove(smallest)
            extra_hidden[smallest] = differencing_reason(threshold)
            remainder += counts[smallest]
        if not still_visible:
            return Disclosure(
                threshold=threshold,
                visible=frozenset(visible),
                hidden=hidden,
                total_visible=False,
                total_hidden_reason=total_reason(threshold),
            )
        visible, hidden = still_visible, extra_hidden
    shown = total >= threshold
    return Disclosure(
        threshold=threshold,
        visible=frozenset(visible),
        hidden=hidden,
        total_visible=shown,
        total_hidden_reason=""
        if shown
        else f"Hidden: fewer than {threshold} responses in total so far.",
    )
