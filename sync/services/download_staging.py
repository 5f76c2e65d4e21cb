# ruff: noqa: S608 - only table names (model metadata and constants) are interpolated; every
# value is a query parameter.
"""The set-based half of the inventory download: staging tables and the SQL that applies them.

A download streams the warehouse system's records into two temporary tables of the database
session (`download_stage`, `download_alias_stage`): on PostgreSQL with `COPY`, elsewhere with
batched inserts. Each staged record names its warehouse by a small number, its slot (the order
in which the download first met the warehouse's code). Nothing of the merchant's data is
touched while the records arrive, so a failure part way applies nothing. The checks
(duplicates, alias conflicts, a suspicious drop) are queries on the staging tables, and
`apply()` writes everything with a handful of statements, the levels with one
`INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM … RETURNING` that yields exactly
the changed rows. No row is saved through the ORM one by one.

On PostgreSQL a full download also copies the merchant's current levels into a third temporary
table (`download_stage_current`) while the records are still arriving: the database has a core
to spare while Python reads, and comparing a million staged levels with that copy (one hash
join) costs a fraction of a million index look-ups after the read.

Temporary tables belong to the connection, so two downloads of different merchants on different
connections never see each other's staging.
"""

import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from django.db import connection

from warehouses.models import Alias, InventoryLevel, InventoryLevelChange, Product

STAGE = "download_stage"
ALIAS_STAGE = "download_alias_stage"
WAREHOUSE_STAGE = "download_stage_warehouse"
PRODUCT_STAGE = "download_stage_product"
CURRENT_STAGE = "download_stage_current"
BATCH_ROWS = 20_000
# Batches the reader may run ahead of the helper connection (about 1 MB of COPY text each): room
# for the copy of the current levels, which the helper makes before the first batch.
PIPE_BATCHES = 32
# The duplicate check folded into the per-SKU aggregate sums one bit per warehouse slot.
SLOT_BITS = 63
# Memory for the hash aggregates and joins over a million staged rows (PostgreSQL's default 4 MB
# spills them to disk); set for the download's session only.
WORK_MEM = "128MB"
ANALYZE_AFTER_NEW_PRODUCTS = 1_000

P = Product._meta.db_table
A = Alias._meta.db_table
L = InventoryLevel._meta.db_table
H = InventoryLevelChange._meta.db_table

# (warehouse slot, sku, name, on_hand, available, allocated, on_hold, wms_updated_at); on
# PostgreSQL the COPY line carries the time as microseconds since the epoch (see `epoch_us`).
StockRow = tuple[int, str, str, int, int, int | None, int | None, datetime | None]
# (sku, alias name, alias value)
AliasRow = tuple[str, str, str]

