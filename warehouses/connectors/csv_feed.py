"""The CSV feed: a merchant's stock as a CSV file, fetched from a URL on the schedule or uploaded
on the merchant's page.

The file
--------
UTF-8 (a byte-order mark is allowed), comma-separated, fields quoted with `"` as in RFC 4180.
The first row is the header; column names are matched without regard to case or surrounding
spaces, in any order:

=================  ========  =====================================================================
column             required  meaning
=================  ========  =====================================================================
`sku`              yes       the product's master SKU (surrounding spaces are dropped)
`on_hand`          yes       Quantity On Hand
`warehouse`        no        the warehouse's code; empty (or no column) = the Default warehouse
`available`        no        Quantity Available; empty = on hand - allocated - on hold (at least 0)
`allocated`        no        allocated to orders not shipped yet; empty = not reported
`on_hold`          no        on hold; empty = not reported
`updated_at`       no        the warehouse system's time of the figure, ISO 8601 with a time zone
                             (`2026-01-05T10:00:00Z`, `2026-01-05 10:00:00+02:00`)
`name`             no        the product's name, kept exactly as written (any Unicode, also
                             right-to-left text)
`alias:<NAME>`     no        one column per alias name, e.g. `alias:UPC`, `alias:Amazon Seller SKU`;
                             an empty cell means no alias of that name
=================  ========  =====================================================================

Quantities are whole numbers from 0 to 1,000,000,000 written in digits (no sign, no decimals, no
thousands separators). Blank lines are ignored. Every other line is one (warehouse, SKU) pair,
which may appear only once in the file.

All or nothing
--------------
The file is read line by line, in constant memory, however long it is (the repeated-pair check
keeps its index in a temporary on-disk SQLite database, not in memory). Every line is checked. If
any line is wrong, the stream raises `PermanentError` *after the last line*, listing the first
`MAX_LISTED_ERRORS` errors with their line numbers and the count of the others; the download
applies nothing. Nothing is yielded after the first error (there is no point staging a download
that will be refused). A header that cannot be read stops at once.

Where it comes from
-------------------
- parameter `url`: fetched with a streamed GET through the shared HTTP client on every scheduled
  download; the optional secret `authorization` is sent as the `Authorization` header.
- parameter `path`: a file uploaded on the merchant's page, passed to one download only (it is
  not stored in the connection). It must lie inside the uploads folder (`CSV_UPLOAD_ROOT`,
  default `var/uploads/`), so a connection parameter cannot make the worker read another file.
"""

import codecs
import csv
import re
import secrets
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from urllib3.exceptions import ProtocolError

from integration_manager.connector_errors import (
    ConfigurationError,
    PermanentError,
    TransientError,
)
from integration_manager.http import HttpClient
from warehouses.connectors.base import (
    ParameterField,
    StockRecord,
    WarehouseConnector,
    WarehouseInfo,
)

# The download's own limits (sync.services.download), checked here so that every error carries
# its line number.
MAX_QUANTITY = 1_000_000_000
SKU_MAX_LENGTH = 255
WAREHOUSE_CODE_MAX_LENGTH = 128
ALIAS_NAME_MAX_LENGTH = 100
ALIAS_VALUE_MAX_LENGTH = 255
NAME_MAX_LENGTH = 255

MAX_LISTED_ERRORS = 50
# The run's message holds 5000 characters: the list stops before it would be cut.
MAX_REPORT_CHARS = 4800
MAX_LINE_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
DUPLICATE_BATCH_ROWS = 10_000

REQUIRED_COLUMNS = ("sku", "on_hand")
OPTIONAL_COLUMNS = (
    "warehouse",
    "available",
    "allocated",
    "on_hold",
    "updated_at",
    "name",
)
ALIAS_PREFIX = "alias:"

QUANTITY_COLUMNS = ("on_hand", "available", "allocated", "on_hold")

_DIGITS = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_DECIMAL = re.compile(r"[+-]?([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][+-]?[0-9]+)?")


def csv_upload_root() -> Path:
    """The folder uploaded CSV files are kept in (one sub-folder per merchant)."""
    return Path(getattr(settings, "CSV_UPLOAD_ROOT", settings.BASE_DIR / "var" / "uploads"))


@dataclass(frozen=True, order=True)
class LineError:
    line: int
    # Errors of one line keep the order of its columns.
    sequence: int = field(default=0, repr=False)
    message: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass
class _Header:
    """Where each known column is (its index in a row), and the alias columns."""

    width: int
    index: dict[str, int]
    aliases: list[tuple[str, int]] = field(default_factory=list)

    @property
    def sku(self) -> int:
        return self.index["sku"]


