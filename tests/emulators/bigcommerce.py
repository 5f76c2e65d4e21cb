"""BigCommerce emulator (PLATFORM_APIS.md §3): catalog reads, inventory reads and absolute
adjustments of one store, `/stores/<hash>/...`.

- Auth: `X-Auth-Token`; wrong or missing → 401 problem JSON. Another store hash → 404.
- `GET /v2/store` (name).
- `GET /v3/catalog/products?include=variants`: `limit` ≤ 250 (413 above), `page`; the envelope
  `{"data", "meta": {"pagination"}}`.
- `GET /v3/inventory/locations` (`location_id:in`), `GET /v3/inventory/locations/<id>/items`
  (`limit` ≤ 1000, "1000 items for payload length" [INFER: 413 above]); 404 unknown location.
- `PUT /v3/inventory/adjustments/absolute`: ≤ 2000 items (413 above); each item names exactly one
  of `variant_id`, `product_id`, `sku`; the identity must match the product's tracking mode
  (variant_id on a product tracked by product → 422 with the documented title; the reverse and
  unknown items → 422 [INFER texts]); any 422 → nothing applied [INFER]. Applied after
  `apply_delay` seconds (asynchronous processing, default 0).
- Rate limit: a fixed window (`window_ms`, default 30000) with a quota (`quota`, default 150);
  every answer carries `X-Rate-Limit-Time-Window-Ms`, `X-Rate-Limit-Time-Reset-Ms`,
  `X-Rate-Limit-Requests-Quota`, `X-Rate-Limit-Requests-Left`; over quota → 429.

Stock is modelled as the on-hand quantity per location (`total_inventory_onhand`, what an
absolute adjustment sets); `available_to_sell` = on hand - safety stock (0 here).
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.server import (
    EmulatorApp,
    Request,
    Response,
    json_response,
    run_standalone,
)

ACCESS_TOKEN = "bc_test_token"
STORE_HASH = "abc123"
MAX_PRODUCTS_LIMIT = 250
MAX_LOCATION_ITEMS_LIMIT = 1000
MAX_ADJUSTMENT_ITEMS = 2000
MAX_QUANTITY = 2_147_483_647
STATUS_DOC = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


def problem(status: int, title: str, **errors: str) -> Response:
    return Response(
        status=status,
        body={"status": status, "title": title, "type": STATUS_DOC, "errors": errors},
        content_type="application/problem+json",
    )


@dataclass
class BcVariant:
    id: int
    product_id: int
    sku: str
    is_base: bool
    stock: dict[int, int] = field(default_factory=dict)


@dataclass
class BcProduct:
    id: int
    name: str
    sku: str
    inventory_tracking: str  # none | product | variant
    variants: list[BcVariant] = field(default_factory=list)
    stock: dict[int, int] = field(default_factory=dict)

    @property
    def base_variant(self) -> BcVariant:
        return next(variant for variant in self.variants if variant.is_base)


class BigCommerceEmulator(EmulatorApp):
    name = "bigcommerce"
    request_id_header = "X-Request-ID"

    def __init__(
        self,
        *,
        access_token: str = ACCESS_TOKEN,
        store_hash: str = STORE_HASH,
        store_name: str = "Emulated BigCommerce Store",
        quota: int = 150,
        window_ms: int = 30000,
        apply_delay: float = 0.0,
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.store_hash = store_hash
        self.store_name = store_name
        self.quota = quota
        self.window_ms = window_ms
        self.apply_delay = apply_delay
        self._window_start = time.monotonic()
        self._window_used = 0
        self.rate_limited = 0
        self.locations: dict[int, str] = {1: "Default location"}
        self.products: dict[int, BcProduct] = {}
        self.variants: dict[int, BcVariant] = {}
        self.writes: list[list[tuple[str, int]]] = []
        self._ids = itertools.count(101)

    # --- seeding --------------------------------------------------------------------------------

    def add_product(
        self,
        sku: str,
        quantity: int = 0,
        *,
        tracking: str = "product",
        variant_skus: dict[str, int] | None = None,
        location: int = 1,
    ) -> BcProduct:
        """A product with its base variant; `variant_skus` {sku: quantity} adds option variants
        (their quantities count when `tracking == "variant"`)."""
        product = BcProduct(
            id=next(self._ids), name=f"Product {sku}", sku=sku, inventory_tracking=tracking
        )
        base = BcVariant(id=next(self._ids), product_id=product.id, sku=sku, is_base=True)
        product.variants.append(base)
        if tracking == "product":
            product.stock[location] = quantity
        for variant_sku, variant_quantity in (variant_skus or {}).items():
            variant = BcVariant(
                id=next(self._ids), product_id=product.id, sku=variant_sku, is_base=False
            )
            if tracking == "variant":
                variant.stock[location] = variant_quantity
            product.variants.append(variant)
        if tracking == "variant" and len(product.variants) == 1:
            base.stock[location] = quantity
        with self.lock:
            self.products[product.id] = product
            for variant in product.variants:
                self.variants[variant.id] = variant
        return product

    def seed(self, count: int, *, quantity: int = 10, prefix: str = "SKU") -> list[BcProduct]:
        return [self.add_product(f"{prefix}-{index:06d}", quantity) for index in range(count)]

    def product_quantity(self, product_id: int, location: int = 1) -> int | None:
        return self.products[product_id].stock.get(location)

    def variant_quantity(self, variant_id: int, location: int = 1) -> int | None:
        return self.variants[variant_id].stock.get(location)

    @property
    def written(self) -> list[tuple[str, int]]:
        return [pair for call in self.writes for pair in call]

    # --- HTTP -----------------------------------------------------------------------------------

    def classify(self, request: Request) -> str:
        return "write" if request.method in ("PUT", "POST", "DELETE") else "read"

    def _rate_headers(self) -> dict[str, str]:
        elapsed_ms = (time.monotonic() - self._window_start) * 1000
        return {
            "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(max(0, math.ceil(self.window_ms - elapsed_ms))),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Requests-Left": str(max(0, self.quota - self._window_used)),
        }

    def handle(self, request: Request) -> Response:
        with self.lock:
            now = time.monotonic()
            if (now - self._window_start) * 1000 >= self.window_ms:
                self._window_start = now
                self._window_used = 0
            if self._window_used >= self.quota:
                self.rate_limited += 1
                response = problem(429, "Too many requests")
                response.headers.update(self._rate_headers())
                return response
            self._window_used += 1
            rate_headers = self._rate_headers()
        response = self._route(request)
        response.headers.update(rate_headers)
        return response

    def _route(self, request: Request) -> Response:
        match = re.match(r"^/stores/(?P<hash>[^/]+)/(?P<version>v2|v3)/(?P<rest>.*)$", request.path)
        if match is None or match["hash"] != self.store_hash:
            return problem(404, "Store not found")
        if request.header("X-Auth-Token") != self.access_token:
            return problem(401, "No valid credentials were found in this request")
        rest = match["rest"].strip("/")
        if match["version"] == "v2":
            if rest == "store" and request.method == "GET":
                return json_response({"id": self.store_hash, "name": self.store_name})
            return problem(404, "The requested resource was not found")
        if rest == "catalog/products" and request.method == "GET":
            return self._products(request)
        if rest == "inventory/locations" and request.method == "GET":
            return self._locations(request)
        location_items = re.match(r"^inventory/locations/(\d+)/items$", rest)
        if location_items and request.method == "GET":
            return self._location_items(request, int(location_items[1]))
        if rest == "inventory/adjustments/absolute" and request.method == "PUT":
            return self._absolute(request)
        return problem(404, "The requested resource was not found")

    def _paging(self, request: Request, maximum: int, default: int):
        try:
            limit = int(request.arg("limit", str(default)))
            page = int(request.arg("page", "1"))
        except ValueError:
            return None, None, problem(422, "limit and page must be integers")
        if limit > maximum:
            return None, None, problem(413, f"The limit must be at most {maximum}.")
        if limit < 1 or page < 1:
            return None, None, problem(422, "limit and page must be positive")
        return limit, page, None

    def _envelope(self, rows: list, total: int, limit: int, page: int) -> dict[str, Any]:
        total_pages = math.ceil(total / limit) if total else 0
        links: dict[str, str] = {"current": f"?limit={limit}&page={page}"}
        if page < total_pages:
            links["next"] = f"?limit={limit}&page={page + 1}"
        if page > 1:
            links["previous"] = f"?limit={limit}&page={page - 1}"
        return {
            "data": rows,
            "meta": {
                "pagination": {
                    "total": total,
                    "count": len(rows),
                    "per_page": limit,
                    "current_page": page,
                    "total_pages": total_pages,
                    "links": links,
                }
            },
        }

    def _products(self, request: Request) -> Response:
        limit, page, error = self._paging(request, MAX_PRODUCTS_LIMIT, 50)
        if error:
            return error
        include_variants = "variants" in (request.arg("include") or "").split(",")
        with self.lock:
            products = sorted(self.products.values(), key=lambda product: product.id)
            chunk = products[(page - 1) * limit : page * limit]
            rows = []
            for product in chunk:
                row: dict[str, Any] = {
                    "id": product.id,
                    "name": product.name,
                    "sku": product.sku,
                    "inventory_tracking": product.inventory_tracking,
                    "inventory_level": product.stock.get(1, 0),
                    "base_variant_id": product.base_variant.id,
                }
                if include_variants:
                    row["variants"] = [
                        {
                            "id": variant.id,
                            "product_id": product.id,
                            "sku": variant.sku,
                            "inventory_level": variant.stock.get(1, 0),
                            "option_values": []
                            if variant.is_base
                            else [{"label": variant.sku, "option_display_name": "Option"}],
                        }
                        for variant in product.variants
                    ]
                rows.append(row)
        return json_response(self._envelope(rows, len(products), limit, page))

    def _locations(self, request: Request) -> Response:
        wanted = request.arg("location_id:in")
        ids = {int(value) for value in wanted.split(",")} if wanted else set(self.locations)
        rows = [
            {"id": location_id, "label": label, "code": f"LOC-{location_id}", "enabled": True}
            for location_id, label in sorted(self.locations.items())
            if location_id in ids
        ]
        return json_response(self._envelope(rows, len(rows), 50, 1))

    def _location_items(self, request: Request, location: int) -> Response:
        if location not in self.locations:
            return problem(404, f"Location {location} not found")
        limit, page, error = self._paging(request, MAX_LOCATION_ITEMS_LIMIT, 50)
        if error:
            return error
        with self.lock:
            entries = []
            for product in sorted(self.products.values(), key=lambda product: product.id):
                if product.inventory_tracking == "product":
                    base = product.base_variant
                    entries.append((product.sku, base.id, product.id, product.stock.get(location)))
                elif product.inventory_tracking == "variant":
                    for variant in product.variants:
                        if variant.is_base and len(product.variants) > 1:
                            continue
                        entries.append(
                            (variant.sku, variant.id, product.id, variant.stock.get(location))
                        )
            chunk = entries[(page - 1) * limit : page * limit]
            rows = [
                {
                    "identity": {"sku": sku, "variant_id": variant_id, "product_id": product_id},
                    "available_to_sell": quantity or 0,
                    "total_inventory_onhand": quantity or 0,
                    "settings": {"safety_stock": 0, "is_in_stock": (quantity or 0) > 0},
                }
                for sku, variant_id, product_id, quantity in chunk
            ]
        return json_response(self._envelope(rows, len(entries), limit, page))

    def _absolute(self, request: Request) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return problem(400, "The request body is not valid JSON")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            return problem(422, "items is required")
        if len(items) > MAX_ADJUSTMENT_ITEMS:
            return problem(
                413,
                "The request payload is too large. The maximum items allowed in the array is "
                f"{MAX_ADJUSTMENT_ITEMS}",
            )
        changes: list[tuple[Any, int, int, str]] = []  # (target, location, quantity, label)
        with self.lock:
            for item in items:
                identities = [name for name in ("variant_id", "product_id", "sku") if name in item]
                if len(identities) != 1:
                    return problem(
                        422, "[Each item needs exactly one of variant_id, product_id, sku]"
                    )
                location = item.get("location_id")
                if location not in self.locations:
                    return problem(422, f"[Location with id {location} not found]")
                quantity = item.get("quantity")
                if not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
                    return problem(422, f"[Invalid quantity {quantity!r}]")
                name = identities[0]
                value = item[name]
                target, error = self._target(name, value)
                if error:
                    return problem(422, f"[{error}]")
                changes.append((target, location, quantity, f"{name}:{value}"))
            transaction_id = str(uuid.uuid4())

        def apply() -> None:
            with self.lock:
                for target, location, quantity, _ in changes:
                    target.stock[location] = quantity
                self.writes.append([(label, quantity) for _, _, quantity, label in changes])

        if self.apply_delay:
            threading.Timer(self.apply_delay, apply).start()
        else:
            apply()
        return json_response({"transaction_id": transaction_id})

    def _target(self, name: str, value: Any) -> tuple[Any, str]:
        if name == "variant_id":
            variant = self.variants.get(value)
            if variant is None:
                return None, f"Item with variant_id {value} not found"
            product = self.products[variant.product_id]
            if product.inventory_tracking == "product":
                return None, (
                    f"Item with variant_id {value} is tracked by product, please update stock "
                    "by product id"
                )
            if product.inventory_tracking == "none":
                return None, f"Item with variant_id {value} does not track inventory"
            return variant, ""
        if name == "product_id":
            product = self.products.get(value)
            if product is None:
                return None, f"Item with product_id {value} not found"
            if product.inventory_tracking == "variant":
                if len(product.variants) == 1:
                    return product.base_variant, ""
                return None, (
                    f"Item with product_id {value} is tracked by variant, please update stock "
                    "by variant id"
                )
            if product.inventory_tracking == "none":
                return None, f"Item with product_id {value} does not track inventory"
            return product, ""
        matches = [variant for variant in self.variants.values() if variant.sku == value]
        if not matches:
            return None, f"Item with sku {value} not found"
        product = self.products[matches[0].product_id]
        if product.inventory_tracking == "product":
            return product, ""
        if product.inventory_tracking == "none":
            return None, f"Item with sku {value} does not track inventory"
        return matches[0], ""


def _make_app(options) -> BigCommerceEmulator:
    app = BigCommerceEmulator()
    app.seed(options.seed)
    return app


def _add_arguments(parser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="products to create")


if __name__ == "__main__":
    run_standalone(_make_app, description=__doc__.splitlines()[0], add_arguments=_add_arguments)