COPY_NULL = "\\N"  # COPY's text format for NULL
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(moment: datetime) -> int:
    """A timezone-aware time as whole microseconds since the epoch, exactly."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


@dataclass(frozen=True)
class SuspiciousCounts:
    existing: int
    vanished: int
    dropped_to_zero: int


@dataclass(frozen=True)
class AliasConflict:
    value: str
    first_sku: str
    second_sku: str
    first_name: str
    second_name: str


@dataclass(frozen=True)
class ApplyResult:
    new_products: int
    new_aliases: int
    levels_changed: int
    not_reported: int


class DownloadStaging:
    """The staging tables of one download on the current connection. Use as a context manager:
    the tables are created on entry and dropped on exit."""

    def __init__(self, *, merchant_id: int, copies_current: bool = True) -> None:
        """`copies_current=False` skips the copy of the merchant's current levels (a partial
        update names a few SKUs: looking their levels up is cheaper than copying them all)."""
        self.merchant_id = merchant_id
        self.is_postgresql = connection.vendor == "postgresql"
        self.copies_current = copies_current and self.is_postgresql
        # Warehouse code -> slot, filled by the rows' producer as it meets the codes.
        self.warehouse_slots: dict[str, int] = {}
        # Alias rows of the records read so far, appended by the rows' producer; `load()`
        # stages them batch by batch.
        self.pending_aliases: list[AliasRow] = []
        self.alias_rows = 0
        self.staged_products = 0
        self.maybe_duplicates = 0
        # What the copy of the current levels saw: the merchant's products then (how many, and
        # the highest id), so that `apply()` can tell whether one was deleted since.
        self._current: tuple[int, int] | None = None
        self._pipe: _CopyPipe | None = None

    # --- life ------------------------------------------------------------------------------------

    def __enter__(self) -> "DownloadStaging":
        self._drop()
        # PostgreSQL stages the WMS time as microseconds since the epoch: a COPY parses an
        # integer in a fraction of the time of a timestamp, and only the changed levels need
        # the time itself.
        timestamp = "bigint" if self.is_postgresql else "text"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGE} (warehouse integer NOT NULL, sku text NOT NULL,"
                " name text NOT NULL, on_hand integer NOT NULL, available integer NOT NULL,"
                f" allocated integer, on_hold integer, wms_updated_at {timestamp})"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {ALIAS_STAGE} (sku text NOT NULL, name text NOT NULL,"
                " value text NOT NULL)"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {WAREHOUSE_STAGE} (slot integer NOT NULL,"
                " warehouse_id bigint NOT NULL)"
            )
            # One row per staged SKU: its name, its highest available and whether it may be
            # reported twice for one warehouse, built once after the load for the product
            # writes and the checks; with the copy of the current levels, also the product it
            # names (NULL: a new one), whether that product was reported before and whether its
            # row changes.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {PRODUCT_STAGE} (sku text NOT NULL, name text NOT NULL,"
                " max_available integer NOT NULL, maybe_duplicate boolean NOT NULL,"
                " product_id bigint, was_reported boolean, needs_update boolean)"
            )
            if self.copies_current:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {CURRENT_STAGE} (sku text NOT NULL,"
                    " warehouse_id bigint NOT NULL, product_id bigint NOT NULL,"
                    " quantity_on_hand integer NOT NULL, quantity_available integer NOT NULL,"
                    " quantity_allocated integer, quantity_on_hold integer)"
                )
            if self.is_postgresql:
                cursor.execute(f"SET work_mem = '{WORK_MEM}'")
                # Compiling these one-off statements (with inlining and optimisation, as their
                # cost estimates ask) takes seconds and saves little: they read and write rows.
                cursor.execute("SET jit = off")
        return self

    def __exit__(self, *exc_info) -> None:
        if connection.needs_rollback:
            # The surrounding transaction is broken: its rollback (or the session's end) takes
            # the temporary tables with it.
            return
        self._drop()
        if self.is_postgresql:
            with connection.cursor() as cursor:
                cursor.execute("RESET work_mem")
                cursor.execute("RESET jit")

    def _drop(self) -> None:
        with connection.cursor() as cursor:
            for table in (STAGE, ALIAS_STAGE, WAREHOUSE_STAGE, PRODUCT_STAGE, CURRENT_STAGE):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    # --- loading ---------------------------------------------------------------------------------

    @property
    def loads_copy_lines(self) -> bool:
        """Whether `load()` takes each stock row as its line of `COPY` text (PostgreSQL)."""
        return self.is_postgresql

    def load(self, stock_rows: Iterator[StockRow | str]) -> None:
        """Stream the stock rows into the staging tables, in batches; each row is its line of
        `COPY` text when `loads_copy_lines`. The producer of the rows fills `warehouse_slots`
        and appends each record's alias rows to `pending_aliases` as it goes.

        Runs outside any transaction: the stream comes from the network, and each batch commits
        into the temporary tables only.
        """
        self._pipe = _CopyPipe() if self.is_postgresql else None
        try:
            if self._pipe is not None:
                if self.copies_current:
                    self._pipe.call(self._copy_current)
                # `join` pulls a batch of lines from the producer in C, with no Python loop.
                while text := "".join(islice(stock_rows, BATCH_ROWS)):
                    self._pipe.send(STAGE, text)
                    self._flush_aliases(at_least=BATCH_ROWS)
            else:
                while batch := list(islice(stock_rows, BATCH_ROWS)):
                    self._insert(STAGE, batch)
                    self._flush_aliases(at_least=BATCH_ROWS)
            self._flush_aliases(at_least=1)
        except BaseException:
            if self._pipe is not None:
                self._pipe.close(raise_error=False)  # the stream's error is the one to report
            raise
        if self._pipe is not None:
            self._pipe.close()
        with connection.cursor() as cursor:
            if self.is_postgresql:
                # Temporary tables are never analysed by autovacuum: without statistics the
                # planner guesses a few rows and joins a million with nested loops.
                cursor.execute(f"ANALYZE {STAGE}")
                if self.alias_rows:
                    cursor.execute(f"ANALYZE {ALIAS_STAGE}")
                # The duplicate check, folded in: a SKU has fewer warehouse bits set than
                # records exactly when one warehouse comes twice (slots past SLOT_BITS share
                # bits, which can only flag a SKU that `duplicate_records` then clears).
                maybe_duplicate = (
                    f"COUNT(*) <> bit_count(BIT_OR(1::bigint << mod(warehouse, {SLOT_BITS}))"
                    "::bit(64))"
                )
            else:
                cursor.execute(f"CREATE INDEX {STAGE}_sku ON {STAGE} (sku)")
                cursor.execute(f"CREATE INDEX {ALIAS_STAGE}_sku ON {ALIAS_STAGE} (sku, name)")
                maybe_duplicate = "COUNT(*) <> COUNT(DISTINCT warehouse)"
            aggregate = (
                f"SELECT sku, MAX(name) AS name, MAX(available) AS max_available,"
                f" {maybe_duplicate} AS maybe_duplicate FROM {STAGE} GROUP BY sku"
            )
            if self.copies_current:
                # Each SKU's product looked up once, here, for the checks and the writes.
                cursor.execute(
                    f"INSERT INTO {PRODUCT_STAGE} SELECT z.sku, z.name, z.max_available,"
                    " z.maybe_duplicate, p.id,"
                    " COALESCE(p.last_reported_at IS NOT NULL AND p.not_reported_since IS NULL,"
                    " FALSE),"
                    " COALESCE(p.not_reported_since IS NOT NULL OR p.last_reported_at IS NULL"
                    " OR (z.name <> '' AND z.name <> p.name), FALSE)"
                    f" FROM ({aggregate}) z"
                    f" LEFT JOIN {P} p ON p.merchant_id = %s AND p.sku = z.sku",
                    [self.merchant_id],
                )
            else:
                cursor.execute(
                    f"INSERT INTO {PRODUCT_STAGE} (sku, name, max_available, maybe_duplicate)"
                    f" {aggregate}"
                )
            self.staged_products = cursor.rowcount
            cursor.execute(f"SELECT COUNT(*) FROM {PRODUCT_STAGE} WHERE maybe_duplicate")
            (self.maybe_duplicates,) = cursor.fetchone()
            if self.is_postgresql:
                cursor.execute(f"ANALYZE {PRODUCT_STAGE}")
            else:
                cursor.execute(f"CREATE UNIQUE INDEX {PRODUCT_STAGE}_sku ON {PRODUCT_STAGE} (sku)")

    def _flush_aliases(self, *, at_least: int) -> None:
        aliases = self.pending_aliases
        if len(aliases) < at_least:
            return
        self.alias_rows += len(aliases)
        if self._pipe is not None:
            self._pipe.send(ALIAS_STAGE, _copy_alias_lines(aliases))
        else:
            self._insert(ALIAS_STAGE, aliases)
        aliases.clear()  # the producer keeps appending to the same list

    def _insert(self, table: str, rows: list) -> None:
        with connection.cursor() as cursor:
            if table == STAGE:
                adapt = connection.ops.adapt_datetimefield_value
                cursor.executemany(
                    f"INSERT INTO {STAGE} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(*row[:7], adapt(row[7])) for row in rows],
                )
            else:
                cursor.executemany(f"INSERT INTO {ALIAS_STAGE} VALUES (%s, %s, %s)", rows)

    def _copy_current(self, cursor) -> None:
        """On the helper connection, before the first batch: copy the merchant's levels, and
        count its products, in one statement (one snapshot of the database)."""
        cursor.execute(
            f"WITH copied AS (INSERT INTO {CURRENT_STAGE} SELECT p.sku, l.warehouse_id,"
            " l.product_id, l.quantity_on_hand, l.quantity_available, l.quantity_allocated,"
            f" l.quantity_on_hold FROM {P} p JOIN {L} l ON l.product_id = p.id"
            " WHERE p.merchant_id = %s)"
            f" SELECT COUNT(*), COALESCE(MAX(id), 0) FROM {P} WHERE merchant_id = %s",
            [self.merchant_id, self.merchant_id],
        )
        self._current = cursor.fetchone()
        cursor.execute(f"ANALYZE {CURRENT_STAGE}")

    # --- checks (read-only) ----------------------------------------------------------------------

    def duplicate_records(self, *, limit: int = 3) -> list[tuple[str, str]]:
        """(warehouse code, SKU) pairs reported more than once. Only the SKUs the per-SKU
        aggregate flagged are grouped (none, in a download without duplicates)."""
        if not self.maybe_duplicates:
            return []
        rows = self._rows(
            f"SELECT warehouse, sku FROM {STAGE} WHERE sku IN"
            f" (SELECT sku FROM {PRODUCT_STAGE} WHERE maybe_duplicate)"
            " GROUP BY warehouse, sku HAVING COUNT(*) > 1 ORDER BY sku, warehouse LIMIT %s",
            [limit],
        )
        codes = {slot: code for code, slot in self.warehouse_slots.items()}
        return [(codes[slot], sku) for slot, sku in rows]

    def alias_name_conflicts(self, *, limit: int = 3) -> list[tuple[str, str, str, str]]:
        """(SKU, alias name, one value, another value): one product, two codes for one name."""
        if not self.alias_rows:
            return []
        return self._rows(
            f"SELECT sku, name, MIN(value), MAX(value) FROM {ALIAS_STAGE} GROUP BY sku, name"
            " HAVING COUNT(DISTINCT value) > 1 ORDER BY sku, name LIMIT %s",
            [limit],
        )

    def alias_value_conflicts(self, *, limit: int = 3) -> list[AliasConflict]:
        """Alias codes that, once applied, would identify two products (or one product twice):
        the reported aliases together with the stored ones they do not replace."""
        if not self.alias_rows:
            return []
        rows = self._rows(
            f"SELECT value, MIN(sku), MAX(sku), MIN(name), MAX(name) FROM ("
            f" SELECT sku, name, value FROM {ALIAS_STAGE}"
            " UNION"
            f" SELECT p.sku, a.name, a.value FROM {A} a JOIN {P} p ON p.id = a.product_id"
            " WHERE a.merchant_id = %s AND NOT EXISTS ("
            f"  SELECT 1 FROM {ALIAS_STAGE} s WHERE s.sku = p.sku AND s.name = a.name)"
            ") final GROUP BY value HAVING COUNT(*) > 1 ORDER BY value LIMIT %s",
            [self.merchant_id, limit],
        )
        return [AliasConflict(*row) for row in rows]

    def suspicious_counts(self) -> SuspiciousCounts:
        """How many of the merchant's currently reported products this download drops: not
        reported any more, or reported with 0 available everywhere while they have some now."""
        reported = "p.merchant_id = %s AND p.last_reported_at IS NOT NULL"
        reported += " AND p.not_reported_since IS NULL"
        ((existing,),) = self._rows(
            f"SELECT COUNT(*) FROM {P} p WHERE {reported}", [self.merchant_id]
        )
        if not existing:
            return SuspiciousCounts(existing=0, vanished=0, dropped_to_zero=0)
        if self.copies_current:
            # The staged SKUs know their products (see `load()`).
            ((still_reported, dropped),) = self._rows(
                f"SELECT COUNT(*), COUNT(*) FILTER (WHERE z.max_available = 0 AND EXISTS"
                f" (SELECT 1 FROM {L} l WHERE l.product_id = z.product_id"
                f" AND l.quantity_available > 0)) FROM {PRODUCT_STAGE} z WHERE z.was_reported",
                [],
            )
            return SuspiciousCounts(
                existing=existing,
                vanished=max(existing - still_reported, 0),
                dropped_to_zero=dropped,
            )
        ((vanished,),) = self._rows(
            f"SELECT COUNT(*) FROM {P} p WHERE {reported}"
            f" AND NOT EXISTS (SELECT 1 FROM {PRODUCT_STAGE} s WHERE s.sku = p.sku)",
            [self.merchant_id],
        )
        ((dropped,),) = self._rows(
            f"SELECT COUNT(*) FROM {P} p JOIN {PRODUCT_STAGE} z ON z.sku = p.sku"
            f" WHERE z.max_available = 0 AND {reported}"
            f" AND EXISTS (SELECT 1 FROM {L} l WHERE l.product_id = p.id"
            " AND l.quantity_available > 0)",
            [self.merchant_id],
        )
        return SuspiciousCounts(existing=existing, vanished=vanished, dropped_to_zero=dropped)

    # --- apply (inside one transaction) ----------------------------------------------------------

    def apply(
        self,
        *,
        warehouse_ids: dict[str, int],
        now: datetime,
        run_id: int,
        mark_not_reported: bool = True,
    ) -> ApplyResult:
        """Write the staged download. Call inside `transaction.atomic()`, after the checks.

        `warehouse_ids` maps every staged warehouse code to its warehouse (created beforehand).
        `mark_not_reported=False` (a partial update) leaves the products it does not report
        alone instead of flagging them as not reported.
        """
        stamp = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {WAREHOUSE_STAGE} (slot, warehouse_id) VALUES (%s, %s)",
                [(self.warehouse_slots[code], pk) for code, pk in warehouse_ids.items()],
            )
            if self.is_postgresql:
                cursor.execute(f"ANALYZE {WAREHOUSE_STAGE}")  # a few rows, not the guessed 1,200
            compares_current = self._current_still_valid(cursor)
            new_products = self._apply_products(cursor, stamp, attached=compares_current)
            if self.is_postgresql and new_products > ANALYZE_AFTER_NEW_PRODUCTS:
                # The planner's statistics still describe the table before these products:
                # without fresh ones it joins a million staged rows as if there were none.
                cursor.execute(f"ANALYZE {P}")
            new_aliases = self._apply_aliases(cursor, stamp) if self.alias_rows else 0
            levels_changed = self._apply_levels(
                cursor,
                stamp,
                run_id,
                new_products=new_products,
                compares_current=compares_current,
            )
            not_reported = 0
            if mark_not_reported:
                # Only the products that flip: reported before (or made by hand), not now.
                if compares_current:
                    # By product id, among the products the copy saw (a later one, made by
                    # hand while the download read, is judged by the next download).
                    _, highest_id = self._current
                    reported_now = f"s.product_id = {P}.id"
                    params = [stamp, stamp, self.merchant_id, highest_id]
                    seen = " AND id <= %s"
                else:
                    reported_now = f"s.sku = {P}.sku"
                    params = [stamp, stamp, self.merchant_id]
                    seen = ""
                cursor.execute(
                    f"UPDATE {P} SET not_reported_since = %s, updated_at = %s"
                    f" WHERE merchant_id = %s{seen} AND not_reported_since IS NULL AND NOT EXISTS"
                    f" (SELECT 1 FROM {PRODUCT_STAGE} s WHERE {reported_now})",
                    params,
                )
                not_reported = cursor.rowcount
        return ApplyResult(
            new_products=new_products,
            new_aliases=new_aliases,
            levels_changed=levels_changed,
            not_reported=not_reported,
        )

    def _current_still_valid(self, cursor) -> bool:
        """Whether the copy of the current levels still describes them. Levels are written by
        this merchant's downloads only (one at a time; the admin shows them read-only), so
        the one way they can change since the copy is a product deleted with its levels: then
        the products the copy saw are no longer all there."""
        if self._current is None:
            return False
        products, highest_id = self._current
        ((still_there,),) = self._rows(
            f"SELECT COUNT(*) FROM {P} WHERE merchant_id = %s AND id <= %s",
            [self.merchant_id, highest_id],
        )
        return still_there == products

    def _apply_products(self, cursor, stamp, *, attached: bool) -> int:
        """Create the new products and update the ones whose row changes; returns how many
        were created.

        Only the rows that change are written: a product reported again after it was flagged
        (unflagged), one made by hand and now reported, one whose reported name differs. The
        other reported products are not rewritten: `last_reported_at` is the time of the
        download that first reported the product, reported it again after a flag, renamed it
        or changed one of its levels (stamped with the levels, see `_apply_levels`); that every
        product not flagged was in the latest download is what the flag says.

        `attached`: the staged SKUs know their products and which rows change (see `load()`),
        and those products are all still there.
        """
        merchant_id = self.merchant_id
        if attached:
            cursor.execute(
                f"INSERT INTO {P} (merchant_id, sku, name, last_reported_at, not_reported_since,"
                " created_at, updated_at)"
                f" SELECT %s, s.sku, s.name, %s, NULL, %s, %s FROM {PRODUCT_STAGE} s"
                " WHERE s.product_id IS NULL"
                " ORDER BY s.sku ON CONFLICT (merchant_id, sku) DO NOTHING",
                [merchant_id, stamp, stamp, stamp],
            )
            new_products = cursor.rowcount
            cursor.execute(
                f"UPDATE {P} SET last_reported_at = %s, not_reported_since = NULL,"
                f" name = CASE WHEN s.name = '' THEN {P}.name ELSE s.name END, updated_at = %s"
                f" FROM {PRODUCT_STAGE} s WHERE s.needs_update AND {P}.id = s.product_id"
                f" AND {P}.merchant_id = %s",
                [stamp, stamp, merchant_id],
            )
            return new_products
        cursor.execute(
            f"INSERT INTO {P} (merchant_id, sku, name, last_reported_at, not_reported_since,"
            " created_at, updated_at)"
            f" SELECT %s, s.sku, s.name, %s, NULL, %s, %s FROM {PRODUCT_STAGE} s"
            f" WHERE NOT EXISTS (SELECT 1 FROM {P} p WHERE p.merchant_id = %s AND p.sku = s.sku)"
            # In SKU order: each index on the product table then grows at its end, and the new
            # ids follow the SKUs (see the level upsert's ORDER BY).
            " ORDER BY s.sku ON CONFLICT (merchant_id, sku) DO NOTHING",
            [merchant_id, stamp, stamp, stamp, merchant_id],
        )
        new_products = cursor.rowcount
        if new_products < self.staged_products:
            cursor.execute(
                f"UPDATE {P} SET last_reported_at = %s, not_reported_since = NULL,"
                f" name = CASE WHEN s.name = '' THEN {P}.name ELSE s.name END, updated_at = %s"
                f" FROM {PRODUCT_STAGE} s WHERE {P}.merchant_id = %s AND {P}.sku = s.sku"
                f" AND ({P}.not_reported_since IS NOT NULL OR {P}.last_reported_at IS NULL"
                f" OR (s.name <> '' AND s.name <> {P}.name))",
                [stamp, stamp, merchant_id],
            )
        return new_products

    def _apply_aliases(self, cursor, stamp) -> int:
        # A reported alias replaces the product's code for that name; codes added by hand under
        # other names stay. Delete the replaced codes first so that codes swapped between two
        # products in one download never collide.
        cursor.execute(
            f"DELETE FROM {A} WHERE id IN ("
            f" SELECT a.id FROM {A} a JOIN {P} p ON p.id = a.product_id"
            f" JOIN {ALIAS_STAGE} s ON s.sku = p.sku AND s.name = a.name"
            " WHERE a.merchant_id = %s AND a.value <> s.value)",
            [self.merchant_id],
        )
        cursor.execute(
            f"INSERT INTO {A} (merchant_id, product_id, name, value, created_at)"
            f" SELECT DISTINCT %s, p.id, s.name, s.value, %s FROM {ALIAS_STAGE} s"
            f" JOIN {P} p ON p.merchant_id = %s AND p.sku = s.sku WHERE TRUE"
            " ON CONFLICT DO NOTHING",
            [self.merchant_id, stamp, self.merchant_id],
        )
        return cursor.rowcount

    def _apply_levels(
        self, cursor, stamp, run_id: int, *, new_products: int, compares_current: bool
    ) -> int:
        """Upsert the levels; the changed ones become history rows. Returns how many changed.

        History (the product chart): one row per change of an existing level, recorded against
        the run. A level's first figure is not copied into the history when the level is
        created: the level itself (`loaded_at`, its quantities) is that point. When the level
        first changes, the figure it had (at its `loaded_at`, without a run) is recorded along
        with the new one, so that a level's history, once it has one, is complete; the chart
        shows a level without history as its single current point.

        `compares_current`: compare with the copy of the current levels (a hash join) instead
        of looking each staged level up.
        """
        columns = (
            "quantity_on_hand",
            "quantity_available",
            "quantity_allocated",
            "quantity_on_hold",
        )
        staged = ("s.on_hand", "s.available", "s.allocated", "s.on_hold")
        if self.is_postgresql:
            changed_when = (
                f"({', '.join(f'{L}.{c}' for c in columns)}) IS DISTINCT FROM"
                f" ({', '.join(f'excluded.{c}' for c in columns)})"
            )
            differs = (
                f"({', '.join(f'o.{c}' for c in columns)}) IS DISTINCT FROM ({', '.join(staged)})"
            )
        else:
            changed_when = " OR ".join(f"{L}.{c} IS NOT excluded.{c}" for c in columns)
            differs = " OR ".join(f"o.{c} IS NOT {v}" for c, v in zip(columns, staged, strict=True))
        # The source is narrowed to the new and the different levels before the upsert, so that
        # an unchanged level is only read, never locked or rewritten; the upsert's own WHERE
        # still decides (a concurrent writer cannot make it write an unchanged row).
        if self.is_postgresql:
            # A look-up per staged level (LIMIT 1: there is at most one), not a hash of the
            # whole level table (every merchant's levels).
            existing_level = (
                " LEFT JOIN LATERAL (SELECT id, quantity_on_hand, quantity_available,"
                f" quantity_allocated, quantity_on_hold FROM {L}"
                " WHERE product_id = p.id AND warehouse_id = w.warehouse_id LIMIT 1) o ON TRUE"
            )
        else:
            existing_level = (
                f" LEFT JOIN {L} o ON o.product_id = p.id AND o.warehouse_id = w.warehouse_id"
            )
        staged = f" FROM {STAGE} s JOIN {WAREHOUSE_STAGE} w ON w.slot = s.warehouse"
        staged_levels = f"{staged} JOIN {P} p ON p.merchant_id = %s AND p.sku = s.sku"
        product_id = "p.id"
        wms_updated_at = "s.wms_updated_at"
        if self.is_postgresql:
            # Whole seconds, then the microseconds: both exact (a double holds the seconds).
            wms_updated_at = (
                "to_timestamp(s.wms_updated_at / 1000000)"
                " + mod(s.wms_updated_at, 1000000) * interval '1 microsecond'"
            )
        upsert_params = [stamp, self.merchant_id]
        source = f"{staged_levels}{existing_level} WHERE (o.id IS NULL OR {differs})"
        is_first_load = self.is_postgresql and new_products == self.staged_products
        if is_first_load:
            # Every reported product was created by this download (a merchant's first load):
            # every level is new, so none is compared and none has a history.
            source = f"{staged_levels} WHERE TRUE"
        elif compares_current:
            # The copy knows each current level's product; a staged level it lacks is new and
            # looks its product up (only those rows: COALESCE stops at the copy's id).
            product_id = (
                f"COALESCE(o.product_id, (SELECT id FROM {P} WHERE merchant_id = %s"
                " AND sku = s.sku))"
            )
            upsert_params = [self.merchant_id, stamp]
            source = (
                f"{staged} LEFT JOIN {CURRENT_STAGE} o ON o.sku = s.sku"
                f" AND o.warehouse_id = w.warehouse_id WHERE (o.product_id IS NULL OR {differs})"
            )
        upsert = (
            f"INSERT INTO {L} (product_id, warehouse_id, quantity_on_hand, quantity_available,"
            " quantity_allocated, quantity_on_hold, wms_updated_at, loaded_at)"
            f" SELECT {product_id}, w.warehouse_id, s.on_hand, s.available, s.allocated,"
            f" s.on_hold, {wms_updated_at}, %s{source}"
            # In the unique index's order: a million new levels are then appended to the index
            # instead of being scattered over it, and the foreign-key checks at commit read the
            # products in order (about half the time of the connector's order on PostgreSQL).
            " ORDER BY 1, 2"
            " ON CONFLICT (product_id, warehouse_id) DO UPDATE SET"
            " quantity_on_hand = excluded.quantity_on_hand,"
            " quantity_available = excluded.quantity_available,"
            " quantity_allocated = excluded.quantity_allocated,"
            " quantity_on_hold = excluded.quantity_on_hold,"
            " wms_updated_at = excluded.wms_updated_at, loaded_at = excluded.loaded_at"
            f" WHERE {changed_when}"
            " RETURNING product_id, warehouse_id, quantity_on_hand, quantity_available"
        )
        history = (
            f"INSERT INTO {H} (product_id, warehouse_id, quantity_on_hand, quantity_available,"
            " recorded_at, run_id)"
        )
        no_history = (
            f"NOT EXISTS (SELECT 1 FROM {H} h WHERE h.product_id = o.product_id"
            " AND h.warehouse_id = o.warehouse_id)"
        )
        if is_first_load:
            cursor.execute(upsert.rsplit(" RETURNING ", 1)[0], upsert_params)
            return cursor.rowcount
        if self.is_postgresql:
            # One statement. Every part of it reads the tables as they were before it, so `o`
            # below is the level before the upsert changed it; a level created by the upsert
            # has no `o` and no history row.
            cursor.execute(
                f"WITH changed AS ({upsert}), recorded AS ({history}"
                " SELECT o.product_id, o.warehouse_id, v.on_hand, v.available, v.recorded_at,"
                " v.run_id FROM changed c"
                # LIMIT 1 (there is at most one) keeps this a lookup per changed level
                # rather than a hash of the whole level table.
                " CROSS JOIN LATERAL (SELECT product_id, warehouse_id, quantity_on_hand,"
                f" quantity_available, loaded_at FROM {L}"
                " WHERE product_id = c.product_id AND warehouse_id = c.warehouse_id LIMIT 1) o"
                " CROSS JOIN LATERAL (VALUES"
                " (c.quantity_on_hand, c.quantity_available, %s::timestamptz, %s::bigint, FALSE),"
                " (o.quantity_on_hand, o.quantity_available, o.loaded_at, NULL, TRUE)"
                ") v (on_hand, available, recorded_at, run_id, is_first)"
                f" WHERE NOT v.is_first OR {no_history} RETURNING 1),"
                f" stamped AS (UPDATE {P} SET last_reported_at = %s"
                f" WHERE id IN (SELECT product_id FROM changed)"
                " AND last_reported_at IS DISTINCT FROM %s RETURNING 1)"
                " SELECT (SELECT COUNT(*) FROM changed)",
                [*upsert_params, stamp, run_id, stamp, stamp],
            )
            (count,) = cursor.fetchone()
            return count
        # SQLite: the levels about to change (and whether each has a history yet), then the
        # upsert, then the history rows of the levels that existed before it.
        cursor.execute(
            "SELECT o.product_id, o.warehouse_id, o.quantity_on_hand, o.quantity_available,"
            f" o.loaded_at, {no_history} {source.replace('LEFT JOIN', 'JOIN')}",
            [self.merchant_id],
        )
        before = {(row[0], row[1]): row for row in cursor.fetchall()}
        cursor.execute(upsert, upsert_params)
        changed = cursor.fetchall()
        rows = []
        for product_id, warehouse_id, on_hand, available in changed:
            old = before.get((product_id, warehouse_id))
            if old is None:
                continue  # created: the level itself is its first point
            if old[5]:
                rows.append((*old[:5], None))
            rows.append((product_id, warehouse_id, on_hand, available, stamp, run_id))
        cursor.executemany(f"{history} VALUES (%s, %s, %s, %s, %s, %s)", rows)
        cursor.executemany(
            f"UPDATE {P} SET last_reported_at = %s WHERE id = %s",
            [(stamp, product_id) for product_id in sorted({row[0] for row in changed})],
        )
        return len(changed)

    def _rows(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class _CopyPipe:
    """Runs the staging's database work on a helper thread while the caller reads and renders
    the next batches: first any `call()`ed job (the copy of the current levels), then each
    `send()`-ed batch as a COPY, in order.

    On a small machine the download's Python work (reading, validating, rendering records) and
    PostgreSQL's work (storing the COPY, copying the current levels) then run on two cores
    instead of taking turns. The thread uses the connection's own DB-API connection, which the
    calling thread does not touch until `close()`; psycopg releases the GIL while it waits for
    the server.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._jobs: queue.Queue[tuple[str, str] | Callable | None] = queue.Queue(
            maxsize=PIPE_BATCHES
        )
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="download-copy", daemon=True)
        self._thread.start()

    def call(self, job: Callable) -> None:
        """Run `job(cursor)` on the helper connection, after the jobs sent before it."""
        self._put(job)

    def send(self, table: str, text: str) -> None:
        """COPY `text` into `table` on the helper connection."""
        self._put((table, text))

    def _put(self, job) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put(job)

    def close(self, *, raise_error: bool = True) -> None:
        """Wait for the jobs sent so far; re-raise the helper's error, if any."""
        self._jobs.put(None)
        self._thread.join()
        if raise_error and self._error is not None:
            raise self._error

    def _work(self) -> None:
        cursor = self._raw.cursor()
        try:
            while (job := self._jobs.get()) is not None:
                if self._error is None:
                    try:
                        if callable(job):
                            job(cursor)
                        else:
                            _copy(cursor, *job)
                    except BaseException as error:
                        self._error = error
        finally:
            cursor.close()


def _copy(cursor, table: str, text: str) -> None:
    if hasattr(cursor, "copy_expert"):  # psycopg2
        # The whole batch in one read: psycopg2 reads the file 8 kB at a time by default, and
        # each read takes the GIL back from the reading thread (up to a switch interval, 5 ms).
        cursor.copy_expert(f"COPY {table} FROM STDIN", io.StringIO(text), size=len(text) + 1)
    else:  # psycopg 3
        with cursor.copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(text)


def _copy_alias_lines(rows: list[AliasRow]) -> str:
    return "".join(
        f"{copy_text(sku)}\t{copy_text(name)}\t{copy_text(value)}\n" for sku, name, value in rows
    )
