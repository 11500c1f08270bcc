"""Culture surveys: launch, personal and open links, submit, reminders, results, rounds.

Functions that act inside an organisation take `session` (a tenant session) and `ctx`.
Answering through a link precedes any sign-in: `load_survey_form` and `submit_response`
find the organisation from the token, then work in that organisation's tenant session.

Anonymity (see anonymity.py for the threat model, tally.py for the storage): responses are
sealed until the survey closes, then become counters and shuffled comments; participation is
kept apart and carries no time; every figure shown passes the group thresholds and the
differencing protection; submissions are never audited (an audit row would be a timeline).
Open links count only on surveys launched for them, once per browser and up to a cap.
"""

from pmo_saas.surveys.services.common import CLOSED, MANAGE_MESSAGE, OPEN, InvalidLink, _questions
from pmo_saas.surveys.services.launch import (
    OPEN_AND_PERSONAL,
    UNDELIVERED,
    close_due_surveys,
    close_survey,
    create_open_link,
    delete_survey,
    launch_survey,
    links_deliverable,
    list_surveys,
    my_surveys,
    rerun_survey,
    survey_progress,
)
from pmo_saas.surveys.services.reminders import (
    DEFAULT_REMINDER_DAYS,
    DueReminders,
    due_reminders,
    parse_reminder_days,
    record_scheduled_reminders,
    send_reminders,
    send_scheduled_reminder,
)
from pmo_saas.surveys.services.responding import (
    AlreadyReceived,
    _store_response,
    load_survey_form,
    submit_response,
)
from pmo_saas.surveys.services.results import (
    TeamHistograms,
    export_results_csv,
    my_team_results,
    survey_results,
    survey_team_results,
    survey_trend,
)

__all__ = [
    "CLOSED",
    "DEFAULT_REMINDER_DAYS",
    "MANAGE_MESSAGE",
    "OPEN",
    "OPEN_AND_PERSONAL",
    "UNDELIVERED",
    "AlreadyReceived",
    "DueReminders",
    "InvalidLink",
    "TeamHistograms",
    "_questions",
    "_store_response",
    "close_due_surveys",
    "close_survey",
    "create_open_link",
    "delete_survey",
    "due_reminders",
    "export_results_csv",
    "launch_survey",
    "links_deliverable",
    "list_surveys",
    "load_survey_form",
    "my_surveys",
    "my_team_results",
    "parse_reminder_days",
    "record_scheduled_reminders",
    "rerun_survey",
    "send_reminders",
    "send_scheduled_reminder",
    "submit_response",
    "survey_progress",
    "survey_results",
    "survey_team_results",
    "survey_trend",
]
