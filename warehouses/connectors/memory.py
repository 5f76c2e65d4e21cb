"""An in-memory fake warehouse system, behind the real `WarehouseConnector` contract.

Service tests, the demo and the end-to-end Celery test use it instead of a real WMS. It keeps the
system's locations and stock records, counts calls, and can be told to fail a call transiently,
permanently or for configuration, optionally after streaming some records (a failure part way).

Its state lives in a process-wide store, named by the connection parameter `store`
(`{"store": "demo"}`), or, so that a Celery worker and a test process see the same system, in a
JSON file named by `state_file` (`{"state_file": "/tmp/wms.json"}`): read on every call and
written atomically (a temporary file renamed over it) under a file lock on every change. Use
`memory_warehouse_state_file(path)` to set the file up:

    with memory_warehouse_state_file(path) as store:
        store.set_stock("SKU-1", 10, warehouse_code="EAST")
"""

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from integration_manager.connector_errors import (
    ConfigurationError,
    ConnectorError,
    PermanentError,
    TransientError,
)
from integration_manager.fake_stores import FakeStores
from warehouses.connectors.base import (
    ParameterField,
    StockRecord,
    WarehouseConnector,
    WarehouseInfo,
)

FailureKind = Literal["transient", "permanent", "configuration"]
Operation = Literal["stock", "warehouses", "check"]

_ERRORS: dict[str, type[ConnectorError]] = {
    "transient": TransientError,
    "permanent": PermanentError,
    "configuration": ConfigurationError,
}


@dataclass
class MemoryWarehouseStore:
    """The fake system's locations, stock, call counters and failure instructions."""

    warehouses: dict[str, str] = field(default_factory=dict)  # code -> name
    # (warehouse_code, sku) -> record; `extra_records` are yielded after them, as they are
    # (so a test can make the system report the same SKU and warehouse twice).
    records: dict[tuple[str, str], StockRecord] = field(default_factory=dict)
    extra_records: list[StockRecord] = field(default_factory=list)
    stock_calls: int = 0
    check_calls: int = 0
    # operation -> [kind, remaining failures or -1 for always, message, records before failing]
    failing_calls: dict[str, list[Any]] = field(default_factory=dict)
    required_token: str = ""

    # --- set-up, for tests and the demo ---------------------------------------------------------

    def add_warehouse(self, code: str, name: str = "") -> None:
        self.warehouses[code] = name or code

    def set_stock(
        self,
        sku: str,
        quantity_on_hand: int,
        *,
        warehouse_code: str = "",
        quantity_available: int | None = None,
        quantity_allocated: int | None = None,
        quantity_on_hold: int | None = None,
        wms_updated_at: datetime | None = None,
        aliases: Mapping[str, str] | None = None,
        name: str = "",
    ) -> StockRecord:
        """Report this (replacing what the system reported for the same SKU and warehouse)."""
        record = StockRecord(
            warehouse_code=warehouse_code,
            sku=sku,
            quantity_on_hand=quantity_on_hand,
            quantity_available=quantity_available,
            quantity_allocated=quantity_allocated,
            quantity_on_hold=quantity_on_hold,
            wms_updated_at=wms_updated_at,
            aliases=tuple((aliases or {}).items()),
            name=name,
        )
        self.records[(warehouse_code, sku)] = record
        return record

    def update_stock(self, sku: str, *, warehouse_code: str = "", **changes: Any) -> StockRecord:
        record = replace(self.records[(warehouse_code, sku)], **changes)
        self.records[(warehouse_code, sku)] = record
        return record

    def remove_stock(self, sku: str, *, warehouse_code: str = "") -> None:
        del self.records[(warehouse_code, sku)]

    def clear_stock(self) -> None:
        self.records.clear()
        self.extra_records.clear()

    def fail_calls(
        self,
        operation: Operation,
        *,
        kind: FailureKind = "transient",
        times: int = 1,
        message: str = "",
        after_records: int = 0,
    ) -> None:
        """Make the next `times` calls of `operation` raise (always with -1). A failing `stock`
        yields `after_records` records before it raises."""
        message = message or f"Fake warehouse system: {operation} failed ({kind})"
        self.failing_calls[operation] = [kind, times, message, after_records]

    # --- serialisation ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "warehouses": self.warehouses,
            "records": [_record_to_json(record) for record in self.records.values()],
            "extra_records": [_record_to_json(record) for record in self.extra_records],
            "stock_calls": self.stock_calls,
            "check_calls": self.check_calls,
            "failing_calls": self.failing_calls,
            "required_token": self.required_token,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MemoryWarehouseStore":
        records = [_record_from_json(item) for item in data.get("records", [])]
        return cls(
            warehouses=dict(data.get("warehouses", {})),
            records={(record.warehouse_code, record.sku): record for record in records},
            extra_records=[_record_from_json(item) for item in data.get("extra_records", [])],
            stock_calls=data.get("stock_calls", 0),
            check_calls=data.get("check_calls", 0),
            failing_calls=dict(data.get("failing_calls", {})),
            required_token=data.get("required_token", ""),
        )

    # --- behaviour the connector drives ---------------------------------------------------------

    def _take_call_failure(self, operation: Operation) -> tuple[ConnectorError, int] | None:
        instruction = self.failing_calls.get(operation)
        if not instruction or instruction[1] == 0:
            return None
        kind, remaining, message, after_records = instruction
        if remaining > 0:
            instruction[1] = remaining - 1
        return _ERRORS[kind](message), after_records


