"""Streaming article exports for pandas, R and friends: JSON Lines and CSV, and readers that undo them.

JSON Lines: one object per article; `authors`, `tags` and `paywall_signals` are real JSON arrays.
CSV: one row per article with a header; those three columns hold their JSON text, and an empty
field is NULL (except `text`, which is never NULL: an empty field there is an empty text).
`read_jsonl` and `read_csv` give back exactly the records `iter_articles` yields, so an export
round-trips. Rows are read from a cursor one at a time: memory stays flat on a large archive.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TextIO

import sqlite_utils

__all__ = [
    "EXPORT_FORMATS",
    "JSON_COLUMNS",
    "export_articles",
    "export_columns",
    "iter_articles",
    "read_csv",
    "read_jsonl",
]

ExportFormat = Literal["jsonl", "csv"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")

# Stored as JSON text in SQLite; exported as arrays in JSON Lines.
JSON_COLUMNS = ("authors", "tags", "paywall_signals")
# HTTP validators are crawl bookkeeping, not data about the article.
SKIPPED_COLUMNS = ("etag", "last_modified")
# Columns that are never NULL as text, so an empty CSV field means "" for them.
_NEVER_NULL_TEXT = ("text",)
_CSV_TYPES: dict[str, type] = {"INTEGER": int, "FLOAT": float, "REAL": float}


def export_columns(db: sqlite_utils.Database) -> list[str]:
    """The articles columns that an export carries, in table order."""
    return [c.name for c in db["articles"].columns if c.name not in SKIPPED_COLUMNS]


def column_types(db: sqlite_utils.Database) -> dict[str, type]:
    """Python types of the non-text export columns, for reading a CSV export back."""
    types = {}
    for column in db["articles"].columns:
        kind = _CSV_TYPES.get(column.type.upper())
        if kind is not None and column.name not in SKIPPED_COLUMNS:
            types[column.name] = kind
    return types


def iter_articles(
    db: sqlite_utils.Database,
    *,
    outlets: Sequence[str] = (),
    since: str | None = None,
    access: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Articles in archive order (id), JSON columns decoded to lists.

    `since` is an ISO date or time compared with `published` (or, for an article without a
    publication date, when it was first seen).
    """
    columns = export_columns(db)
    where: list[str] = []
    params: list[Any] = []
    if outlets:
        where.append(f"outlet IN ({', '.join('?' for _ in outlets)})")
        params.extend(outlets)
    if since:
        # julianday() reads the UTC offsets: text comparison would order "23:30-05:00" before "01:00+02:00".
        where.append("julianday(COALESCE(published, first_seen)) >= julianday(?)")
        params.append(since)
    if access:
        where.append("access = ?")
        params.append(access)
    sql = f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM articles"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    json_indexes = [i for i, column in enumerate(columns) if column in JSON_COLUMNS]
    for row in db.execute(sql, params):
        values = list(row)
        for i in json_indexes:
            values[i] = _decode_json(values[i])
        yield dict(zip(columns, values, strict=True))


def _decode_json(value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        # A hand-edited or legacy value: keep it as it is rather than lose it.
        return value


def _encode_json(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def write_jsonl(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def write_csv(records: Iterable[Mapping[str, Any]], out: TextIO, columns: Sequence[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([_encode_json(record[c]) if c in JSON_COLUMNS else record[c] for c in columns])
        count += 1
    return count


def export_articles(
    db: sqlite_utils.Database,
    out: TextIO,
    fmt: ExportFormat,
    *,
    outlets: Sequence[str] = (),
    since: str | None = None,
    access: str | None = None,
) -> int:
    """Write the selected articles to `out` as JSON Lines or CSV; returns how many."""
    records = iter_articles(db, outlets=outlets, since=since, access=access)
    if fmt == "jsonl":
        return write_jsonl(records, out)
    if fmt == "csv":
        return write_csv(records, out, export_columns(db))
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")


def read_jsonl(stream: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in stream:
        if line.strip():
            yield json.loads(line)


def read_csv(stream: Iterable[str], types: Mapping[str, type]) -> Iterator[dict[str, Any]]:
    """Records from a CSV export, typed as the archive has them (`types`: see column_types())."""
    for row in csv.DictReader(stream):
        record: dict[str, Any] = {}
        for column, text in row.items():
            if text == "" and column not in _NEVER_NULL_TEXT:
                record[column] = None
            elif column in JSON_COLUMNS:
                record[column] = _decode_json(text)
            elif column in types:
                record[column] = types[column](text)
            else:
                record[column] = text
        yield record
