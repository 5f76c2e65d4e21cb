"""The contract every cart connector (Shopify, WooCommerce, ... and the in-memory fake) fulfils.

A cart connector talks to one shopping cart or marketplace. It never touches the ORM: it is built
from a cart's connection parameters and secrets, and returns frozen records.

- `list_items()` streams every item the cart lists (one `CartItem` per sellable item: a variant,
  a simple product, ...). Reading a whole cart is expensive, so the upload service calls it only
  on the first upload, on the cart's reconciliation cadence and on demand. Safe to repeat.
- `set_quantities(updates)` sets *absolute* quantities for at most `max_batch_size` items in one
  call and returns one `ItemResult` per update, in any order. A failure of one item is reported
  in its result and does not raise; a failure of the whole call raises. Safe to repeat: posting
  the same absolute quantity twice leaves the same end state. When the platform supports a
  compare-and-set, `QuantityUpdate.expected_quantity` (what we believe the cart holds, or None
  when unknown) is passed on; a mismatch fails that item and its result carries the quantity the
  cart really holds.
- `write_fingerprint(updates)` (optional) is for platforms that take an idempotency key with a
  write: it returns a fingerprint of the request `set_quantities(updates)` would send, and the
  caller then passes `idempotency_key=` to `set_quantities`. The upload service stores the key
  under the fingerprint before the call and passes the same key on every retry of the same
  batch, in any process (`sync.models.UploadWriteIntent`). None (the default): no keys.
- `check()` is *Test connection*: one cheap authenticated call. Returns a short description of
  what it reached (for example the shop's name).

Whole-call errors (see `integration_manager.connector_errors`): `TransientError` when a retry can
help (timeouts, 429, 5xx), `PermanentError` when the platform rejected the request,
`ConfigurationError` when the credentials or settings are wrong.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from integration_manager.connector_fields import ParameterField as ParameterField


@dataclass(frozen=True)
class CartItem:
    """One item the cart lists, as the cart reports it.

    `quantity` is the cart's current quantity (it may be negative: carts allow overselling), or
    None when the cart does not report one (for example when it does not track inventory).
    """

    external_item_id: str
    external_parent_id: str
    sku: str
    title: str
    is_inventory_tracked: bool
    quantity: int | None


@dataclass(frozen=True)
class QuantityUpdate:
    """Set this item's quantity to `quantity` (absolute, never a delta)."""

    external_item_id: str
    quantity: int
    expected_quantity: int | None = None


@dataclass(frozen=True)
class ItemResult:
    """What happened to one update. `quantity` is what the cart holds afterwards, when known."""

    external_item_id: str
    ok: bool
    quantity: int | None = None
    error_message: str = ""
    is_transient: bool = False


class CartConnector(ABC):
    """Base class of every cart connector. Subclasses declare the class attributes below.

    `key` is stored in the database (`Cart.connector_key`) and is never renamed.
    """

    key: ClassVar[str]
    label: ClassVar[str]
    parameter_fields: ClassVar[tuple[ParameterField, ...]] = ()
    secret_fields: ClassVar[tuple[ParameterField, ...]] = ()
    max_batch_size: ClassVar[int] = 100

    def __init__(
        self, *, parameters: Mapping[str, Any], secrets: Mapping[str, str] | None = None
    ) -> None:
        self.parameters = dict(parameters)
        self._secrets = dict(secrets or {})

    def __repr__(self) -> str:
        # Never the secrets.
        return f"<{type(self).__name__} key={self.key!r}>"

    @abstractmethod
    def list_items(self) -> Iterator[CartItem]:
        """Stream every item of the cart."""

    @abstractmethod
    def set_quantities(self, updates: Sequence[QuantityUpdate]) -> list[ItemResult]:
        """Set absolute quantities of at most `max_batch_size` items; one result per update."""

    def write_fingerprint(self, updates: Sequence[QuantityUpdate]) -> str | None:
        """A fingerprint (at most 64 characters) of the write request for `updates`, when the
        platform takes an idempotency key; None when it does not."""
        return None

    @abstractmethod
    def check(self) -> str:
        """Test connection: one cheap call. Returns what it reached; raises a connector error."""