class CsvFeedError(PermanentError):
    """The file has bad lines. `errors` holds the first ones; `error_count` counts them all."""

    def __init__(self, message: str, *, errors: list[LineError], error_count: int) -> None:
        super().__init__(message)
        self.errors = errors
        self.error_count = error_count


class CsvFeedConnector(WarehouseConnector):
    """Stock from a CSV file (see the module docstring for the columns and the rules)."""

    key = "csv_feed"
    label = "CSV feed (a file at a URL, or uploaded)"
    parameter_fields = (
        ParameterField(
            "url",
            "Feed URL",
            "The CSV file is fetched from here on every scheduled download. Leave empty to "
            "upload files on the merchant's page instead.",
            is_required=False,
        ),
    )
    secret_fields = (
        ParameterField(
            "authorization",
            "Authorization header",
            "Sent as the Authorization header with the URL, e.g. 'Bearer abc…'.",
            is_required=False,
        ),
    )

    def __init__(
        self, *, parameters: Mapping[str, Any], secrets: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        self.url = str(self.parameters.get("url") or "").strip()
        self.path = str(self.parameters.get("path") or "")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"The CSV feed URL must start with http:// or https:// (it is {self.url[:80]!r})."
            )

    # --- the contract ------------------------------------------------------------------------

    def warehouses(self) -> Iterator[WarehouseInfo]:
        # A CSV file names warehouses by code only: the download creates them, named by code.
        yield from ()

    def stock(self) -> Iterator[StockRecord]:
        with self._byte_chunks() as chunks:
            yield from csv_stock_records(chunks, source=self._source_label())

    def check(self) -> str:
        with self._byte_chunks() as chunks:
            lines = _physical_lines(chunks)
            reader = csv.reader(_decoded_lines(lines, errors=[]))
            header = _read_header(reader)
        columns = len(header.index) + len(header.aliases)
        alias_names = ", ".join(name for name, _ in header.aliases) or "none"
        return (
            f"Read the header of {self._source_label()}: {columns} known columns "
            f"(aliases: {alias_names})."
        )

    # --- where the bytes come from -----------------------------------------------------------

    def _source_label(self) -> str:
        if self.path:
            return f"the uploaded file {Path(self.path).name}"
        return f"the CSV feed at {self.url}"

    def _byte_chunks(self):
        if self.path:
            return _file_chunks(self._checked_path())
        if self.url:
            return _url_chunks(self.url, authorization=self._secrets.get("authorization", ""))
        raise ConfigurationError(
            "The CSV feed has no URL. Set one in Edit Setup, or upload a file on the merchant's "
            "page (and set Synchronization With WMS – Inventory to Off so that nothing polls)."
        )

    def _checked_path(self) -> Path:
        root = csv_upload_root().resolve()
        path = Path(self.path).resolve()
        if not path.is_relative_to(root):
            raise ConfigurationError("The CSV file must be one uploaded on the merchant's page.")
        if not path.is_file():
            raise PermanentError(
                f"The uploaded file {path.name} is gone (uploads are kept for a limited time); "
                "upload it again."
            )
        return path


# --- uploads -----------------------------------------------------------------------------------

KEPT_UPLOADS = 10


def csv_upload_save(*, merchant_id: int, chunks: Iterable[bytes]) -> str:
    """Store an uploaded CSV file in the merchant's uploads folder and return its file name (what
    `download_request(csv_upload=...)` takes). The oldest files beyond the last `KEPT_UPLOADS` are
    deleted. The file is written under a temporary name and renamed, so a download never reads a
    half-written file."""
    folder = csv_upload_root() / str(merchant_id)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name = f"{stamp}-{secrets.token_hex(4)}.csv"
    partial = folder / f".{name}.part"
    with open(partial, "wb") as output:
        for chunk in chunks:
            output.write(chunk)
    partial.replace(folder / name)
    for old in sorted(folder.glob("*.csv"))[:-KEPT_UPLOADS]:
        old.unlink(missing_ok=True)
    return name


def csv_upload_connector(*, merchant_id: int, file_name: str) -> "CsvFeedConnector":
    """The CSV feed reading one uploaded file of the merchant (for one download)."""
    if not _UPLOAD_NAME.fullmatch(file_name):
        raise ValueError(f"not an uploaded file name: {file_name!r}")
    path = csv_upload_root() / str(merchant_id) / file_name
    return CsvFeedConnector(parameters={"path": str(path)})


_UPLOAD_NAME = re.compile(r"[0-9T]{15}-[0-9a-f]{8}\.csv")


