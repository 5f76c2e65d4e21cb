"""Shopify Admin GraphQL emulator (PLATFORM_APIS.md §1): the inventory surface only.

`POST /admin/api/<version>/graphql.json` with `X-Shopify-Access-Token`. Operations are recognised
by their root field (this is not a full GraphQL server: the shapes returned are fixed, whatever
the selection):

- `shop { name }` and `location(id:)` (Test connection);
- `productVariants(first:, after:)` with `inventoryItem { id tracked inventoryLevel(locationId:)
  { quantities(names:) } }`, cursor-paged, `first` ≤ 250;
- `nodes(ids:)` of InventoryItems with their `inventoryLevel(locationId:)` (≤ 250 ids);
- `inventorySetQuantities(input:)` per the version matrix (§1.4.1): ≤ 2025-10 takes
  `compareQuantity`/`ignoreCompareQuantity`; 2026-01 adds optional `changeFromQuantity` and
  `@idempotent(key:)`; 2026-04 and later require both at runtime and drop the compare fields.
  Validation order of §1.8; any userError → nothing applied. > 250 quantities →
  `MAX_INPUT_SIZE_EXCEEDED`. `@idempotent(key:)`: same key + same input → the stored response
  replayed (nothing applied again); same key + other input → `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`.

Cost (§1.6): a leaky bucket (`maximum_available`, `restore_rate`) per emulator; a query is charged
its requested cost up front and refunded the difference to its actual cost. Requested cost of a
connection = 2 + first x node cost (node cost: 1 for the node + 1 per nested object selected:
product, inventoryItem, inventoryLevel); `nodes(ids:)` = ids x node cost; a mutation = 10
(`mutation_cost`). Over 1000 → `MAX_COST_EXCEEDED`. Not enough points → THROTTLED (HTTP 200 +
`errors[].extensions.code == "THROTTLED"`, or with `throttle_status=429` an HTTP 429 +
`Retry-After`). `extensions.cost` is on every answer.

[INFER]: the exact top-level error texts for the 2026-04 runtime requirements (§7.2), the
`first` limit error text, and that writes to untracked items succeed (§7.4).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.server import (
    EmulatorApp,
    Request,
    Response,
    json_response,
    run_standalone,
)

MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
MAX_INPUT_SIZE = 250
REASONS = frozenset(
    [
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    ]
)
ACCESS_TOKEN = "shpat_test_token"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
VERSION_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json$")
IDEMPOTENT_DIRECTIVE = re.compile(r'@idempotent\(\s*key:\s*(?:\$(\w+)|"([^"]*)")\s*\)')


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def version_tuple(version: str) -> tuple[int, int]:
    if version == "unstable":
        return (9999, 12)
    year, month = version.split("-")
    return int(year), int(month)


@dataclass
class Variant:
    variant_id: str
    product_id: str
    inventory_item_id: str
    sku: str
    title: str = "Default Title"
    product_title: str = ""
    tracked: bool = True
    is_mutable: bool = True
    # location gid -> available (a location absent: not stocked there)
    levels: dict[str, int] = field(default_factory=dict)


class ShopifyEmulator(EmulatorApp):
    name = "shopify"
    request_id_header = "X-Request-Id"

    def __init__(
        self,
        *,
        access_token: str = ACCESS_TOKEN,
        shop_name: str = "Emulated Shop",
        maximum_available: float = 2000.0,
        restore_rate: float = 100.0,
        mutation_cost: int = 10,
        throttle_status: int = 200,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.shop_name = shop_name
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self.currently_available = float(maximum_available)
        self._bucket_time = time.monotonic()
        self.mutation_cost = mutation_cost
        self.throttle_status = throttle_status
        self.locations: dict[str, str] = {}
        self.variants: list[Variant] = []
        self.by_item: dict[str, Variant] = {}
        self.idempotency: dict[str, tuple[str, dict[str, Any]]] = {}
        self.applied_mutations = 0
        self.replayed_mutations = 0
        self.throttled = 0
        self.writes: list[list[tuple[str, int]]] = []
        self._numbers = itertools.count(1001)
        self._group_numbers = itertools.count(9001)
        self.default_location = self.add_location("Main warehouse")
        self._apply_lock = threading.Lock()

    # --- seeding --------------------------------------------------------------------------------

    def add_location(self, name: str) -> str:
        location = gid("Location", next(self._numbers))
        self.locations[location] = name
        return location

    def add_variant(
        self,
        sku: str,
        quantity: int | None = 0,
        *,
        tracked: bool = True,
        location: str | None = None,
        title: str = "Default Title",
        product_title: str = "",
        is_mutable: bool = True,
    ) -> Variant:
        """A variant (with its product and inventory item), stocked at `location` (the default
        location) with `quantity` available; `quantity=None`: not stocked there."""
        number = next(self._numbers)
        variant = Variant(
            variant_id=gid("ProductVariant", number),
            product_id=gid("Product", number),
            inventory_item_id=gid("InventoryItem", number),
            sku=sku,
            title=title,
            product_title=product_title or f"Product {sku}",
            tracked=tracked,
            is_mutable=is_mutable,
        )
        if quantity is not None:
            variant.levels[location or self.default_location] = quantity
        with self.lock:
            self.variants.append(variant)
            self.by_item[variant.inventory_item_id] = variant
        return variant

    def seed(self, count: int, *, quantity: int = 10, prefix: str = "SKU") -> list[Variant]:
        return [self.add_variant(f"{prefix}-{index:06d}", quantity) for index in range(count)]

    def quantity(self, inventory_item_id: str, location: str | None = None) -> int | None:
        return self.by_item[inventory_item_id].levels.get(location or self.default_location)

    def set_quantity(self, inventory_item_id: str, quantity: int, location: str | None = None):
        """A person edits the quantity in the Shopify admin (not one of our writes)."""
        self.by_item[inventory_item_id].levels[location or self.default_location] = quantity

    def exhaust_budget(self, *, currently_available: float = 0.0) -> None:
        with self.lock:
            self._refill()
            self.currently_available = currently_available

    @property
    def written(self) -> list[tuple[str, int]]:
        return [pair for call in self.writes for pair in call]

    def control(self, action: str, payload: Any) -> Response | None:
        if action == "seed":
            variants = self.seed(
                int(payload.get("count", 10)), quantity=payload.get("quantity", 10)
            )
            return json_response({"created": len(variants), "location": self.default_location})
        if action == "variants":
            with self.lock:
                return json_response(
                    [
                        {"inventoryItemId": v.inventory_item_id, "sku": v.sku, "levels": v.levels}
                        for v in self.variants
                    ]
                )
        if action == "set-quantity":
            self.set_quantity(payload["inventoryItemId"], int(payload["quantity"]))
            return json_response({"ok": True})
        return None

    # --- HTTP -----------------------------------------------------------------------------------

    def classify(self, request: Request) -> str:
        try:
            query = request.json().get("query", "")
        except (ValueError, AttributeError):
            return "read"
        return "write" if re.search(r"^\s*mutation\b", query) else "read"

    def handle(self, request: Request) -> Response:
        match = VERSION_PATH.match(request.path)
        if request.method != "POST" or match is None:
            return json_response({"errors": "Not Found"}, 404)
        if request.header("X-Shopify-Access-Token") != self.access_token:
            return json_response({"errors": INVALID_TOKEN}, 401)
        version = match["version"]
        try:
            body = request.json()
            query = body["query"]
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return json_response({"errors": [{"message": "Invalid JSON body or missing query"}]})

        if re.search(r"\binventorySetQuantities\b", query):
            return self._cost_and_run(
                self.mutation_cost,
                lambda: self._set_quantities(version, query, variables),
            )
        if re.search(r"\bproductVariants\b", query):
            first = variables.get("first")
            if not isinstance(first, int) or first < 1:
                return self._error("first must be a positive integer", "BAD_REQUEST")
            if first > MAX_PAGE_SIZE:
                return self._error(f"first cannot exceed {MAX_PAGE_SIZE}", "BAD_REQUEST")
            node_cost = self._node_cost(query)
            return self._cost_and_run(
                2 + first * node_cost,
                lambda: self._variants(first, variables, node_cost),
            )
        if re.search(r"\bnodes\s*\(", query):
            ids = variables.get("ids") or []
            if len(ids) > MAX_INPUT_SIZE:
                return self._input_size_error(len(ids), ["nodes"])
            node_cost = self._node_cost(query)
            return self._cost_and_run(
                len(ids) * node_cost, lambda: self._nodes(ids, variables, node_cost)
            )
        if re.search(r"\bshop\b", query):
            return self._cost_and_run(2, lambda: self._shop(variables))
        return self._error("Unsupported operation in the emulator", "UNSUPPORTED")

    # --- cost -----------------------------------------------------------------------------------

    def _node_cost(self, query: str) -> int:
        return 1 + sum(
            1
            for pattern in (r"\bproduct\s*\{", r"\binventoryItem\s*\{", r"\binventoryLevel\s*\(")
            if re.search(pattern, query)
        )

    def _refill(self) -> None:
        now = time.monotonic()
        self.currently_available = min(
            self.maximum_available,
            self.currently_available + (now - self._bucket_time) * self.restore_rate,
        )
        self._bucket_time = now

    def _status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": round(self.currently_available, 3),
            "restoreRate": self.restore_rate,
        }

    def _cost_and_run(self, requested: int, run) -> Response:
        if requested > MAX_QUERY_COST:
            return json_response(
                {
                    "errors": [
                        {
                            "message": f"Query cost is {requested}, which exceeds the single "
                            f"query max cost limit ({MAX_QUERY_COST}).",
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": requested,
                                "maxCost": MAX_QUERY_COST,
                            },
                        }
                    ]
                }
            )
        with self.lock:
            self._refill()
            if requested > self.currently_available:
                self.throttled += 1
                cost = {
                    "requestedQueryCost": requested,
                    "actualQueryCost": None,
                    "throttleStatus": self._status(),
                }
                body = {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {"cost": cost},
                }
                if self.throttle_status == 429:
                    wait = (requested - self.currently_available) / self.restore_rate
                    return json_response(body, 429, **{"Retry-After": f"{max(wait, 0.001):.3f}"})
                return json_response(body)
            self.currently_available -= requested
        data, actual, extra = run()
        with self.lock:
            if actual is None:
                actual = requested
            self.currently_available += max(0, requested - actual)
            body = dict(extra)
            body["data"] = data
            body["extensions"] = {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": actual,
                    "throttleStatus": self._status(),
                }
            }
        return json_response(body)

    def _error(self, message: str, code: str) -> Response:
        return json_response({"errors": [{"message": message, "extensions": {"code": code}}]})

    def _input_size_error(self, size: int, path: list[str]) -> Response:
        return json_response(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"The input array size of {size} is greater than the maximum "
                        f"allowed of {MAX_INPUT_SIZE}.",
                        "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                        "path": path,
                    }
                ],
            }
        )

    # --- reads ----------------------------------------------------------------------------------

    def _level(self, variant: Variant, location: str | None) -> dict[str, Any] | None:
        if location is None or location not in variant.levels:
            return None
        return {
            "id": f"gid://shopify/InventoryLevel/{location.rsplit('/', 1)[1]}"
            f"?inventory_item_id={variant.inventory_item_id.rsplit('/', 1)[1]}",
            "quantities": [{"name": "available", "quantity": variant.levels[location]}],
        }

    def _inventory_item(self, variant: Variant, location: str | None) -> dict[str, Any]:
        return {
            "id": variant.inventory_item_id,
            "sku": variant.sku,
            "tracked": variant.tracked,
            "inventoryLevel": self._level(variant, location),
        }

    def _variants(self, first: int, variables: dict, node_cost: int):
        after = variables.get("after")
        start = 0
        if after:
            start = int(base64.b64decode(after).decode().split(":")[1]) + 1
        location = variables.get("locationId")
        with self.lock:
            page = self.variants[start : start + first]
            has_next = start + first < len(self.variants)
            nodes = [
                {
                    "id": variant.variant_id,
                    "sku": variant.sku,
                    "title": variant.title,
                    "product": {"id": variant.product_id, "title": variant.product_title},
                    "inventoryItem": self._inventory_item(variant, location),
                }
                for variant in page
            ]
        end_cursor = (
            base64.b64encode(f"cursor:{start + len(page) - 1}".encode()).decode() if page else None
        )
        data = {
            "productVariants": {
                "nodes": nodes,
                "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor},
            }
        }
        return data, 2 + len(page) * node_cost, {}

    def _nodes(self, ids: list[str], variables: dict, node_cost: int):
        location = variables.get("locationId")
        with self.lock:
            nodes = [
                self._inventory_item(self.by_item[item], location) if item in self.by_item else None
                for item in ids
            ]
        return {"nodes": nodes}, max(1, sum(node is not None for node in nodes) * node_cost), {}

    def _shop(self, variables: dict):
        data: dict[str, Any] = {"shop": {"name": self.shop_name}}
        location = variables.get("locationId")
        if location is not None:
            data["location"] = (
                {"id": location, "name": self.locations[location], "isActive": True}
                if location in self.locations
                else None
            )
        return data, 2, {}

    # --- the write ------------------------------------------------------------------------------

    def _set_quantities(self, version: str, query: str, variables: dict):
        """Returns (data, actual cost, extra top-level keys such as `errors`)."""
        row = version_tuple(version)
        directive = IDEMPOTENT_DIRECTIVE.search(query)
        key = None
        if directive:
            if row < (2026, 1):
                return (
                    None,
                    1,
                    self._top_error("Directive 'idempotent' is not defined", "undefinedDirective"),
                )
            key = variables.get(directive[1]) if directive[1] else directive[2]
            if not key:
                return None, 1, self._top_error("The idempotency key must not be empty.", "BAD")
        elif row >= (2026, 4):
            return (
                None,
                1,
                self._top_error(
                    "The @idempotent directive is required for this mutation.",
                    "IDEMPOTENCY_KEY_REQUIRED",
                ),
            )
        payload = variables.get("input")
        if not isinstance(payload, dict):
            return (
                None,
                1,
                self._top_error(
                    "Variable $input of type InventorySetQuantitiesInput! was not provided.", "BAD"
                ),
            )
        fingerprint = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

        with self._apply_lock:
            if key is not None and key in self.idempotency:
                stored_fingerprint, stored = self.idempotency[key]
                if stored_fingerprint == fingerprint:
                    self.replayed_mutations += 1
                    return stored, self.mutation_cost, {}
                return (
                    self._payload_errors(
                        [
                            (
                                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                ["input"],
                                "The same idempotency key cannot be used with different "
                                "operation parameters.",
                            )
                        ]
                    ),
                    self.mutation_cost,
                    {},
                )
            result = self._validate_and_apply(row, payload)
            if isinstance(result, Response):
                return None, 1, json.loads(result.encoded())
            if key is not None:
                self.idempotency[key] = (fingerprint, result)
            return result, self.mutation_cost, {}

    def _top_error(self, message: str, code: str) -> dict[str, Any]:
        return {"errors": [{"message": message, "extensions": {"code": code}}]}

    def _payload_errors(self, errors: list[tuple[str, list[str], str]]) -> dict[str, Any]:
        return {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {"code": code, "field": path, "message": message}
                    for code, path, message in errors
                ],
            }
        }

    def _validate_and_apply(self, row: tuple[int, int], payload: dict):
        quantities = payload.get("quantities")
        if not isinstance(quantities, list):
            return json_response(self._top_error("quantities is required", "BAD"))
        if len(quantities) > MAX_INPUT_SIZE:
            return self._input_size_error(len(quantities), ["inventorySetQuantities"])
        # Schema checks of the version's input object (unknown fields are GraphQL errors).
        input_fields = {"name", "reason", "referenceDocumentUri", "quantities"}
        entry_fields = {"inventoryItemId", "locationId", "quantity"}
        if row < (2026, 4):
            input_fields.add("ignoreCompareQuantity")
            entry_fields.add("compareQuantity")
        if row >= (2026, 1):
            entry_fields.add("changeFromQuantity")
        for name in payload:
            if name not in input_fields:
                return json_response(
                    self._top_error(
                        f"Variable $input of type InventorySetQuantitiesInput! was provided "
                        f"invalid value for {name} (Field is not defined on "
                        f"InventorySetQuantitiesInput)",
                        "INVALID_VARIABLE",
                    )
                )
        for index, entry in enumerate(quantities):
            for name in entry:
                if name not in entry_fields:
                    return json_response(
                        self._top_error(
                            f"Variable $input of type InventorySetQuantitiesInput! was provided "
                            f"invalid value for quantities.{index}.{name} (Field is not defined "
                            f"on InventoryQuantityInput)",
                            "INVALID_VARIABLE",
                        )
                    )
            if row >= (2026, 4) and "changeFromQuantity" not in entry:
                return json_response(
                    self._top_error(
                        f"quantities.{index}.changeFromQuantity must be given (the expected "
                        "current quantity, or null).",
                        "CHANGE_FROM_QUANTITY_REQUIRED",
                    )
                )

        errors: list[tuple[str, list[str], str]] = []
        if payload.get("name") not in ("available", "on_hand"):
            errors.append(
                (
                    "INVALID_NAME",
                    ["input", "name"],
                    "The quantity name must be either 'available' or 'on_hand'.",
                )
            )
        if payload.get("reason") not in REASONS:
            errors.append(
                ("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
            )
        uri = payload.get("referenceDocumentUri")
        if uri is not None and not re.match(r"^[a-z][a-z0-9+.-]*://.+", uri):
            errors.append(
                (
                    "INVALID_REFERENCE_DOCUMENT",
                    ["input", "referenceDocumentUri"],
                    "The specified reference document is invalid.",
                )
            )
        if errors:
            return self._payload_errors(errors)

        name = payload["name"]
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(quantities):
            path = ["input", "quantities", str(index)]
            quantity = entry.get("quantity")
            if quantity < -1_000_000_000:
                errors.append(
                    (
                        "INVALID_QUANTITY_TOO_LOW",
                        [*path, "quantity"],
                        "The quantity can't be lower than -1,000,000,000.",
                    )
                )
            elif quantity > 1_000_000_000:
                errors.append(
                    (
                        "INVALID_QUANTITY_TOO_HIGH",
                        [*path, "quantity"],
                        "The total quantity can't be higher than 1,000,000,000.",
                    )
                )
            elif name != "available" and quantity < 0:
                errors.append(
                    (
                        "INVALID_QUANTITY_NEGATIVE",
                        [*path, "quantity"],
                        "The quantity can't be negative.",
                    )
                )
            pair = (entry.get("inventoryItemId"), entry.get("locationId"))
            if pair in seen:
                errors.append(
                    (
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                        [*path, "locationId"],
                        "The combination of inventoryItemId and locationId must be unique.",
                    )
                )
            seen.add(pair)
        if errors:
            return self._payload_errors(errors)

        ignore_compare = bool(payload.get("ignoreCompareQuantity"))
        with self.lock:
            for index, entry in enumerate(quantities):
                path = ["input", "quantities", str(index)]
                variant = self.by_item.get(entry["inventoryItemId"])
                location = entry["locationId"]
                if variant is None:
                    errors.append(
                        (
                            "INVALID_INVENTORY_ITEM",
                            [*path, "inventoryItemId"],
                            "The specified inventory item could not be found.",
                        )
                    )
                    continue
                if location not in self.locations:
                    errors.append(
                        (
                            "INVALID_LOCATION",
                            [*path, "locationId"],
                            "The specified location could not be found.",
                        )
                    )
                    continue
                if location not in variant.levels:
                    errors.append(
                        (
                            "ITEM_NOT_STOCKED_AT_LOCATION",
                            [*path, "inventoryItemId"],
                            "The inventory item is not stocked at the location.",
                        )
                    )
                    continue
                if not variant.is_mutable:
                    errors.append(
                        (
                            "NON_MUTABLE_INVENTORY_ITEM",
                            [*path, "inventoryItemId"],
                            "The specified inventory item is not allowed to be adjusted via API.",
                        )
                    )
                    continue
                current = variant.levels[location]
                if row >= (2026, 1) and "changeFromQuantity" in entry:
                    expected = entry["changeFromQuantity"]
                    if expected is not None and expected != current:
                        errors.append(
                            (
                                "CHANGE_FROM_QUANTITY_STALE",
                                [*path, "changeFromQuantity"],
                                "The changeFromQuantity value does not match persisted value.",
                            )
                        )
                elif row < (2026, 4) and not ignore_compare and "changeFromQuantity" not in entry:
                    if "compareQuantity" not in entry:
                        errors.append(
                            (
                                "COMPARE_QUANTITY_REQUIRED",
                                ["input", "ignoreCompareQuantity"],
                                "The compareQuantity argument must be given to each quantity "
                                "or ignored using ignoreCompareQuantity.",
                            )
                        )
                    elif entry["compareQuantity"] != current:
                        errors.append(
                            (
                                "COMPARE_QUANTITY_STALE",
                                [*path, "compareQuantity"],
                                "The compareQuantity value does not match persisted value.",
                            )
                        )
            if errors:
                return self._payload_errors(errors)

            changes = []
            applied = []
            for entry in quantities:
                variant = self.by_item[entry["inventoryItemId"]]
                before = variant.levels[entry["locationId"]]
                variant.levels[entry["locationId"]] = entry["quantity"]
                applied.append((variant.inventory_item_id, entry["quantity"]))
                changes.append(
                    {
                        "name": name,
                        "delta": entry["quantity"] - before,
                        "quantityAfterChange": entry["quantity"],
                        "item": {"id": variant.inventory_item_id},
                        "location": {"id": entry["locationId"]},
                    }
                )
            self.applied_mutations += 1
            self.writes.append(applied)
        return {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": {
                    "id": gid("InventoryAdjustmentGroup", next(self._group_numbers)),
                    "reason": payload["reason"],
                    "referenceDocumentUri": payload.get("referenceDocumentUri"),
                    "changes": changes,
                },
                "userErrors": [],
            }
        }


def _add_arguments(parser) -> None:
    parser.add_argument("--token", default=ACCESS_TOKEN)
    parser.add_argument("--seed", type=int, default=0, help="variants to create")
    parser.add_argument("--maximum-available", type=float, default=2000.0)
    parser.add_argument("--restore-rate", type=float, default=100.0)


def _make_app(options) -> ShopifyEmulator:
    app = ShopifyEmulator(
        access_token=options.token,
        maximum_available=options.maximum_available,
        restore_rate=options.restore_rate,
    )
    app.seed(options.seed)
    print(f"location id: {app.default_location}", flush=True)
    return app


if __name__ == "__main__":
    run_standalone(_make_app, description=__doc__.splitlines()[0], add_arguments=_add_arguments)
