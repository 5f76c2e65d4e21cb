"""Vendure (an open-source headless commerce engine), through its Admin GraphQL API
(REAL_CARTS.md §2; proven against a real Vendure 3.7.3 server by tests/vendure/).

Connection parameters: `base_url` (`http://127.0.0.1:3000`; requests go to
`<base>/<admin_api_path>`, default `admin-api`), `stock_location` (Edit Setup: the id or the name
of the Vendure stock location this cart's stock is written to; empty = the first location, the
Default Stock Location Vendure creates at start-up), optionally `channel_token` (sent as
`vendure-token` for a channel other than the default one), plus the HTTP tuning of
`integration_manager.http.client_options`. Secret: `api_key` (sent as `vendure-api-key`; the
server must list `'api-key'` in `authOptions.tokenMethod`; the key's role needs ReadCatalog,
UpdateCatalog, ReadProduct, UpdateProduct and ReadStockLocation).

Items are product variants: `external_item_id` is the variant id, `external_parent_id` the
product id. Vendure does not make SKUs unique: two variants with one SKU are two items, and the
upload sets both to the same number.

Inventory Enabled is the variant's `trackInventory`: TRUE → yes, FALSE → no, INHERIT → the
global setting (`globalSettings.trackInventory`, which Vendure 3.7.3's saleable computation still
reads, REAL_CARTS.md §2.6).

Quantities. Vendure keeps `stockOnHand` and `stockAllocated` per (variant, stock location) and
sells `saleable = Σ stockOnHand - Σ stockAllocated - threshold` (sums over the channel's
locations; the threshold is the variant's `outOfStockThreshold`, or the global one when
`useGlobalOutOfStockThreshold`). Allocated units are orders Vendure has taken and not yet
fulfilled; our Quantity Available already nets them out once they reach the warehouse system. So
the cart quantity we read (`list_items`) is that saleable figure, and to make it equal Q we write,
at the chosen location only:

    stockOnHand(location) = Q + threshold + Σ stockAllocated - Σ stockOnHand(other locations)

which is `Q + stockAllocated (+ threshold)` when there is one location. Writing `stockOnHand = Q`
would leave Q - allocated for sale, counting the open orders twice. Each write first reads the
batch's variants (one query, by id) for their current allocations, then sets the batch in one
`updateProductVariants` call; an order allocating between the two is corrected by the next sync.
The result of each item is the saleable quantity Vendure holds afterwards.

Reads: `productVariants` paged with skip/take (`PAGE_SIZE`, under Vendure's default
`adminListQueryLimit` of 1000) in id order. `items_by_sku(skus)` looks variants up by SKU in
batches (`filter: {sku: {in: [...]}}`; exact and case-sensitive; 0, 1 or many per SKU).

Errors: Vendure answers most failures with HTTP 200. A body with `errors` is mapped by
`extensions.code`: FORBIDDEN / UNAUTHORIZED → `ConfigurationError`; INTERNAL_SERVER_ERROR →
`TransientError`; anything else (ENTITY_NOT_FOUND, USER_INPUT_ERROR, ...) → `PermanentError`. A
result that is an ErrorResult (`errorCode` + `message`) is a `PermanentError` too. When a batch
write is rejected, its items are sent one by one so that only the offending ones fail. HTTP
errors (a 400 for an invalid query, 5xx, timeouts) are mapped by the HTTP client.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from carts.connectors.base import (
    CartConnector,
    CartItem,
    ItemResult,
    ParameterField,
    QuantityUpdate,
)
from integration_manager.connector_errors import (
    ConfigurationError,
    PermanentError,
    TransientError,
)
from integration_manager.http import HttpClient, client_options, response_json

DEFAULT_ADMIN_API_PATH = "admin-api"
PAGE_SIZE = 250
MAX_BATCH = 100
SKU_BATCH = 100
STOCK_LOCATIONS_PAGE = 100
CONFIGURATION_CODES = frozenset({"FORBIDDEN", "UNAUTHORIZED"})
TRANSIENT_CODES = frozenset({"INTERNAL_SERVER_ERROR"})

_VARIANT_FIELDS = """
      id sku name trackInventory outOfStockThreshold useGlobalOutOfStockThreshold
      product { id name }
      stockLevels { stockLocationId stockOnHand stockAllocated }