class _ChunkSource:
    """A context manager yielding an iterator of byte chunks, closing its source on exit."""

    def __init__(self, chunks: Iterator[bytes], close) -> None:
        self.chunks = chunks
        self.close = close

    def __enter__(self) -> Iterator[bytes]:
        return self.chunks

    def __exit__(self, *exc_info) -> None:
        self.close()


def _file_chunks(path: Path) -> _ChunkSource:
    handle = open(path, "rb")  # noqa: SIM115 - closed by the _ChunkSource

    def chunks() -> Iterator[bytes]:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk

    return _ChunkSource(chunks(), handle.close)


def _url_chunks(url: str, *, authorization: str) -> _ChunkSource:
    headers = {"Accept": "text/csv, text/plain;q=0.9, */*;q=0.1"}
    if authorization:
        headers["Authorization"] = authorization
    client = HttpClient(
        base_url=url,
        platform="CSV feed",
        timeout=(5.0, 60.0),
        headers=headers,
        secrets=[authorization],
    )
    response = client.get(url, stream=True)

    def chunks() -> Iterator[bytes]:
        try:
            yield from response.iter_content(CHUNK_BYTES)
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.Timeout,
            ProtocolError,
        ) as error:
            raise TransientError(
                f"The CSV feed at {url} broke off while it was being read "
                f"({type(error).__name__}). Nothing was applied."
            ) from None

    return _ChunkSource(chunks(), response.close)


# --- parsing -----------------------------------------------------------------------------------


def csv_stock_records(
    chunks: Iterable[bytes], *, source: str = "the CSV file"
) -> Iterator[StockRecord]:
    """Parse a CSV feed given as byte chunks into stock records, checking every line; raises
    `CsvFeedError` after the last line when any was wrong (see the module docstring)."""
    errors = _ErrorList()
    decode_errors: list[LineError] = []
    reader = csv.reader(_decoded_lines(_physical_lines(chunks), errors=decode_errors))
    header = _read_header(reader)
    with _DuplicateFinder() as duplicates:
        previous_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                errors.add(
                    LineError(previous_line + 1, message=f"cannot be read as CSV ({error}).")
                )
                previous_line = reader.line_num
                continue
            line = previous_line + 1
            previous_line = reader.line_num
            while decode_errors:
                errors.add(decode_errors.pop())
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            record, messages, key = _record_from_row(row, header=header)
            for message in messages:
                errors.add(LineError(line, message=message))
            if key is not None:
                duplicates.add(key, line)
            if record is not None and not errors.count:
                yield record
        while decode_errors:
            errors.add(decode_errors.pop())
        for error in duplicates.errors(limit=MAX_LISTED_ERRORS):
            errors.add(error)
        errors.count += max(0, duplicates.count - MAX_LISTED_ERRORS)
    if errors.count:
        raise errors.as_exception(source)


class _ErrorList:
    """The first `MAX_LISTED_ERRORS` errors by line number, and how many there are in all."""

    def __init__(self) -> None:
        self.listed: list[LineError] = []
        self.count = 0

    def add(self, error: LineError) -> None:
        self.count += 1
        self.listed.append(LineError(error.line, self.count, error.message))
        if len(self.listed) > 2 * MAX_LISTED_ERRORS:
            self.listed = sorted(self.listed)[:MAX_LISTED_ERRORS]

    def as_exception(self, source: str) -> CsvFeedError:
        listed = sorted(self.listed)[:MAX_LISTED_ERRORS]
        noun = "error" if self.count == 1 else "errors"
        lines = [f"{source} has {self.count:,} {noun}; nothing was applied."]
        length = len(lines[0])
        shown = 0
        for error in listed:
            text = str(error)
            if length + len(text) + 1 > MAX_REPORT_CHARS:
                break
            lines.append(text)
            length += len(text) + 1
            shown += 1
        if self.count > shown:
            lines.append(f"… and {self.count - shown:,} more.")
        message = "\n".join(lines)
        return CsvFeedError(message[0].upper() + message[1:], errors=listed, error_count=self.count)


def _physical_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split byte chunks at b"\\n", keeping the ends. UTF-8 never uses that byte inside a
    character, so each line can be decoded on its own and a bad byte costs one line only."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        start = 0
        while True:
            end = pending.find(b"\n", start)
            if end < 0:
                break
            yield pending[start : end + 1]
            start = end + 1
        pending = pending[start:]
        if len(pending) > MAX_LINE_BYTES:
            raise PermanentError(
                f"The CSV file has a line longer than {MAX_LINE_BYTES // 1024} KiB (or is not a "
                "text file). Nothing was applied."
            )
    if pending:
        yield pending


