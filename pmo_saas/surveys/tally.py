"""Where answers are kept: sealed while the survey runs, counters and loose comments after.

`seal_response` runs inside the submit transaction: the answer is acknowledged only once the
sealed row is committed. `open_sealed` runs once a survey has closed (from `close_survey`, or
from the first results read after the end date): under the survey's team locks it opens the
sealed responses of every team with at least the survey's threshold of responses, shuffles
them, adds them to the counters, stores the comments under random ids in shuffled order and
deletes those sealed rows, all in one transaction. If any step fails nothing is written and
the sealed rows stay for the next attempt, so an answer is never lost and never counted twice.

A team below the threshold stays sealed for good: its answers are opened only in memory, for
the figures that include it (the organisation total), and never stored readable, so not even
the database shows a small team's answers. See anonymity.py for the whole threat model.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import case, delete, func, literal, update
from sqlmodel import Session, col, select

from pmo_saas.kernel.anonymity import ABSOLUTE_MINIMUM
from pmo_saas.kernel.errors import Conflict
from pmo_saas.surveys import sealing
from pmo_saas.surveys.models import (
    SurveyComment,
    SurveySealedResponse,
    SurveyTally,
    SurveyTeam,
)

# (question_id, option_key, value or None, text or None): one stored value of a response.
AnswerRow = tuple[int, str, float | None, str | None]
# (question_id, option_key) -> value -> count, per surveyed team
TeamHistograms = dict[int, dict[tuple[int, str], Counter[float]]]

_shuffle = random.SystemRandom().shuffle

# The key of the whole organisation's sums (no surveyed team has it).
ORG = 0


def _associated(survey_id: int, team_id: int) -> bytes:
    # Binds a sealed box to its survey and team: moving it to another team breaks it.
    return f"{survey_id}:{team_id}".encode()


def seal_response(session: Session, survey_id: int, team_id: int, rows: list[AnswerRow]) -> None:
    """Keep one response sealed until the survey closes, and count it for its team."""
    session.add(
        SurveySealedResponse(
            id=secrets.token_hex(16),
            survey_id=survey_id,
            survey_team_id=team_id,
            sealed=sealed_box(survey_id, team_id, rows),
        )
    )


def sealed_box(survey_id: int, team_id: int, rows: list[AnswerRow]) -> bytes:
    """One response's answers as the sealed bytes `seal_response` stores (the submit path
    stores them with its own INSERT)."""
    return sealing.seal([list(r) for r in rows], associated=_associated(survey_id, team_id))


def count_response(session: Session, team_id: int, *, open_link: bool) -> None:
    session.exec(
        update(SurveyTeam)
        .where(col(SurveyTeam.id) == team_id)
        .values(
            responses=col(SurveyTeam.responses) + 1,
            open_responses=col(SurveyTeam.open_responses) + int(open_link),
        )
        .execution_options(synchronize_session=False)
    )


def lock_survey_teams(session: Session, survey_id: int) -> None:
    """Take every team lock of a survey (the ones submissions take), so no answer is mid-way."""
    session.exec(
        update(SurveyTeam)
        .where(col(SurveyTeam.survey_id) == survey_id)
        .values(team_name=col(SurveyTeam.team_name))
        .execution_options(synchronize_session=False)
    )


def _large_teams(session: Session, survey_id: int, threshold: int) -> list[int]:
    threshold = max(threshold, ABSOLUTE_MINIMUM)
    return [
        t
        for t in session.exec(
            select(SurveyTeam.id).where(
                SurveyTeam.survey_id == survey_id, col(SurveyTeam.responses) >= threshold
            )
        ).all()
        if t is not None
    ]


def has_sealed(session: Session, survey_id: int, threshold: int) -> bool:
    """Whether a closed survey still has sealed answers of a team large enough to open."""
    large = _large_teams(session, survey_id, threshold)
    return bool(large) and (
        session.exec(
            select(SurveySealedResponse.id).where(
                SurveySealedResponse.survey_id == survey_id,
                col(SurveySealedResponse.survey_team_id).in_(large),
            )
        ).first()
        is not None
    )


def _unsealed(session: Session, survey_id: int, team_ids: list[int]) -> list[tuple[int, list[Any]]]:
    opened: list[tuple[int, list[Any]]] = []
    if not team_ids:
        return opened
    for team_id, blob in session.exec(
        select(SurveySealedResponse.survey_team_id, SurveySealedResponse.sealed)
        .where(
            SurveySealedResponse.survey_id == survey_id,
            col(SurveySealedResponse.survey_team_id).in_(team_ids),
        )
        .execution_options(yield_per=2000)
    ):
        try:
            rows = sealing.unseal(blob, associated=_associated(survey_id, team_id))
        except sealing.Unsealable:
            raise Conflict(
                "Some answers of this survey cannot be opened: they were sealed with another "
                "secret key. Restore the PMO_SECRET_KEY the survey ran with; nothing was lost."
            ) from None
        opened.append((team_id, rows))
    return opened


def open_sealed(session: Session, survey_id: int, threshold: int) -> int:
    """Turn a closed survey's sealed responses of teams with at least `threshold` responses
    into counters and shuffled comments (smaller teams stay sealed)."""
    lock_survey_teams(session, survey_id)
    # Under every team lock of the survey no submission is mid-way, so what is read here is
    # all there is of these teams, and deleting them below deletes exactly what was opened.
    large = _large_teams(session, survey_id, threshold)
    opened = _unsealed(session, survey_id, large)
    if not opened:
        return 0
    _shuffle(opened)
    counts: Counter[tuple[int, int, str, float]] = Counter()
    comments: list[SurveyComment] = []
    for team_id, rows in opened:
        for question_id, option_key, value, text in rows:
            if value is not None:
                counts[(team_id, int(question_id), str(option_key), float(value))] += 1
            if text:
                comments.append(
                    SurveyComment(
                        id=secrets.token_hex(16),
                        survey_id=survey_id,
                        survey_team_id=team_id,
                        question_id=int(question_id),
                        text=str(text),
                    )
                )
    existing = {
        (t.survey_team_id, t.question_id, t.option_key, t.value): t
        for t in session.exec(select(SurveyTally).where(SurveyTally.survey_id == survey_id))
    }
    for key in sorted(counts):
        tally = existing.get(key)
        if tally is None:
            team_id, question_id, option_key, value = key
            tally = SurveyTally(
                survey_team_id=team_id,
                question_id=question_id,
                option_key=option_key,
                value=value,
                survey_id=survey_id,
            )
        tally.count += counts[key]
        session.add(tally)
    _shuffle(comments)
    session.add_all(comments)
    session.exec(
        delete(SurveySealedResponse).where(
            col(SurveySealedResponse.survey_id) == survey_id,
            col(SurveySealedResponse.survey_team_id).in_(large),
        )
    )
    session.flush()
    return len(opened)


def is_large(responses: int, threshold: int) -> bool:
    """Whether a team's answers are opened into the counters (else they stay sealed)."""
    return responses >= max(threshold, ABSOLUTE_MINIMUM)


