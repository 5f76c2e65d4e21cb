"""An in-memory fake cart, behind the real `CartConnector` contract.

Service tests, the demo and the end-to-end Celery test use it instead of a real platform. It keeps
the cart's items, counts every call (so tests can assert exact read and write counts), records
what was written, and can be told to fail specific SKUs or whole calls, transiently or
permanently.

Its state lives in a process-wide store, named by the connection parameter `store`
(`{"store": "demo"}`), or, so that a Celery worker and a test process see the same cart, in a
JSON file named by `state_file` (`{"state_file": "/tmp/cart.json"}`): read on every call and
written atomically (a temporary file renamed over it) under a file lock on every change.
"""

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from carts.connectors.base import (
    CartConnector,
    CartItem,
    ItemResult,
    ParameterField,
    QuantityUpdate,
)
from integration_manager.connector_errors import (
    ConfigurationError,
    ConnectorError,
    PermanentError,
    TransientError,
)
from integration_manager.fake_stores import FakeStores

FailureKind = Literal["transient", "permanent", "configuration"]
Operation = Literal["list", "write", "check"]

_ERRORS: dict[str, type[ConnectorError]] = {
    "transient": TransientError,
    "permanent": PermanentError,
    "configuration": ConfigurationError,
}


@dataclass
class MemoryCartItem:
    external_item_id: str
    sku: str
    quantity: int | None = 0
    is_inventory_tracked: bool = True
    external_parent_id: str = ""
    title: str = ""


@dataclass
class MemoryCartStore:
    """The fake cart's items, call counters and failure instructions (all JSON-serialisable)."""

    items: dict[str, MemoryCartItem] = field(default_factory=dict)
    list_calls: int = 0
    write_calls: int = 0
    check_calls: int = 0
    # One entry per write call: the (external_item_id, quantity) pairs applied by that call.
    writes: list[list[tuple[str, int]]] = field(default_factory=list)
    # sku -> [kind, remaining failures or -1 for always]
    failing_skus: dict[str, list[Any]] = field(default_factory=dict)
    # operation -> [kind, remaining failures or -1 for always, message, items before failing]
    failing_calls: dict[str, list[Any]] = field(default_factory=dict)
    compare_expected: bool = False
    required_token: str = ""

    # --- set-up, for tests and the demo ---------------------------------------------------------

    def add_item(
        self,
        external_item_id: str,
        *,
        sku: str,
        quantity: int | None = 0,
        is_inventory_tracked: bool = True,
        external_parent_id: str = "",
        title: str = "",
    ) -> MemoryCartItem:
        item = MemoryCartItem(
            external_item_id=external_item_id,
            sku=sku,
            quantity=quantity,
            is_inventory_tracked=is_inventory_tracked,
            external_parent_id=external_parent_id,
            title=title,
        )
        self.items[external_item_id] = item
        return item

    def remove_item(self, external_item_id: str) -> None:
        del self.items[external_item_id]

    def edit_quantity(self, external_item_id: str, quantity: int | None) -> None:
        """A person changes the quantity in the cart's own admin (not counted as our write)."""
        self.items[external_item_id].quantity = quantity

    def quantity_of(self, external_item_id: str) -> int | None:
        return self.items[external_item_id].quantity

    def fail_sku(self, sku: str, *, kind: FailureKind = "permanent", times: int = -1) -> None:
        """Make writes of this SKU fail (per item) `times` times, or always with -1."""
        self.failing_skus[sku] = [kind, times]

    def fail_calls(
        self,
        operation: Operation,
        *,
        kind: FailureKind = "transient",
        times: int = 1,
        message: str = "",
        after_items: int = 0,
    ) -> None:
        """Make the next `times` calls of `operation` raise (always with -1). A failing `list`
        yields `after_items` items before it raises."""
        message = message or f"Fake cart: {operation} failed ({kind})"
        self.failing_calls[operation] = [kind, times, message, after_items]

    def reset_counters(self) -> None:
        self.list_calls = self.write_calls = self.check_calls = 0
        self.writes = []

    @property
    def written(self) -> list[tuple[str, int]]:
        """Every (external_item_id, quantity) applied by our writes, in order."""
        return [pair for call in self.writes for pair in call]

    # --- serialisation ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["items"] = [asdict(item) for item in self.items.values()]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MemoryCartStore":
        data = dict(data)
        items = [MemoryCartItem(**item) for item in data.pop("items", [])]
        data["writes"] = [[tuple(pair) for pair in call] for call in data.get("writes", [])]
        store = cls(**data)
        store.items = {item.external_item_id: item for item in items}
        return store

    # --- behaviour the connector drives ---------------------------------------------------------

    def _take_call_failure(self, operation: Operation) -> tuple[ConnectorError, int] | None:
        instruction = self.failing_calls.get(operation)
        if not instruction:
            return None
        kind, remaining, message, after_items = instruction
        if remaining == 0:
            return None
        if remaining > 0:
            instruction[1] = remaining - 1
        return _ERRORS[kind](message), after_items

    def _take_item_failure(self, sku: str) -> str | None:
        instruction = self.failing_skus.get(sku)
        if not instruction or instruction[1] == 0:
            return None
        if instruction[1] > 0:
            instruction[1] -= 1
        return instruction[0]

    def _apply(self, updates: Sequence[QuantityUpdate]) -> list[ItemResult]:
        results = []
        applied = []
        for update in updates:
            item = self.items.get(update.external_item_id)
            if item is None:
                results.append(
                    ItemResult(update.external_item_id, ok=False, error_message="No such item")
                )
                continue
            failure = self._take_item_failure(item.sku)
            if failure is not None:
                results.append(
                    ItemResult(
                        update.external_item_id,
                        ok=False,
                        quantity=item.quantity,
                        error_message=f"Fake cart rejected SKU {item.sku} ({failure})",
                        is_transient=failure == "transient",
                    )
                )
                continue
            if not item.is_inventory_tracked:
                results.append(
                    ItemResult(
                        update.external_item_id,
                        ok=False,
                        error_message="Inventory is not tracked for this item",
                    )
                )
                continue
            if (
                self.compare_expected
                and update.expected_quantity is not None
                and update.expected_quantity != item.quantity
            ):
                results.append(
                    ItemResult(
                        update.external_item_id,
                        ok=False,
                        quantity=item.quantity,
                        error_message=(
                            f"The cart holds {item.quantity}, not the expected "
                            f"{update.expected_quantity}"
                        ),
                    )
                )
                continue
            item.quantity = update.quantity
            applied.append((update.external_item_id, update.quantity))
            results.append(ItemResult(update.external_item_id, ok=True, quantity=update.quantity))
        self.writes.append(applied)
        return results