def _decoded_lines(lines: Iterable[bytes], *, errors: list[LineError]) -> Iterator[str]:
    """Decode each physical line; an undecodable one is reported (by its physical number) and
    decoded with replacement characters so that the parser keeps its place."""
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            errors.append(
                LineError(
                    number, message=f"is not valid UTF-8 (byte {error.start + 1} of the line)."
                )
            )
            yield raw.decode("utf-8", errors="replace")


def _read_header(reader) -> _Header:
    try:
        names = next(reader)
    except StopIteration:
        raise PermanentError("The CSV file is empty: it has no header line.") from None
    except csv.Error as error:
        raise PermanentError(f"The CSV header cannot be read ({error}).") from None
    index: dict[str, int] = {}
    aliases: list[tuple[str, int]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, raw_name in enumerate(names):
        name = raw_name.strip().lower()
        if name in seen:
            problems.append(f"the column '{raw_name.strip()}' appears twice")
            continue
        seen.add(name)
        if name.startswith(ALIAS_PREFIX):
            alias_name = raw_name.strip()[len(ALIAS_PREFIX) :].strip()
            if not alias_name or len(alias_name) > ALIAS_NAME_MAX_LENGTH:
                problems.append(
                    f"the alias column '{raw_name.strip()}' needs a name of 1 to "
                    f"{ALIAS_NAME_MAX_LENGTH} characters after 'alias:'"
                )
            else:
                aliases.append((alias_name, position))
        elif name in REQUIRED_COLUMNS or name in OPTIONAL_COLUMNS:
            index[name] = position
        elif name:
            problems.append(f"the column '{raw_name.strip()[:60]}' is unknown")
        else:
            problems.append(f"column {position + 1} has no name")
    for required in REQUIRED_COLUMNS:
        if required not in index:
            problems.append(f"the required column '{required}' is missing")
    if problems:
        known = ", ".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "alias:<NAME>"))
        raise PermanentError(
            f"Line 1 (the header): {'; '.join(problems)}. The columns are: {known}. "
            "Nothing was applied."
        )
    return _Header(width=len(names), index=index, aliases=aliases)


def _bad_text(value: str) -> str:
    """Why a code (SKU, warehouse, alias) cannot be used: a control character (NUL included)."""
    found = _CONTROL.search(value)
    return f"contains the control character U+{ord(found.group()):04X}" if found else ""


def _record_from_row(
    row: list[str], *, header: _Header
) -> tuple[StockRecord | None, list[str], tuple[str, str] | None]:
    """The row as a record, or None and why not (every problem of the row, not just the
    first), and its (warehouse, SKU) key when it has a usable one (for the repeated-pair check).
    The hot loop of a big file: the common case takes the fast paths."""
    if len(row) != header.width:
        return None, [f"has {len(row)} cells; the header has {header.width}."], None
    messages: list[str] = []
    positions = header.index

    sku = row[header.sku].strip()
    key_is_usable = False
    if not sku:
        messages.append("the SKU is empty.")
    elif problem := _bad_text(sku):
        messages.append(f"the SKU {sku[:40]!r} {problem}.")
    elif len(sku) > SKU_MAX_LENGTH:
        messages.append(f"the SKU is longer than {SKU_MAX_LENGTH} characters.")
    else:
        key_is_usable = True

    position = positions.get("warehouse")
    warehouse = row[position].strip() if position is not None else ""
    if warehouse:
        if problem := _bad_text(warehouse):
            messages.append(f"the warehouse {warehouse[:40]!r} {problem}.")
            key_is_usable = False
        elif len(warehouse) > WAREHOUSE_CODE_MAX_LENGTH:
            messages.append(f"the warehouse is longer than {WAREHOUSE_CODE_MAX_LENGTH} characters.")
            key_is_usable = False

    quantities: list[int | None] = []
    for column in QUANTITY_COLUMNS:
        position = positions.get(column)
        text = row[position] if position is not None else ""
        if text.isascii() and text.isdigit() and len(text) < 10:
            quantities.append(int(text))  # the common case: fewer than 10 digits, no spaces
            continue
        value, problem = _quantity(text, column, is_required=column == "on_hand")
        if problem:
            messages.append(problem)
        quantities.append(value)

    position = positions.get("updated_at")
    updated_at, problem = _timestamp(row[position]) if position is not None else (None, "")
    if problem:
        messages.append(problem)

    position = positions.get("name")
    name = row[position] if position is not None else ""
    if name:
        if "\x00" in name:
            messages.append("the name contains a NUL character.")
        elif len(name) > NAME_MAX_LENGTH:
            messages.append(f"the name is longer than {NAME_MAX_LENGTH} characters.")

    aliases = []
    for alias_name, position in header.aliases:
        value = row[position].strip()
        if not value:
            continue
        if problem := _bad_text(value):
            messages.append(f"the {alias_name} alias {value[:40]!r} {problem}.")
        elif len(value) > ALIAS_VALUE_MAX_LENGTH:
            messages.append(
                f"the {alias_name} alias is longer than {ALIAS_VALUE_MAX_LENGTH} characters."
            )
        else:
            aliases.append((alias_name, value))

    key = (warehouse, sku) if key_is_usable else None
    if messages:
        return None, messages, key
    on_hand, available, allocated, on_hold = quantities
    return (
        StockRecord(
            warehouse_code=warehouse,
            sku=sku,
            quantity_on_hand=on_hand,
            quantity_available=available,
            quantity_allocated=allocated,
            quantity_on_hold=on_hold,
            wms_updated_at=updated_at,
            aliases=tuple(aliases),
            name=name,
        ),
        [],
        key,
    )