def small_teams_in_memory(
    session: Session, survey_id: int, small: list[int]
) -> tuple[TeamHistograms, dict[int, dict[int, list[str]]]]:
    """The answers of teams below the threshold (`small`), opened in memory only."""
    hist: TeamHistograms = defaultdict(lambda: defaultdict(Counter))
    texts: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for team_id, rows in _unsealed(session, survey_id, small):
        for question_id, option_key, value, text in rows:
            if value is not None:
                hist[team_id][(int(question_id), str(option_key))][float(value)] += 1
            if text:
                texts[team_id][int(question_id)].append(str(text))
    return hist, texts


def response_counts(session: Session, survey_id: int) -> dict[int, int]:
    return {
        team_id: int(n)
        for team_id, n in session.exec(
            select(SurveyTeam.id, SurveyTeam.responses).where(SurveyTeam.survey_id == survey_id)
        ).all()
        if team_id is not None
    }


def open_counts(session: Session, survey_id: int) -> dict[int, int]:
    return {
        team_id: int(n)
        for team_id, n in session.exec(
            select(SurveyTeam.id, SurveyTeam.open_responses).where(
                SurveyTeam.survey_id == survey_id
            )
        ).all()
        if team_id is not None
    }


def histograms(
    session: Session,
    survey_id: int,
    *,
    team_ids: list[int] | None = None,
    whole_org: bool = False,
) -> TeamHistograms:
    """Counts per team, question, option and value, from the counters (of `team_ids` only,
    when given; `whole_org`: summed over every team, under the key ORG: a few dozen rows).

    A counter's key is its primary key (team, question, option, value), so the rows are read
    as they are: no GROUP BY, the narrowest read there is.
    """
    count = func.sum(SurveyTally.count) if whole_org else col(SurveyTally.count)
    query = select(  # type: ignore[call-overload]
        literal(ORG) if whole_org else col(SurveyTally.survey_team_id),
        SurveyTally.question_id,
        SurveyTally.option_key,
        SurveyTally.value,
        count,
    ).where(SurveyTally.survey_id == survey_id, col(SurveyTally.count) > 0)
    if team_ids is not None:
        query = query.where(col(SurveyTally.survey_team_id).in_(team_ids))
    if whole_org:
        query = query.group_by(
            col(SurveyTally.question_id), col(SurveyTally.option_key), col(SurveyTally.value)
        )
    result: TeamHistograms = defaultdict(lambda: defaultdict(Counter))
    for team_id, question_id, option_key, value, n in session.exec(query).all():
        result[team_id][(question_id, option_key)][float(value)] += int(n)
    return result


