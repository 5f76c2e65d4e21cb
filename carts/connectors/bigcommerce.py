"""BigCommerce, through the v3 Catalog and Inventory APIs (PLATFORM_APIS.md §3).

Connection parameters: `store_hash` (requests go to `https://api.bigcommerce.com/stores/<hash>`)
or `base_url` (the `.../stores/<hash>` base, e.g. an emulator), `location_id` (default 1, the
default location [INFER]), plus the HTTP tuning of `integration_manager.http.client_options`.
Secret: `access_token` (sent as `X-Auth-Token`).

Items follow the product's `inventory_tracking`:
- `product`: the product is the item, "product/<id>" (its SKU); its option variants are listed
  as not inventory-enabled (stock is counted on the product);
- `variant`: each variant is an item, "variant/<id>" (a product with only its base variant:
  that variant);
- `none`: listed, not inventory-enabled.
The quantity is the on-hand quantity at the location (`total_inventory_onhand` of
`/inventory/locations/<id>/items`), the figure an absolute adjustment sets [INFER: what the
cart sells is that minus the location's safety stock].

Reads: `/catalog/products?include=variants` with `limit=250` (the maximum) and
`/inventory/locations/<id>/items` with `limit=1000` (the documented payload limit; §7.6 [OPEN]),
both paged to `meta.pagination.total_pages`. Writes: `PUT /inventory/adjustments/absolute` with
at most 2000 items at the location, identified by `product_id` or `variant_id` as the tracking
mode requires. The platform applies them asynchronously: a success means accepted, so the
result carries the quantity we sent. A 422 rejects the whole payload [INFER]: the items it names
(`variant_id N` / `product_id N` / `sku X` in its title) fail with its message and the rest are
sent again; when it names none, the batch is split in halves until the failing item is alone.
No compare-and-set, no idempotency key: absolute quantities are safe to resend (PUT is retried).

Rate limits (§3.4): when an answer says `X-Rate-Limit-Requests-Left: 0`, the next request waits
`X-Rate-Limit-Time-Reset-Ms`; a 429 is retried by the HTTP client after that same wait.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import requests

from carts.connectors.base import (
    CartConnector,
    CartItem,
    ItemResult,
    ParameterField,
    QuantityUpdate,
)
from integration_manager.connector_errors import ConfigurationError, PermanentError
from integration_manager.http import HttpClient, client_options, response_json

API_ROOT = "https://api.bigcommerce.com/stores"
PRODUCTS_LIMIT = 250
LOCATION_ITEMS_LIMIT = 1000
MAX_ADJUSTMENT_ITEMS = 2000
ADJUSTMENT_REASON = "Integration Manager inventory sync"
NAMED_ITEM = re.compile(r"(variant_id|product_id|sku)\s+(\S+?)[\s\]]")


class BigCommerceCartConnector(CartConnector):
    key = "bigcommerce"
    label = "BigCommerce"
    parameter_fields = (
        ParameterField("store_hash", "Store hash", "The id in the API path.", is_required=False),
        ParameterField("location_id", "Location id", "Default 1.", is_required=False),
        ParameterField(
            "base_url", "Base URL", "Instead of the store hash (tests).", is_required=False
        ),
    )
    secret_fields = (ParameterField("access_token", "API account access token"),)
    max_batch_size = MAX_ADJUSTMENT_ITEMS

    def __init__(self, *, parameters, secrets=None) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        base_url = str(self.parameters.get("base_url") or "").rstrip("/")
        if not base_url:
            store_hash = str(self.parameters.get("store_hash") or "").strip()
            if not store_hash:
                raise ConfigurationError("BigCommerce: the store hash is not set.")
            base_url = f"{API_ROOT}/{store_hash}"
        try:
            self.location_id = int(self.parameters.get("location_id") or 1)
        except (TypeError, ValueError):
            raise ConfigurationError("BigCommerce: the location id must be a number.") from None
        token = self._secrets.get("access_token", "")
        if not token:
            raise ConfigurationError("BigCommerce: the access token is not set.")
        self.client = HttpClient(
            base_url=base_url,
            platform="BigCommerce",
            headers={
                "X-Auth-Token": token,
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            secrets=[token],
            **client_options(self.parameters),
        )
        self.seconds_waited = 0.0
        self._wait_until = 0.0

    # --- the contract ---------------------------------------------------------------------------

    def check(self) -> str:
        store = response_json(self._request("GET", "/v2/store"))
        locations = response_json(
            self._request(
                "GET", "/v3/inventory/locations", params={"location_id:in": self.location_id}
            )
        )
        if not (locations.get("data") if isinstance(locations, dict) else None):
            raise ConfigurationError(
                f"BigCommerce: the location {self.location_id} does not exist in this store."
            )
        label = locations["data"][0].get("label", self.location_id)
        return f"BigCommerce store {store.get('name', '?')}, location {label}"

    def list_items(self) -> Iterator[CartItem]:
        quantities: dict[tuple[str, int], int] = {}
        for row in self._pages(
            f"/v3/inventory/locations/{self.location_id}/items", limit=LOCATION_ITEMS_LIMIT
        ):
            identity = row.get("identity") or {}
            quantity = row.get("total_inventory_onhand")
            if identity.get("variant_id") is not None:
                quantities[("variant", identity["variant_id"])] = quantity
            if identity.get("product_id") is not None:
                quantities.setdefault(("product", identity["product_id"]), quantity)
        for product in self._pages(
            "/v3/catalog/products", limit=PRODUCTS_LIMIT, params={"include": "variants"}
        ):
            yield from self._items(product, quantities)

    def set_quantities(self, updates: Sequence[QuantityUpdate]) -> list[ItemResult]:
        if len(updates) > self.max_batch_size:
            raise ValueError(f"At most {self.max_batch_size} updates per call, got {len(updates)}.")
        results: dict[str, ItemResult] = {}
        valid: list[tuple[dict[str, Any], QuantityUpdate]] = []
        for update in updates:
            kind, _, number = update.external_item_id.partition("/")
            if kind not in ("product", "variant") or not number.isdigit():
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    error_message=f"'{update.external_item_id}' is not a BigCommerce item id.",
                )
                continue
            item = {"location_id": self.location_id, f"{kind}_id": int(number)}
            item["quantity"] = update.quantity
            valid.append((item, update))
        self._adjust(valid, results)
        return [results[update.external_item_id] for update in updates]

    # --- writes ---------------------------------------------------------------------------------

    def _adjust(
        self, entries: list[tuple[dict[str, Any], QuantityUpdate]], results: dict[str, ItemResult]
    ) -> None:
        if not entries:
            return
        try:
            self._request(
                "PUT",
                "/v3/inventory/adjustments/absolute",
                json={"reason": ADJUSTMENT_REASON, "items": [item for item, _ in entries]},
            )
        except PermanentError as error:
            if getattr(error, "status_code", None) != 422:
                raise
            message = error.platform_message or error.message
            named = {(name, value.strip("'\",")) for name, value in NAMED_ITEM.findall(message)}
            failing = [
                (item, update)
                for item, update in entries
                if any(
                    str(item.get(name, "")) == value
                    or (name == "sku" and value == update.external_item_id)
                    for name, value in named
                )
            ]
            if not failing and len(entries) == 1:
                failing = entries
            if failing:
                for _, update in failing:
                    results[update.external_item_id] = ItemResult(
                        update.external_item_id, ok=False, error_message=message
                    )
                failing_ids = {id(update) for _, update in failing}
                self._adjust(
                    [entry for entry in entries if id(entry[1]) not in failing_ids], results
                )
                return
            middle = len(entries) // 2
            self._adjust(entries[:middle], results)
            self._adjust(entries[middle:], results)
            return
        for item, update in entries:
            results[update.external_item_id] = ItemResult(
                update.external_item_id, ok=True, quantity=item["quantity"]
            )

    # --- reads ----------------------------------------------------------------------------------

    def _items(
        self, product: dict[str, Any], quantities: dict[tuple[str, int], int]
    ) -> Iterator[CartItem]:
        tracking = product.get("inventory_tracking") or "none"
        product_id = product["id"]
        name = product.get("name") or ""
        options = [
            variant for variant in product.get("variants") or [] if variant.get("option_values")
        ]
        base = next(
            (
                variant
                for variant in product.get("variants") or []
                if not variant.get("option_values")
            ),
            None,
        )
        if tracking == "product":
            yield CartItem(
                external_item_id=f"product/{product_id}",
                external_parent_id="",
                sku=product.get("sku") or "",
                title=name,
                is_inventory_tracked=True,
                quantity=quantities.get(("product", product_id)),
            )
        elif not options:
            is_tracked = tracking == "variant" and base is not None
            yield CartItem(
                external_item_id=f"variant/{base['id']}" if is_tracked else f"product/{product_id}",
                external_parent_id=str(product_id) if is_tracked else "",
                sku=product.get("sku") or "",
                title=name,
                is_inventory_tracked=is_tracked,
                quantity=quantities.get(("variant", base["id"])) if is_tracked else None,
            )
            return
        for variant in options:
            # Under product tracking the variants' stock is the product's: listed, not written.
            is_tracked = tracking == "variant"
            yield CartItem(
                external_item_id=f"variant/{variant['id']}",
                external_parent_id=str(product_id),
                sku=variant.get("sku") or "",
                title=f"{name} ({variant.get('sku') or variant['id']})",
                is_inventory_tracked=is_tracked,
                quantity=quantities.get(("variant", variant["id"])) if is_tracked else None,
            )

    def _pages(
        self, path: str, *, limit: int, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            body = response_json(
                self._request("GET", path, params={**(params or {}), "limit": limit, "page": page})
            )
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PermanentError(f"BigCommerce {path}: expected a data list.")
            yield from body["data"]
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if not body["data"] or page >= int(pagination.get("total_pages") or 0):
                return
            page += 1

    # --- rate limits ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        wait = self._wait_until - time.monotonic()
        if wait > 0:
            self.seconds_waited += wait
            time.sleep(wait)
        before = self.client.last_response
        try:
            return self.client.request(method, path, **kwargs)
        finally:
            if self.client.last_response is not before:
                self._note_quota(self.client.last_response)

    def _note_quota(self, response: requests.Response | None) -> None:
        if response is None:
            return
        left = response.headers.get("X-Rate-Limit-Requests-Left")
        reset_ms = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
        try:
            if left is not None and int(left) <= 0 and reset_ms is not None:
                self._wait_until = time.monotonic() + int(reset_ms) / 1000
        except ValueError:
            return