"""
VARIANTS_QUERY = (
    "query VendureVariants($options: ProductVariantListOptions) {\n"
    "  productVariants(options: $options) {\n    totalItems\n    items {"
    + _VARIANT_FIELDS
    + "    }\n  }\n}\n"
)
SET_STOCK_MUTATION = (
    "mutation VendureSetStock($input: [UpdateProductVariantInput!]!) {\n"
    "  updateProductVariants(input: $input) {" + _VARIANT_FIELDS + "  }\n}\n"
)
SETTINGS_QUERY = """
query VendureSettings($options: StockLocationListOptions) {
  activeChannel { code }
  globalSettings { trackInventory outOfStockThreshold }
  stockLocations(options: $options) { totalItems items { id name } }
}
"""


@dataclass(frozen=True)
class StockLevel:
    location_id: str
    on_hand: int
    allocated: int


@dataclass(frozen=True)
class VendureVariant:
    """A product variant as the connector reads it, with what its saleable figure depends on."""

    id: str
    product_id: str
    sku: str
    name: str
    track_inventory: str  # TRUE / FALSE / INHERIT
    threshold: int  # the effective out-of-stock threshold
    levels: tuple[StockLevel, ...]


@dataclass(frozen=True)
class _Settings:
    channel_code: str
    is_tracked_globally: bool
    global_threshold: int
    location_id: str
    location_name: str


class VendureCartConnector(CartConnector):
    key = "vendure"
    label = "Vendure"
    parameter_fields = (
        ParameterField("base_url", "Server URL", "http://127.0.0.1:3000"),
        ParameterField(
            "stock_location",
            "Stock location",
            "Id or name of the Vendure stock location this cart's stock is written to "
            "(empty: the Default Stock Location).",
            is_required=False,
        ),
        ParameterField(
            "channel_token",
            "Channel token",
            "Only for a channel other than the default one.",
            is_required=False,
        ),
        ParameterField(
            "admin_api_path",
            "Admin API path",
            f"Default {DEFAULT_ADMIN_API_PATH}.",
            is_required=False,
        ),
    )
    secret_fields = (ParameterField("api_key", "Admin API key"),)
    max_batch_size = MAX_BATCH

    def __init__(self, *, parameters, secrets=None) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        base_url = str(self.parameters.get("base_url") or "").strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError("Vendure: the server URL must be like http://host:3000.")
        api_key = self._secrets.get("api_key", "")
        if not api_key:
            raise ConfigurationError("Vendure: the Admin API key is not set.")
        headers = {"Content-Type": "application/json", "vendure-api-key": api_key}
        channel_token = str(self.parameters.get("channel_token") or "").strip()
        if channel_token:
            headers["vendure-token"] = channel_token
        self.client = HttpClient(
            base_url=base_url,
            platform="Vendure",
            headers=headers,
            secrets=[api_key],
            **client_options(self.parameters),
        )
        self.path = "/" + str(
            self.parameters.get("admin_api_path") or DEFAULT_ADMIN_API_PATH
        ).strip("/")
        self.stock_location = str(self.parameters.get("stock_location") or "").strip()
        self._settings: _Settings | None = None

    # --- the contract ---------------------------------------------------------------------------

    def check(self) -> str:
        settings = self._load_settings()
        return (
            f"Vendure channel {settings.channel_code}, "
            f"stock location {settings.location_name} (id {settings.location_id})"
        )

    def list_items(self) -> Iterator[CartItem]:
        settings = self.settings
        skip = 0
        while True:
            connection = self._graphql(
                VARIANTS_QUERY,
                {"options": {"skip": skip, "take": PAGE_SIZE, "sort": {"id": "ASC"}}},
            )["productVariants"]
            nodes = connection.get("items") or []
            for node in nodes:
                yield self._item(self._variant(node, settings), settings)
            skip += len(nodes)
            if len(nodes) < PAGE_SIZE or skip >= int(connection.get("totalItems") or 0):
                return

    def set_quantities(self, updates: Sequence[QuantityUpdate]) -> list[ItemResult]:
        if len(updates) > self.max_batch_size:
            raise ValueError(f"At most {self.max_batch_size} updates per call, got {len(updates)}.")
        settings = self.settings
        current = self._variants_by_id([update.external_item_id for update in updates])
        results: dict[str, ItemResult] = {}
        writes: list[tuple[QuantityUpdate, int]] = []
        for update in updates:
            variant = current.get(update.external_item_id)
            failure = self._refusal(update, variant, settings)
            if failure is not None:
                results[update.external_item_id] = failure
                continue
            writes.append((update, self.stock_on_hand_for(variant, update.quantity, settings)))
        if writes:
            results.update(self._write(writes, settings))
        return [results[update.external_item_id] for update in updates]

    # --- public helpers -------------------------------------------------------------------------

    @property
    def settings(self) -> _Settings:
        if self._settings is None:
            self._settings = self._load_settings()
        return self._settings

    def items_by_sku(self, skus: Sequence[str]) -> dict[str, list[CartItem]]:
        """The items of these SKUs, looked up in batches (exact, case-sensitive). A SKU no
        variant has maps to an empty list; a SKU several variants share, to all of them."""
        settings = self.settings
        wanted = list(dict.fromkeys(skus))
        found: dict[str, list[CartItem]] = {sku: [] for sku in wanted}
        for start in range(0, len(wanted), SKU_BATCH):
            batch = wanted[start : start + SKU_BATCH]
            for variant in self._variants_where({"sku": {"in": batch}}, expected=len(batch)):
                if variant.sku in found:
                    found[variant.sku].append(self._item(variant, settings))
        return found

    @staticmethod
    def saleable(variant: VendureVariant) -> int:
        """What Vendure lets customers buy: Σ on hand - Σ allocated - threshold."""
        on_hand = sum(level.on_hand for level in variant.levels)
        allocated = sum(level.allocated for level in variant.levels)
        return on_hand - allocated - variant.threshold

    @staticmethod
    def stock_on_hand_for(variant: VendureVariant, quantity: int, settings: _Settings) -> int:
        """The stockOnHand to write at the cart's location so that the saleable figure is
        `quantity`, given the variant's allocations and the stock of its other locations."""
        allocated = sum(level.allocated for level in variant.levels)
        elsewhere = sum(
            level.on_hand for level in variant.levels if level.location_id != settings.location_id
        )
        return quantity + variant.threshold + allocated - elsewhere

    # --- internals ------------------------------------------------------------------------------

    def _is_tracked(self, variant: VendureVariant, settings: _Settings) -> bool:
        if variant.track_inventory == "INHERIT":
            return settings.is_tracked_globally
        return variant.track_inventory == "TRUE"

    def _item(self, variant: VendureVariant, settings: _Settings) -> CartItem:
        is_tracked = self._is_tracked(variant, settings)
        return CartItem(
            external_item_id=variant.id,
            external_parent_id=variant.product_id,
            sku=variant.sku,
            title=variant.name,
            is_inventory_tracked=is_tracked,
            quantity=self.saleable(variant) if is_tracked else None,
        )

    def _refusal(
        self, update: QuantityUpdate, variant: VendureVariant | None, settings: _Settings
    ) -> ItemResult | None:
        if variant is None:
            return ItemResult(
                update.external_item_id,
                ok=False,
                error_message=f"Vendure has no product variant {update.external_item_id} "
                "(deleted?).",
            )
        if not self._is_tracked(variant, settings):
            return ItemResult(
                update.external_item_id,
                ok=False,
                error_message=f"Vendure does not track inventory for variant {variant.id} "
                f"(trackInventory {variant.track_inventory}).",
            )
        return None

    def _write(
        self, writes: list[tuple[QuantityUpdate, int]], settings: _Settings
    ) -> dict[str, ItemResult]:
        try:
            return self._send(writes, settings)
        except PermanentError as error:
            if len(writes) == 1:
                update = writes[0][0]
                return {
                    update.external_item_id: ItemResult(
                        update.external_item_id, ok=False, error_message=error.message
                    )
                }
        # Vendure applies an input list all or nothing: find the offending items one by one.
        results: dict[str, ItemResult] = {}
        for write in writes:
            update = write[0]
            try:
                results.update(self._send([write], settings))
            except PermanentError as error:
                results[update.external_item_id] = ItemResult(
                    update.external_item_id, ok=False, error_message=error.message
                )
            except TransientError as error:
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    error_message=error.message,
                    is_transient=True,
                )
        return results

    def _send(
        self, writes: list[tuple[QuantityUpdate, int]], settings: _Settings
    ) -> dict[str, ItemResult]:
        variables = {
            "input": [
                {
                    "id": update.external_item_id,
                    "stockLevels": [
                        {"stockLocationId": settings.location_id, "stockOnHand": on_hand}
                    ],
                }
                for update, on_hand in writes
            ]
        }
        # Absolute stock levels: resending the same input leaves the same end state.
        nodes = self._graphql(SET_STOCK_MUTATION, variables)["updateProductVariants"] or []
        after: dict[str, VendureVariant] = {}
        for node in nodes:
            if node is None:
                continue
            variant = self._variant(node, settings)
            after[variant.id] = variant
        results: dict[str, ItemResult] = {}
        for update, _ in writes:
            variant = after.get(update.external_item_id)
            if variant is None:
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    error_message="Vendure returned no result for this variant.",
                    is_transient=True,
                )
                continue
            results[update.external_item_id] = ItemResult(
                update.external_item_id, ok=True, quantity=self.saleable(variant)
            )
        return results

    def _variants_by_id(self, ids: Sequence[str]) -> dict[str, VendureVariant]:
        unique = list(dict.fromkeys(ids))
        return {
            variant.id: variant
            for variant in self._variants_where({"id": {"in": unique}}, expected=len(unique))
        }

    def _variants_where(self, filter_: dict[str, Any], *, expected: int) -> list[VendureVariant]:
        settings = self.settings
        variants: list[VendureVariant] = []
        skip = 0
        # Duplicated SKUs can make a batch match more variants than it names: page until done.
        take = min(PAGE_SIZE, max(expected, 1))
        while True:
            connection = self._graphql(
                VARIANTS_QUERY,
                {
                    "options": {
                        "filter": filter_,
                        "skip": skip,
                        "take": take,
                        "sort": {"id": "ASC"},
                    }
                },
            )["productVariants"]
            nodes = connection.get("items") or []
            variants.extend(self._variant(node, settings) for node in nodes)
            skip += len(nodes)
            if len(nodes) < take or skip >= int(connection.get("totalItems") or 0):
                return variants

    def _variant(self, node: dict[str, Any], settings: _Settings) -> VendureVariant:
        if node.get("useGlobalOutOfStockThreshold"):
            threshold = settings.global_threshold
        else:
            threshold = int(node.get("outOfStockThreshold") or 0)
        product = node.get("product") or {}
        return VendureVariant(
            id=str(node["id"]),
            product_id=str(product.get("id") or ""),
            sku=node.get("sku") or "",
            name=node.get("name") or product.get("name") or "",
            track_inventory=str(node.get("trackInventory") or "INHERIT"),
            threshold=threshold,
            levels=tuple(
                StockLevel(
                    location_id=str(level["stockLocationId"]),
                    on_hand=int(level.get("stockOnHand") or 0),
                    allocated=int(level.get("stockAllocated") or 0),
                )
                for level in node.get("stockLevels") or []
            ),
        )

    def _load_settings(self) -> _Settings:
        data = self._graphql(
            SETTINGS_QUERY,
            {"options": {"take": STOCK_LOCATIONS_PAGE, "sort": {"id": "ASC"}}},
        )
        channel = data.get("activeChannel") or {}
        settings = data.get("globalSettings") or {}
        locations = (data.get("stockLocations") or {}).get("items") or []
        location = self._chosen_location(locations)
        return _Settings(
            channel_code=str(channel.get("code") or ""),
            is_tracked_globally=bool(settings.get("trackInventory", True)),
            global_threshold=int(settings.get("outOfStockThreshold") or 0),
            location_id=str(location["id"]),
            location_name=str(location.get("name") or ""),
        )

    def _chosen_location(self, locations: list[dict[str, Any]]) -> dict[str, Any]:
        if not locations:
            raise ConfigurationError("Vendure: the channel has no stock location.")
        if not self.stock_location:
            return locations[0]
        for location in locations:
            if str(location["id"]) == self.stock_location:
                return location
        matches = [
            location
            for location in locations
            if str(location.get("name") or "").casefold() == self.stock_location.casefold()
        ]
        if len(matches) == 1:
            return matches[0]
        names = ", ".join(f"{location['name']} (id {location['id']})" for location in locations)
        if matches:
            raise ConfigurationError(
                f"Vendure: several stock locations are named '{self.stock_location}'; "
                f"choose one by id: {names}."
            )
        raise ConfigurationError(
            f"Vendure: no stock location '{self.stock_location}'. The locations are: {names}."
        )

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        # Queries and absolute stock writes are both safe to resend: idempotent=True lets the
        # HTTP client retry timeouts and 5xx in-process.
        response = self.client.post(
            self.path, json={"query": query, "variables": variables}, idempotent=True
        )
        body = response_json(response)
        if not isinstance(body, dict):
            raise PermanentError("Vendure answered a body that is not a GraphQL response.")
        errors = body.get("errors")
        if errors:
            raise _error_from(errors)
        data = body.get("data")
        if not isinstance(data, dict):
            raise PermanentError("Vendure answered without data.")
        for operation, result in data.items():
            _raise_for_error_result(result, operation)
        return data