# (responses, sum of values, answers >= 9, answers <= 6) of one team's question and option
Sums = dict[int, dict[tuple[int, str], tuple[int, float, int, int]]]


def headline_sums(session: Session, survey_id: int, *, whole_org: bool = False) -> Sums:
    """The counters summed per team, question and option in the database: what a headline
    needs (count, mean, the eNPS split), one row per question instead of one per value.
    `whole_org`: summed over every team too, under the key ORG (a handful of rows)."""
    value, count = col(SurveyTally.value), col(SurveyTally.count)
    team = literal(ORG) if whole_org else col(SurveyTally.survey_team_id)
    result: Sums = defaultdict(dict)
    for team_id, question_id, option_key, n, total, high, low in session.exec(
        select(  # type: ignore[call-overload]
            team,
            SurveyTally.question_id,
            SurveyTally.option_key,
            func.sum(count),
            func.sum(count * value),
            func.sum(case((value >= 9, count), else_=0)),
            func.sum(case((value <= 6, count), else_=0)),
        )
        .where(SurveyTally.survey_id == survey_id)
        .group_by(
            *([] if whole_org else [col(SurveyTally.survey_team_id)]),
            col(SurveyTally.question_id),
            col(SurveyTally.option_key),
        )
    ).all():
        if n:
            result[team_id][(question_id, option_key)] = (
                int(n),
                float(total),
                int(high),
                int(low),
            )
    return result


def comments_by_team(
    session: Session, survey_id: int, question_ids: list[int]
) -> dict[int, dict[int, list[str]]]:
    by_team: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for team_id, question_id, text in session.exec(
        select(SurveyComment.survey_team_id, SurveyComment.question_id, SurveyComment.text).where(
            SurveyComment.survey_id == survey_id, col(SurveyComment.question_id).in_(question_ids)
        )
    ).all():
        if text:
            by_team[team_id][question_id].append(text)
    return by_team
