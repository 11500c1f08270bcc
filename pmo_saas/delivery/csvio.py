"""Reading a CSV of work items: every row checked, every problem listed by line, nothing
written (the service writes the valid rows once the preview is confirmed).

Columns: title (required), kind, status, estimate, created_at, started_at, done_at. Times are
ISO dates or date-times (UTC unless they say otherwise); they become the item's history, so an
imported item's cycle time is the source's own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pmo_saas.delivery.columns import DONE, STARTED, clean_column, clean_kind
from pmo_saas.kernel.errors import ValidationFailed

MAX_BYTES = 2_000_000
MAX_ROWS = 5_000
COLUMNS = ("title", "kind", "status", "estimate", "created_at", "started_at", "done_at")


@dataclass(slots=True)
class ItemRow:
    line: int
    title: str
    kind: str
    status: str
    estimate: float | None
    created_at: datetime
    started_at: datetime | None
    done_at: datetime | None


@dataclass(slots=True)
class ItemReading:
    rows: list[ItemRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)


def parse_time(raw: str, *, what: str) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{what} must be a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM); got “{raw}”."
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _estimate(raw: str) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValidationFailed(f"the estimate must be a number; got “{raw}”.") from None
    if not 0 <= value <= 10_000:
        raise ValidationFailed("the estimate must be between 0 and 10000.")
    return value


def clean_item(cells: dict[str, str], *, line: int, now: datetime) -> ItemRow:
    """One row's values, or ValidationFailed saying what is wrong with it."""
    title = cells.get("title", "").strip()
    if not title:
        raise ValidationFailed("the title is empty.")
    if len(title) > 300:
        raise ValidationFailed("the title is longer than 300 characters.")
    created = parse_time(cells.get("created_at", ""), what="created_at") or now
    started = parse_time(cells.get("started_at", ""), what="started_at")
    done = parse_time(cells.get("done_at", ""), what="done_at")
    raw_status = cells.get("status", "").strip()
    status = clean_column(raw_status) if raw_status else _implied(started, done)
    for what, moment in (("created_at", created), ("started_at", started), ("done_at", done)):
        if moment is not None and moment > now:
            raise ValidationFailed(f"{what} is in the future.")
    if started is not None and started < created:
        raise ValidationFailed("started_at is before created_at.")
    if done is not None and done < (started or created):
        raise ValidationFailed("done_at is before the item started.")
    if status == DONE and done is None:
        raise ValidationFailed("a done item needs its done_at.")
    if done is not None and status != DONE:
        raise ValidationFailed(f"done_at is given but the status is {status}.")
    if status in STARTED and status != DONE and started is None:
        raise ValidationFailed(f"an item in {status} needs its started_at.")
    if started is not None and status not in STARTED:
        raise ValidationFailed(f"started_at is given but the status is {status}.")
    return ItemRow(
        line=line,
        title=title,
        kind=clean_kind(cells.get("kind", "")),
        status=status,
        estimate=_estimate(cells.get("estimate", "")),
        created_at=created,
        started_at=started if started is not None or done is None else done,
        done_at=done,
    )


def _implied(started: datetime | None, done: datetime | None) -> str:
    return DONE if done is not None else "doing" if started is not None else "backlog"


def _records(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "The file is not UTF-8 text; save it from your spreadsheet as “CSV UTF-8”."
        ) from None
    if "\x00" in text or not text.strip():
        raise ValidationFailed("The file is empty or not text; upload a CSV file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip().lower().replace(" ", "_") for c in next(reader, [])]
    unknown = [c for c in header if c not in COLUMNS]
    if "title" not in header or unknown or len(set(header)) != len(header):
        raise ValidationFailed(
            "The header must name distinct columns among "
            f"{', '.join(COLUMNS)}, title included"
            + (f" (unknown: {', '.join(unknown)})." if unknown else ".")
        )
    records = []
    for record in reader:
        if any(cell.strip() for cell in record):
            records.append((reader.line_num, record))
        if len(records) > MAX_ROWS:
            raise ValidationFailed(f"The file has more than {MAX_ROWS} rows; split it.")
    return header, records


def read_items_csv(data: bytes, *, now: datetime) -> ItemReading:
    """Raises nothing: file problems and row problems are both listed."""
    reading = ItemReading()
    try:
        header, records = _records(data)
    except ValidationFailed as error:
        reading.file_errors.append(str(error))
        return reading
    except csv.Error as error:
        reading.file_errors.append(f"The file is not valid CSV: {error}.")
        return reading
    for line, record in records:
        if len(record) != len(header):
            reading.errors.append(
                (line, f"has {len(record)} cells where the header has {len(header)}.")
            )
            continue
        try:
            cells = dict(zip(header, record, strict=True))
            reading.rows.append(clean_item(cells, line=line, now=now))
        except ValidationFailed as error:
            reading.errors.append((line, str(error)))
    return reading
