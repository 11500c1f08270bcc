"""CSV import (parse and validate every row, write nothing) and export of initiatives.

The import is two steps: `read_initiatives_csv` gives the valid rows and every problem, by line
number, before anything is written; the service writes the valid rows only when confirmed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio import fields
from pmo_saas.portfolio.scoring import ALL_FIXED_INPUTS

MAX_BYTES = 2_000_000
MAX_ROWS = 5_000
INITIATIVE_COLUMNS = (
    "title",
    "description",
    "owner",
    "value_stream",
    "status",
    "cost",
    "start_date",
    "end_date",
    "moscow",
    "tags",
    "depends_on",
)
SCORE_COLUMNS = tuple(ALL_FIXED_INPUTS)  # business_value, ..., job_size, reach, ..., effort
COLUMNS = INITIATIVE_COLUMNS + SCORE_COLUMNS


@dataclass(slots=True)
class CsvRow:
    line: int
    raw: dict[str, str]
    values: dict[str, object] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CsvReading:
    columns: list[str]
    rows: list[CsvRow]
    errors: list[tuple[int, str]]
    file_errors: list[str]


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"The file is not UTF-8 text (unexpected byte 0x{data[error.start]:02x} at "
            f"position {error.start}). In your spreadsheet, save it as “CSV UTF-8” and try again.",
            field="file",
        ) from None
    if "\x00" in text:
        raise ValidationFailed(
            "The file contains binary data; upload a CSV text file.", field="file"
        )
    return text


def _header(raw_columns: Sequence[str]) -> list[str]:
    columns = [c.strip().lower().replace(" ", "_") for c in raw_columns]
    unknown = [raw for raw, c in zip(raw_columns, columns, strict=True) if c not in COLUMNS]
    problems = []
    if "title" not in columns:
        problems.append("The file has no “title” column.")
    if unknown:
        problems.append(f"Unknown column(s): {', '.join(repr(u) for u in unknown)}.")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        problems.append(f"Column(s) named twice: {', '.join(duplicates)}.")
    if problems:
        raise ValidationFailed(
            " ".join(problems)
            + f" The columns are: {', '.join(COLUMNS)} (only title is required).",
            field="file",
        )
    return columns


def read_initiatives_csv(data: bytes, *, existing_titles: Iterable[str] = ()) -> CsvReading:
    """Every row checked; problems listed by line. Raises nothing for row problems."""
    try:
        if len(data) > MAX_BYTES:
            raise ValidationFailed(
                f"The file is larger than {MAX_BYTES // 1_000_000} MB.", field="file"
            )
        if not data.strip():
            raise ValidationFailed("The file is empty.", field="file")
        reader = csv.reader(io.StringIO(_decode(data), newline=""))
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationFailed("The file is empty.", field="file") from None
        columns = _header(header)
        raw_rows: list[tuple[int, list[str]]] = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(raw_rows) >= MAX_ROWS:
                raise ValidationFailed(
                    f"The file has more than {MAX_ROWS} rows; split it.", field="file"
                )
            raw_rows.append((reader.line_num, record))
    except ValidationFailed as error:
        return CsvReading(columns=[], rows=[], errors=[], file_errors=[str(error)])
    except csv.Error as error:
        return CsvReading(
            columns=[], rows=[], errors=[], file_errors=[f"The file is not valid CSV: {error}."]
        )

    errors: list[tuple[int, str]] = []
    rows: list[CsvRow] = []
    for line, record in raw_rows:
        if len(record) != len(columns):
            errors.append(
                (line, f"has {len(record)} cells where the header has {len(columns)} columns.")
            )
            continue
        row = CsvRow(line=line, raw={c: v.strip() for c, v in zip(columns, record, strict=True)})
        try:
            _clean_row(row)
        except ValidationFailed as error:
            errors.append((line, str(error)))
            continue
        rows.append(row)

    existing = {t.lower() for t in existing_titles}
    seen: dict[str, int] = {}
    kept: list[CsvRow] = []
    for row in rows:
        key = str(row.values["title"]).lower()
        if key in existing:
            errors.append((row.line, f"an initiative called “{row.values['title']}” exists."))
        elif key in seen:
            errors.append((row.line, f"the title repeats line {seen[key]}."))
        else:
            seen[key] = row.line
            kept.append(row)
    rows = _drop_broken_dependencies(kept, existing, errors)
    file_errors = _cycles(rows)
    errors.sort()
    return CsvReading(columns=columns, rows=rows, errors=errors, file_errors=file_errors)


def _clean_row(row: CsvRow) -> None:
    raw = row.raw
    v = row.values
    v["title"] = fields.clean_text(raw.get("title"), what="title", max_length=200, required=True)
    v["description"] = fields.clean_text(
        raw.get("description"), what="description", max_length=10_000
    )
    v["owner"] = fields.clean_text(raw.get("owner"), what="owner", max_length=120)
    v["value_stream"] = fields.clean_text(
        raw.get("value_stream"), what="value stream", max_length=120
    )
    v["status"] = fields.clean_status(raw.get("status"))
    v["cost"] = fields.clean_money(raw.get("cost"))
    start = fields.clean_date(raw.get("start_date"), what="start date")
    end = fields.clean_date(raw.get("end_date"), what="end date")
    fields.check_dates(start, end)
    v["start_date"], v["end_date"] = start, end
    v["moscow"] = fields.clean_moscow(raw.get("moscow"))
    v["tags"] = fields.clean_tags(raw.get("tags"))
    row.depends_on = [t.strip() for t in (raw.get("depends_on") or "").split(";") if t.strip()]
    for key in SCORE_COLUMNS:
        cell = raw.get(key, "")
        if cell:
            row.scores[key] = ALL_FIXED_INPUTS[key].parse(cell)


def _drop_broken_dependencies(
    rows: list[CsvRow], existing: set[str], errors: list[tuple[int, str]]
) -> list[CsvRow]:
    """A row whose dependency is missing or itself broken is an error too (until stable)."""
    while True:
        titles = {str(r.values["title"]).lower() for r in rows}
        kept = []
        for row in rows:
            missing = [
                d for d in row.depends_on if d.lower() not in titles and d.lower() not in existing
            ]
            if missing:
                errors.append(
                    (
                        row.line,
                        f"depends on “{missing[0]}”, which is neither in this portfolio nor a "
                        "valid row of the file.",
                    )
                )
            else:
                kept.append(row)
        if len(kept) == len(rows):
            return kept
        rows = kept


def _cycles(rows: list[CsvRow]) -> list[str]:
    index = {str(r.values["title"]).lower(): n for n, r in enumerate(rows)}
    edges = {
        n: [index[d.lower()] for d in r.depends_on if d.lower() in index]
        for n, r in enumerate(rows)
    }
    cycle = fields.find_cycle(edges)
    if cycle is None:
        return []
    titles = {n: str(r.values["title"]) for n, r in enumerate(rows)}
    return [fields.cycle_message(cycle, titles).replace("That would make", "The file makes")]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    """Spreadsheets run cells that start like formulas; a leading apostrophe keeps them text."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def write_initiatives_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text with the import's columns, so an export can be edited and imported again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column)
            if value is None:
                cells.append("")
            elif isinstance(value, list | tuple):
                cells.append(_safe_cell("; ".join(str(v) for v in value)))
            elif isinstance(value, float):
                cells.append(f"{value:g}")
            else:
                cells.append(_safe_cell(str(value)))
        writer.writerow(cells)
    return out.getvalue()


def write_table_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain table as CSV, text cells kept from running as spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(c) if isinstance(c, str) else c for c in row])
    return out.getvalue()
