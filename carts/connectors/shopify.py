"""Shopify, through the Admin GraphQL API (PLATFORM_APIS.md §1).

Connection parameters: `shop_domain` (`my-shop.myshopify.com`) or `base_url` (any base, e.g. an
emulator: requests go to `<base>/admin/api/<version>/graphql.json`), `location_id` (the GID or
number of the Shopify location this cart syncs), optionally `api_version` (default
`DEFAULT_API_VERSION`) and the HTTP tuning of `integration_manager.http.client_options`, plus
`max_throttle_waits` (THROTTLED answers waited out in-process before giving up, default 8).
Secret: `access_token` (sent as `X-Shopify-Access-Token`).

Items are inventory items: `external_item_id` is the InventoryItem GID, `external_parent_id` the
ProductVariant GID, the quantity is `available` at the chosen location. An item not stocked at
that location cannot be written (`ITEM_NOT_STOCKED_AT_LOCATION`), so it is reported as not
inventory-enabled, like an untracked one; we never activate it ourselves.

Reads: `productVariants` paged by cursor. The page size keeps the requested cost within the
single-query maximum (1000) and within the bucket's `maximumAvailable` once we know it:
cost = 2 + first x NODE_COST [INFER: Shopify's connection cost model, §1.6].

Writes: `inventorySetQuantities` (name `available`, reason `correction`), at most 250 quantities
per call (the generic GraphQL input-array cap: no per-mutation cap is documented, §1.4.4 [OPEN]).
Compare-and-set per the version matrix (§1.4.1): from 2026-01, `changeFromQuantity` = the
expected quantity (explicit null when unknown); up to 2025-10, `compareQuantity`, or
`ignoreCompareQuantity` for a batch where an expected quantity is unknown.

Idempotency (§1.5, versions 2026-01 and later): every write carries `@idempotent(key:)`. The key
is chosen *before* the call and reused for every retry of the same batch: the HTTP client's
in-process retries resend the same body; a later `set_quantities` of the same batch on the
same connector instance reuses the key kept under the batch's content; and the upload service
stores the key under `write_fingerprint(updates)` before the call and passes it back with
`set_quantities(updates, idempotency_key=key)` when a Celery retry, in another process, sends
the same batch again (`sync.models.UploadWriteIntent`). A key is forgotten once Shopify gave a
definitive answer.

Throttling (§1.6): the cost bucket is read from `extensions.cost.throttleStatus` of every answer;
before a call whose cost would not fit, we sleep until enough points are restored. A THROTTLED
answer (HTTP 200 + `errors[].extensions.code`) is waited out the same way; an HTTP 429 is retried
by the HTTP client honouring Retry-After.

Errors: userErrors are mapped back to the items by the index in their `field` path. Shopify
applies a batch all-or-nothing, so the items without an error are sent again in a new call (a new
input, so a new key). A compare-and-set mismatch re-reads the items' real quantities: when the
cart already holds what we wanted, the item succeeds; otherwise it fails carrying the real
quantity. Top-level GraphQL errors fail the call (THROTTLED aside).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from collections.abc import Iterator, Sequence
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

DEFAULT_API_VERSION = "2026-10"
MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
MAX_QUANTITIES_PER_CALL = 250
# Requested cost of one node of VARIANTS_QUERY: the variant, its product, its inventory item and
# the inventory level at the location.
NODE_COST = 4
MUTATION_COST = 10
STALE_CODES = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})

SHOP_QUERY = """
query CheckConnection($locationId: ID!) {
  shop { name }
  location(id: $locationId) { id name isActive }
}
"""

VARIANTS_QUERY = """
query CartVariants($first: Int!, $after: String, $locationId: ID!) {
  productVariants(first: $first, after: $after) {
    nodes {
      id sku title
      product { id title }
      inventoryItem {
        id tracked
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available"]) { name quantity }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

LEVELS_QUERY = """
query InventoryLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

_SELECTION = """
    inventoryAdjustmentGroup {
      id
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { code field message }
"""
SET_MUTATION_IDEMPOTENT = (
    "mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {\n"
    "  inventorySetQuantities(input: $input) @idempotent(key: $key) {" + _SELECTION + "  }\n}\n"
)
SET_MUTATION_LEGACY = (
    "mutation SetQuantities($input: InventorySetQuantitiesInput!) {\n"
    "  inventorySetQuantities(input: $input) {" + _SELECTION + "  }\n}\n"
)


class _CostAboveBucket(PermanentError):
    """A query costs more than the whole bucket: it can never run as it is."""


def _version_tuple(version: str) -> tuple[int, int]:
    if version == "unstable":
        return (9999, 12)
    year, month = version.split("-")
    return int(year), int(month)


def _location_gid(value: str) -> str:
    value = str(value).strip()
    return value if value.startswith("gid://") else f"gid://shopify/Location/{value}"


class ShopifyCartConnector(CartConnector):
    key = "shopify"
    label = "Shopify"
    parameter_fields = (
        ParameterField("shop_domain", "Shop domain", "my-shop.myshopify.com", is_required=False),
        ParameterField("location_id", "Shopify location id", "The location this cart syncs."),
        ParameterField(
            "api_version",
            "API version",
            f"Admin API version, default {DEFAULT_API_VERSION}.",
            is_required=False,
        ),
        ParameterField(
            "base_url", "Base URL", "Instead of the shop domain (tests).", is_required=False
        ),
    )
    secret_fields = (ParameterField("access_token", "Admin API access token"),)
    max_batch_size = MAX_QUANTITIES_PER_CALL

    def __init__(self, *, parameters, secrets=None) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        self.api_version = str(self.parameters.get("api_version") or DEFAULT_API_VERSION)
        try:
            self._version = _version_tuple(self.api_version)
        except ValueError:
            raise ConfigurationError(
                f"Shopify API version '{self.api_version}' is not YYYY-MM."
            ) from None
        base_url = self.parameters.get("base_url")
        if not base_url:
            domain = str(self.parameters.get("shop_domain") or "").strip().rstrip("/")
            if not domain:
                raise ConfigurationError("Shopify: the shop domain is not set.")
            base_url = domain if domain.startswith("https://") else f"https://{domain}"
        if not self.parameters.get("location_id"):
            raise ConfigurationError("Shopify: the location id is not set.")
        self.location_id = _location_gid(self.parameters["location_id"])
        token = self._secrets.get("access_token", "")
        if not token:
            raise ConfigurationError("Shopify: the access token is not set.")
        self.client = HttpClient(
            base_url=base_url,
            platform="Shopify",
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
            secrets=[token],
            **client_options(self.parameters),
        )
        self.path = f"/admin/api/{self.api_version}/graphql.json"
        self.max_throttle_waits = int(self.parameters.get("max_throttle_waits", 8))
        self.max_retry_after = self.client.max_retry_after
        # The cost bucket as last reported: (maximum, available, restore rate, when).
        self._bucket: tuple[float, float, float, float] | None = None
        self._idempotency_keys: dict[str, str] = {}
        self.throttle_waits = 0
        self.seconds_waited = 0.0

    # --- the contract ---------------------------------------------------------------------------

    def check(self) -> str:
        data = self._graphql(SHOP_QUERY, {"locationId": self.location_id}, estimated_cost=2)
        location = data.get("location")
        if not location:
            raise ConfigurationError(
                f"Shopify: the location {self.location_id} does not exist in this shop."
            )
        return f"Shopify shop {data['shop']['name']}, location {location['name']}"

    def list_items(self) -> Iterator[CartItem]:
        after: str | None = None
        while True:
            first = self._page_size()
            try:
                data = self._graphql(
                    VARIANTS_QUERY,
                    {"first": first, "after": after, "locationId": self.location_id},
                    estimated_cost=2 + first * NODE_COST,
                )
            except _CostAboveBucket:
                if self._page_size() >= first:
                    raise
                continue  # the bucket is now known: ask for a page that fits it
            connection = data["productVariants"]
            for node in connection["nodes"]:
                yield self._item(node)
            page_info = connection["pageInfo"]
            if not page_info["hasNextPage"]:
                return
            after = page_info["endCursor"]

    def idempotency_key_for(self, updates: Sequence[QuantityUpdate]) -> str:
        """The idempotency key of this batch: chosen now if it has none, kept until Shopify gives
        a definitive answer for it."""
        fingerprint = self._fingerprint(updates)
        return self._idempotency_keys.setdefault(fingerprint, str(uuid.uuid4()))

    def write_fingerprint(self, updates: Sequence[QuantityUpdate]) -> str | None:
        return self._fingerprint(updates) if self._version >= (2026, 1) else None

    def set_quantities(
        self, updates: Sequence[QuantityUpdate], *, idempotency_key: str | None = None
    ) -> list[ItemResult]:
        if len(updates) > self.max_batch_size:
            raise ValueError(f"At most {self.max_batch_size} updates per call, got {len(updates)}.")
        results: dict[str, ItemResult] = {}
        pending = list(updates)
        key = idempotency_key
        # Each round either succeeds or removes at least one failing item, so this ends.
        while pending:
            if key is None:
                key = self.idempotency_key_for(pending)
            else:
                self._idempotency_keys[self._fingerprint(pending)] = key
            failures = self._send(pending, key=key)
            self._idempotency_keys.pop(self._fingerprint(pending), None)
            key = None
            if failures is None:
                for update in pending:
                    results[update.external_item_id] = ItemResult(
                        update.external_item_id, ok=True, quantity=update.quantity
                    )
                break
            stale = {index: error for index, error in failures.items() if error[0] in STALE_CODES}
            real = self._real_quantities([pending[index] for index in stale]) if stale else {}
            for index, (code, message) in failures.items():
                update = pending[index]
                actual = real.get(update.external_item_id)
                if code in STALE_CODES and actual == update.quantity:
                    results[update.external_item_id] = ItemResult(
                        update.external_item_id, ok=True, quantity=actual
                    )
                    continue
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    quantity=actual,
                    error_message=f"{code}: {message}" if code else message,
                )
            pending = [update for index, update in enumerate(pending) if index not in failures]
        return [results[update.external_item_id] for update in updates]

    # --- writes ---------------------------------------------------------------------------------

    def _quantities_input(self, updates: Sequence[QuantityUpdate]) -> dict[str, Any]:
        entries = []
        payload: dict[str, Any] = {"name": "available", "reason": "correction"}
        if self._version >= (2026, 1):
            for update in updates:
                entries.append(
                    {
                        "inventoryItemId": update.external_item_id,
                        "locationId": self.location_id,
                        "quantity": update.quantity,
                        "changeFromQuantity": update.expected_quantity,
                    }
                )
        else:
            is_compared = all(update.expected_quantity is not None for update in updates)
            for update in updates:
                entry = {
                    "inventoryItemId": update.external_item_id,
                    "locationId": self.location_id,
                    "quantity": update.quantity,
                }
                if is_compared:
                    entry["compareQuantity"] = update.expected_quantity
                entries.append(entry)
            payload["ignoreCompareQuantity"] = not is_compared
        payload["quantities"] = entries
        return payload

    def _fingerprint(self, updates: Sequence[QuantityUpdate]) -> str:
        content = json.dumps(self._quantities_input(updates), sort_keys=True)
        return hashlib.sha256(content.encode()).hexdigest()

    def _send(
        self, updates: Sequence[QuantityUpdate], *, key: str
    ) -> dict[int, tuple[str, str]] | None:
        """One mutation. None when applied; else {index: (code, message)} of the failing items
        (nothing was applied)."""
        variables: dict[str, Any] = {"input": self._quantities_input(updates)}
        if self._version >= (2026, 1):
            variables["key"] = key
            query = SET_MUTATION_IDEMPOTENT
        else:
            query = SET_MUTATION_LEGACY
        # With a key Shopify applies a replay once; without one, absolute values (compared)
        # are still safe to resend.
        data = self._graphql(query, variables, estimated_cost=MUTATION_COST, idempotent=True)
        payload = data.get("inventorySetQuantities") or {}
        user_errors = payload.get("userErrors") or []
        if not user_errors:
            return None
        failures: dict[int, tuple[str, str]] = {}
        batch_errors: list[str] = []
        for error in user_errors:
            code = error.get("code") or ""
            message = error.get("message") or ""
            index = self._index_of(error.get("field"), len(updates))
            if index is None:
                batch_errors.append(f"{code}: {message}" if code else message)
                continue
            if index not in failures:
                failures[index] = (code, message)
        if batch_errors:
            text = "; ".join(batch_errors)
            if any(
                code in text
                for code in ("IDEMPOTENCY_CONCURRENT_REQUEST", "IDEMPOTENCY_PREVIOUS_ATTEMPT")
            ):
                raise TransientError(f"Shopify inventorySetQuantities: {text}")
            if "COMPARE_QUANTITY_REQUIRED" in text:
                # ≤ 2025-10 reports this against the input, not an item.
                raise PermanentError(f"Shopify inventorySetQuantities: {text}")
            raise PermanentError(f"Shopify rejected the quantities: {text}", platform_message=text)
        return failures

    @staticmethod
    def _index_of(field: Any, size: int) -> int | None:
        # ["input", "quantities", "<index>", "<field>"]
        if isinstance(field, list) and len(field) >= 3 and field[1] == "quantities":
            try:
                index = int(field[2])
            except (TypeError, ValueError):
                return None
            return index if 0 <= index < size else None
        return None

    def _real_quantities(self, updates: Sequence[QuantityUpdate]) -> dict[str, int | None]:
        data = self._graphql(
            LEVELS_QUERY,
            {
                "ids": [update.external_item_id for update in updates],
                "locationId": self.location_id,
            },
            estimated_cost=len(updates) * 2,
        )
        quantities: dict[str, int | None] = {}
        for node in data.get("nodes") or []:
            if node:
                quantities[node["id"]] = self._available(node.get("inventoryLevel"))
        return quantities

    # --- reads ----------------------------------------------------------------------------------

    def _page_size(self) -> int:
        limit = MAX_QUERY_COST
        if self._bucket is not None:
            limit = min(limit, int(self._bucket[0]))
        return max(1, min(MAX_PAGE_SIZE, (limit - 2) // NODE_COST))

    @staticmethod
    def _available(level: dict | None) -> int | None:
        if not level:
            return None
        for quantity in level.get("quantities") or []:
            if quantity.get("name") == "available":
                return quantity.get("quantity")
        return None

    def _item(self, node: dict[str, Any]) -> CartItem:
        inventory_item = node.get("inventoryItem") or {}
        level = inventory_item.get("inventoryLevel")
        product = node.get("product") or {}
        title = product.get("title") or ""
        if node.get("title") and node["title"] != "Default Title":
            title = f"{title} - {node['title']}" if title else node["title"]
        return CartItem(
            external_item_id=inventory_item.get("id") or node["id"],
            external_parent_id=node["id"],
            sku=node.get("sku") or "",
            title=title,
            is_inventory_tracked=bool(inventory_item.get("tracked")) and level is not None,
            quantity=self._available(level),
        )

    # --- GraphQL + cost-based throttling --------------------------------------------------------

    def _graphql(
        self,
        query: str,
        variables: dict[str, Any],
        *,
        estimated_cost: int,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        waits = 0
        while True:
            self._wait_for_budget(estimated_cost)
            response = self.client.post(
                self.path, json={"query": query, "variables": variables}, idempotent=idempotent
            )
            body = response_json(response)
            if not isinstance(body, dict):
                raise PermanentError("Shopify answered a body that is not a GraphQL response.")
            cost = (body.get("extensions") or {}).get("cost") or {}
            self._remember_bucket(cost.get("throttleStatus"))
            errors = body.get("errors")
            if not errors:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise PermanentError("Shopify answered without data.")
                return data
            codes = [
                ((error.get("extensions") or {}).get("code") or "")
                for error in errors
                if isinstance(error, dict)
            ]
            if "THROTTLED" in codes:
                requested = cost.get("requestedQueryCost") or estimated_cost
                if self._bucket is not None and requested > self._bucket[0]:
                    raise _CostAboveBucket(
                        f"Shopify: a query costing {requested} can never fit the bucket of "
                        f"{self._bucket[0]:.0f} points."
                    )
                wait = self._seconds_until(requested)
                waits += 1
                if waits > self.max_throttle_waits or wait > self.max_retry_after:
                    raise TransientError(
                        f"Shopify throttled {waits} request(s) in a row (cost {requested}).",
                        retry_after=max(wait, 1.0),
                    )
                self.throttle_waits += 1
                self._sleep(wait)
                continue
            messages = "; ".join(
                str(error.get("message", error)) if isinstance(error, dict) else str(error)
                for error in errors
            )
            if any(code in ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE") for code in codes):
                raise TransientError(f"Shopify error: {messages}", platform_message=messages)
            if "ACCESS_DENIED" in codes:
                raise ConfigurationError(
                    f"Shopify denied access: {messages}", platform_message=messages
                )
            raise PermanentError(
                f"Shopify rejected the request: {messages}", platform_message=messages
            )

    def _remember_bucket(self, status: dict | None) -> None:
        if not status:
            return
        try:
            self._bucket = (
                float(status["maximumAvailable"]),
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
                time.monotonic(),
            )
        except (KeyError, TypeError, ValueError):
            return

    def _seconds_until(self, cost: float) -> float:
        """Seconds until `cost` points are available, from the last reported bucket."""
        if self._bucket is None:
            return 0.0
        maximum, available, restore_rate, when = self._bucket
        if restore_rate <= 0:
            return 0.0
        now_available = min(maximum, available + (time.monotonic() - when) * restore_rate)
        missing = min(cost, maximum) - now_available
        if missing <= 0:
            return 0.0
        # A few milliseconds of margin: the bucket is measured on Shopify's clock.
        return math.ceil(missing / restore_rate * 1000) / 1000 + 0.005

    def _wait_for_budget(self, cost: float) -> None:
        wait = self._seconds_until(cost)
        if wait > 0:
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        self.seconds_waited += seconds
        time.sleep(seconds)
