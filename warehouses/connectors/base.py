"""The contract every warehouse connector (a WMS/OMS, and the in-memory fake) fulfils.

A warehouse connector talks to one warehouse system. It never touches the ORM: it is built from a
merchant's connection parameters and secrets, and returns frozen records.

- `warehouses()` yields one `WarehouseInfo` per location the system knows (its code and display
  name). Systems without locations yield nothing; their records carry an empty warehouse code
  and land in the merchant's Default warehouse.
- `stock()` streams every stock record, one `StockRecord` per (warehouse, SKU). It is a generator:
  the download consumes it lazily and never holds the whole list, so a connector must not build
  it in memory either. It may raise part way through; the download then applies nothing.
- `check()` is *Test connection*: one cheap authenticated call. Returns a short description of
  what it reached (for example the account's name).

All three are read-only and safe to repeat: calling them twice reads the same data twice.

Errors (see `integration_manager.connector_errors`), raised by any of them, also mid-stream:
`TransientError` when a retry can help (timeouts, 429, 5xx, a dropped connection; with
`retry_after` when the system sent one), `PermanentError` when the system rejected the request or
returned data that cannot be right, `ConfigurationError` when the credentials or the settings
are wrong (the download then pauses the merchant's schedule until the setting changes).
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from integration_manager.connector_fields import ParameterField as ParameterField


@dataclass(frozen=True)
class WarehouseInfo:
    """A location as the warehouse system names it. `code` is its own id; '' is the Default."""

    code: str
    name: str = ""


# init=False: the __init__ below sets the slots directly, about twice as fast as the generated
# frozen __init__; a download builds a million of these.
@dataclass(frozen=True, slots=True, init=False)
class StockRecord:
    """One product's stock in one location, as the warehouse system reports it.

    `warehouse_code` '' means the merchant's Default warehouse. `quantity_available` is None when
    the system reports only on hand and allocated/on hold: the download then derives it as
    max(on hand - allocated - on hold, 0). `wms_updated_at` is the system's own timestamp for
    the figure (timezone-aware) when it has one. `aliases` are `(name, value)` pairs such as
    `("UPC", "012345678905")`; a pair with an empty value is ignored. `name` is the product's
    display name, '' when unknown.
    """

    warehouse_code: str
    sku: str
    quantity_on_hand: int
    quantity_available: int | None = None
    quantity_allocated: int | None = None
    quantity_on_hold: int | None = None
    wms_updated_at: datetime | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    name: str = ""

    def __init__(
        self,
        warehouse_code: str,
        sku: str,
        quantity_on_hand: int,
        quantity_available: int | None = None,
        quantity_allocated: int | None = None,
        quantity_on_hold: int | None = None,
        wms_updated_at: datetime | None = None,
        aliases: tuple[tuple[str, str], ...] = (),
        name: str = "",
    ) -> None:
        _set_warehouse_code(self, warehouse_code)
        _set_sku(self, sku)
        _set_quantity_on_hand(self, quantity_on_hand)
        _set_quantity_available(self, quantity_available)
        _set_quantity_allocated(self, quantity_allocated)
        _set_quantity_on_hold(self, quantity_on_hold)
        _set_wms_updated_at(self, wms_updated_at)
        _set_aliases(self, aliases)
        _set_name(self, name)


# The slots' own setters (the class is frozen: its __setattr__ refuses).
_set_warehouse_code = StockRecord.warehouse_code.__set__
_set_sku = StockRecord.sku.__set__
_set_quantity_on_hand = StockRecord.quantity_on_hand.__set__
_set_quantity_available = StockRecord.quantity_available.__set__
_set_quantity_allocated = StockRecord.quantity_allocated.__set__
_set_quantity_on_hold = StockRecord.quantity_on_hold.__set__
_set_wms_updated_at = StockRecord.wms_updated_at.__set__
_set_aliases = StockRecord.aliases.__set__
_set_name = StockRecord.name.__set__


class WarehouseConnector(ABC):
    """Base class of every warehouse connector. Subclasses declare the class attributes below.

    `key` is stored in the database (`Merchant.connector_key`) and is never renamed. Secrets are
    kept apart from the parameters and never appear in `repr()` or in error messages.
    """

    key: ClassVar[str]
    label: ClassVar[str]
    parameter_fields: ClassVar[tuple[ParameterField, ...]] = ()
    secret_fields: ClassVar[tuple[ParameterField, ...]] = ()

    def __init__(
        self, *, parameters: Mapping[str, Any], secrets: Mapping[str, str] | None = None
    ) -> None:
        self.parameters = dict(parameters)
        self._secrets = dict(secrets or {})

    def __repr__(self) -> str:
        # Never the secrets.
        return f"<{type(self).__name__} key={self.key!r}>"

    @abstractmethod
    def warehouses(self) -> Iterator[WarehouseInfo]:
        """Yield every location the system knows. Safe to repeat."""

    @abstractmethod
    def stock(self) -> Iterator[StockRecord]:
        """Stream every stock record, lazily. Safe to repeat; may raise part way through."""

    @abstractmethod
    def check(self) -> str:
        """Test connection: one cheap call. Returns what it reached; raises a connector error."""