_STORES = FakeStores(new=MemoryCartStore, from_json=MemoryCartStore.from_json)


def memory_cart_store(name: str) -> MemoryCartStore:
    """The process-wide fake called `name` (created empty on first use)."""
    return _STORES.named(name)


def memory_cart_store_reset(name: str | None = None) -> None:
    """Forget one fake, or all of them."""
    _STORES.reset(name)


def memory_cart_state_file(path: str | Path) -> contextlib.AbstractContextManager[MemoryCartStore]:
    """Lock the JSON state file, load it (empty when missing), yield it, and save it atomically."""
    return _STORES.state_file(path)


class MemoryCartConnector(CartConnector):
    key = "memory"
    label = "In-memory fake cart (tests and demo)"
    parameter_fields = (
        ParameterField("store", "Store name", "The process-wide fake cart to use.", False),
        ParameterField("state_file", "State file", "A JSON file shared between processes.", False),
        ParameterField("max_batch_size", "Items per write call", "Default 100.", False),
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
            raise ConfigurationError("The fake cart needs a 'store' or a 'state_file' parameter.")
        if self.parameters.get("max_batch_size"):
            self.max_batch_size = int(self.parameters["max_batch_size"])

    @contextlib.contextmanager
    def _store(self) -> Iterator[MemoryCartStore]:
        if self.state_file:
            with memory_cart_state_file(self.state_file) as store:
                yield store
        else:
            yield memory_cart_store(self.store_name)

    def _authenticate(self, store: MemoryCartStore) -> None:
        if store.required_token and self._secrets.get("token") != store.required_token:
            raise ConfigurationError("The fake cart rejected the token.")

    def list_items(self) -> Iterator[CartItem]:
        with self._store() as store:
            store.list_calls += 1
            self._authenticate(store)
            failure = store._take_call_failure("list")
            items = [
                CartItem(
                    external_item_id=item.external_item_id,
                    external_parent_id=item.external_parent_id,
                    sku=item.sku,
                    title=item.title,
                    is_inventory_tracked=item.is_inventory_tracked,
                    quantity=item.quantity,
                )
                for item in store.items.values()
            ]
        if failure is not None:
            error, after_items = failure
            yield from items[:after_items]
            raise error
        yield from items

    def set_quantities(self, updates: Sequence[QuantityUpdate]) -> list[ItemResult]:
        if len(updates) > self.max_batch_size:
            raise PermanentError(
                f"Fake cart: {len(updates)} items in one call, the maximum is {self.max_batch_size}"
            )
        with self._store() as store:
            store.write_calls += 1
            self._authenticate(store)
            failure = store._take_call_failure("write")
            if failure is not None:
                raise failure[0]
            return store._apply(updates)

    def check(self) -> str:
        with self._store() as store:
            store.check_calls += 1
            self._authenticate(store)
            failure = store._take_call_failure("check")
            if failure is not None:
                raise failure[0]
            return f"Fake cart '{self.store_name or self.state_file}' with {len(store.items)} items"