def _quantity(text: str, column: str, *, is_required: bool) -> tuple[int | None, str]:
    value = text.strip()
    if not value:
        return None, (f"{column} is empty." if is_required else "")
    shown = value if len(value) <= 30 else value[:27] + "..."
    if _DIGITS.fullmatch(value):
        number = int(value)
        if number > MAX_QUANTITY:
            return None, f"{column} {shown} is too large (at most {MAX_QUANTITY:,})."
        return number, ""
    if value.startswith("-") and _DIGITS.fullmatch(value[1:]):
        return None, f"{column} {shown} is negative."
    if _DECIMAL.fullmatch(value):
        return None, f"{column} {shown!r} is not a whole number."
    return None, f"{column} {shown!r} is not a number."


def _timestamp(text: str) -> tuple[datetime | None, str]:
    value = text.strip()
    if not value:
        return None, ""
    shown = value[:40]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, f"updated_at {shown!r} is not an ISO 8601 date and time."
    if moment.tzinfo is None:
        return None, (
            f"updated_at {shown!r} has no time zone (write e.g. 2026-01-05T10:00:00Z or …+02:00)."
        )
    return moment, ""


class _DuplicateFinder:
    """Finds (warehouse, SKU) pairs given on more than one line, in constant memory: the pairs
    go to a temporary on-disk SQLite database, and the repeats are one query at the end."""

    def __init__(self) -> None:
        self.count = 0
        self._batch: list[tuple[str, str, int]] = []

    def __enter__(self) -> "_DuplicateFinder":
        self._folder = tempfile.TemporaryDirectory(prefix="csv-feed-")
        self._database = sqlite3.connect(Path(self._folder.name) / "pairs.sqlite3")
        self._database.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-8000;"
            "PRAGMA temp_store=FILE;"
            "CREATE TABLE pair (warehouse TEXT NOT NULL, sku TEXT NOT NULL, line INTEGER);"
        )
        return self

    def __exit__(self, *exc_info) -> None:
        self._database.close()
        self._folder.cleanup()

    def add(self, key: tuple[str, str], line: int) -> None:
        self._batch.append((key[0], key[1], line))
        if len(self._batch) >= DUPLICATE_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._database.executemany("INSERT INTO pair VALUES (?, ?, ?)", self._batch)
            self._batch = []

    def errors(self, *, limit: int) -> list[LineError]:
        """The first `limit` repeated lines (by line number); `count` becomes the number of
        repeated lines in all."""
        self._flush()
        database = self._database
        database.execute("CREATE INDEX pair_key ON pair (warehouse, sku, line)")
        database.execute(
            "CREATE TEMPORARY TABLE first_line AS SELECT warehouse, sku, MIN(line) AS line,"
            " COUNT(*) AS times FROM pair GROUP BY warehouse, sku HAVING COUNT(*) > 1"
        )
        self.count = database.execute(
            "SELECT COALESCE(SUM(times - 1), 0) FROM first_line"
        ).fetchone()[0]
        if not self.count:
            return []
        rows = database.execute(
            "SELECT pair.line, first_line.line, pair.warehouse, pair.sku FROM pair"
            " JOIN first_line ON first_line.warehouse = pair.warehouse"
            " AND first_line.sku = pair.sku AND pair.line > first_line.line"
            " ORDER BY pair.line LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            LineError(
                line,
                message=f"SKU {sku[:60]} in warehouse '{warehouse or 'Default'}' is already on "
                f"line {first}.",
            )
            for line, first, warehouse, sku in rows
        ]