def _error_from(errors: Any) -> Exception:
    """The connector error of a GraphQL `errors` array (HTTP 200)."""
    entries = errors if isinstance(errors, list) else [errors]
    codes: list[str] = []
    messages: list[str] = []
    for entry in entries:
        if isinstance(entry, dict):
            codes.append(str((entry.get("extensions") or {}).get("code") or ""))
            messages.append(str(entry.get("message") or entry))
        else:
            messages.append(str(entry))
    text = "; ".join(messages)
    if CONFIGURATION_CODES.intersection(codes):
        return ConfigurationError(
            f"Vendure refused the API key: {text} (is 'api-key' in authOptions.tokenMethod, and "
            "does the key's role have the catalogue and stock location permissions?)",
            platform_message=text,
        )
    if TRANSIENT_CODES.intersection(codes):
        return TransientError(f"Vendure error: {text}", platform_message=text)
    label = ", ".join(code for code in codes if code)
    return PermanentError(
        f"Vendure rejected the request ({label}): {text}" if label else f"Vendure: {text}",
        platform_message=text,
    )


def _raise_for_error_result(result: Any, operation: str) -> None:
    """A result that is an ErrorResult member of a union (`errorCode` + `message`, HTTP 200) is a
    rejection."""
    if isinstance(result, dict) and result.get("errorCode"):
        message = str(result.get("message") or result["errorCode"])
        raise PermanentError(
            f"Vendure {operation}: {result['errorCode']}: {message}", platform_message=message
        )