def _record_to_json(record: StockRecord) -> dict[str, Any]:
    return {
        "warehouse_code": record.warehouse_code,
        "sku": record.sku,
        "quantity_on_hand": record.quantity_on_hand,
        "quantity_available": record.quantity_available,
        "quantity_allocated": record.quantity_allocated,
        "quantity_on_hold": record.quantity_on_hold,
        "wms_updated_at": record.wms_updated_at.isoformat() if record.wms_updated_at else None,
        "aliases": [list(pair) for pair in record.aliases],
        "name": record.name,
    }


def _record_from_json(data: Mapping[str, Any]) -> StockRecord:
    wms_updated_at = data.get("wms_updated_at")
    return StockRecord(
        warehouse_code=data.get("warehouse_code", ""),
        sku=data["sku"],
        quantity_on_hand=data["quantity_on_hand"],
        quantity_available=data.get("quantity_available"),
        quantity_allocated=data.get("quantity_allocated"),
        quantity_on_hold=data.get("quantity_on_hold"),
        wms_updated_at=datetime.fromisoformat(wms_updated_at) if wms_updated_at else None,
        aliases=tuple((name, value) for name, value in data.get("aliases", [])),
        name=data.get("name", ""),
    )


_STORES = FakeStores(new=MemoryWarehouseStore, from_json=MemoryWarehouseStore.from_json)


def memory_warehouse_store(name: str) -> MemoryWarehouseStore:
    """The process-wide fake called `name` (created empty on first use)."""
    return _STORES.named(name)


def memory_warehouse_store_reset(name: str | None = None) -> None:
    """Forget one fake, or all of them."""
    _STORES.reset(name)


def memory_warehouse_state_file(
    path: str | Path,
) -> contextlib.AbstractContextManager[MemoryWarehouseStore]:
    """Lock the JSON state file, load it (empty when missing), yield it, and save it atomically."""
    return _STORES.state_file(path)


class MemoryWarehouseConnector(WarehouseConnector):
    key = "memory"
    label = "In-memory fake warehouse system (tests and demo)"
    parameter_fields = (
        ParameterField("store", "Store name", "The process-wide fake system to use.", False),
        ParameterField("state_file", "State file", "A JSON file shared between processes.", False),
    )
    secret_fields = (
        ParameterField("token", "Token", "Checked when the fake requires one.", False),
    )

    def __init__(
        self, *, parameters: Mapping[str, Any], secrets: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        self.store_name = str(self.parameters.get("store") or "")
        self.state_file = str(self.parameters.get("state_file") or "")
        if not self.store_name and not self.state_file:
            raise ConfigurationError(
                "The fake warehouse system needs a 'store' or a 'state_file' parameter."
            )

    @contextlib.contextmanager
    def _store(self) -> Iterator[MemoryWarehouseStore]:
        if self.state_file:
            with memory_warehouse_state_file(self.state_file) as store:
                yield store
        else:
            yield memory_warehouse_store(self.store_name)

    def _authenticate(self, store: MemoryWarehouseStore) -> None:
        if store.required_token and self._secrets.get("token") != store.required_token:
            raise ConfigurationError("The fake warehouse system rejected the token.")

    def warehouses(self) -> Iterator[WarehouseInfo]:
        with self._store() as store:
            self._authenticate(store)
            failure = store._take_call_failure("warehouses")
            infos = [WarehouseInfo(code=code, name=name) for code, name in store.warehouses.items()]
        if failure is not None:
            raise failure[0]
        yield from infos

    def stock(self) -> Iterator[StockRecord]:
        with self._store() as store:
            store.stock_calls += 1
            self._authenticate(store)
            failure = store._take_call_failure("stock")
            records = [*store.records.values(), *store.extra_records]
        if failure is not None:
            error, after_records = failure
            yield from records[:after_records]
            raise error
        yield from records

    def check(self) -> str:
        with self._store() as store:
            store.check_calls += 1
            self._authenticate(store)
            failure = store._take_call_failure("check")
            if failure is not None:
                raise failure[0]
            return (
                f"Fake warehouse system '{self.store_name or self.state_file}' with "
                f"{len(store.records)} stock records"
            )
