"""WooCommerce REST API v3 emulator (PLATFORM_APIS.md §2): the inventory surface only.

- Auth: HTTP Basic (consumer key : consumer secret) or the query parameters `consumer_key` /
  `consumer_secret`; anything else → 401 `woocommerce_rest_authentication_error`.
- `GET /wp-json/` (the site index: name, url; no auth).
- `GET /wp-json/wc/v3/products` and `/products/<id>/variations`: `page`, `per_page` (1..100, else
  400 `rest_invalid_param`), `sku` (comma list; on /products it also matches variations),
  `orderby=id`, `order`; headers `X-WP-Total`, `X-WP-TotalPages`, `Link` (next/prev/first/last).
- `PUT /products/<id>`, `PUT /products/<pid>/variations/<id>`.
- `POST|PUT|PATCH /products/batch` and `/products/<pid>/variations/batch`: at most 100 objects
  across create+update+delete (413 `woocommerce_rest_request_entity_too_large`); HTTP 200 with a
  per-item result in input order, a failed item carrying `{"id", "error": {...}}`.
- `stock_status` derived when stock is managed: > 0 instock; otherwise onbackorder when
  backorders are allowed, else outofstock [INFER]. A variation that inherits its parent's stock
  reports `manage_stock: "parent"` and the parent's `stock_quantity`.

`fail_item(id, code, message, status)` makes that item's writes fail inside the 200 batch answer.
"""

from __future__ import annotations

import base64
import itertools
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.emulators.server import (
    EmulatorApp,
    Request,
    Response,
    json_response,
    run_standalone,
)

CONSUMER_KEY = "ck_test_key"
CONSUMER_SECRET = "cs_test_secret"
MAX_PER_PAGE = 100
MAX_BATCH = 100
API = "/wp-json/wc/v3"


def error(code: str, message: str, status: int, **data: Any) -> Response:
    return json_response(
        {"code": code, "message": message, "data": {"status": status, **data}}, status
    )


@dataclass
class WooObject:
    id: int
    sku: str
    type: str = "simple"  # simple | variable | variation
    parent_id: int = 0
    name: str = ""
    # True / False; on a variation also "parent" (inherits the parent's stock)
    manage_stock: bool | str = True
    stock_quantity: int | None = 0
    backorders: str = "no"

    def stock_status(self, quantity: int | None, managed: bool) -> str:
        if not managed:
            return "instock"
        if quantity is not None and quantity > 0:
            return "instock"
        return "onbackorder" if self.backorders != "no" else "outofstock"


class WooCommerceEmulator(EmulatorApp):
    name = "woocommerce"

    def __init__(
        self,
        *,
        consumer_key: str = CONSUMER_KEY,
        consumer_secret: str = CONSUMER_SECRET,
        site_name: str = "Emulated Woo Store",
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.site_name = site_name
        self.objects: dict[int, WooObject] = {}
        self.children: dict[int, list[int]] = {}  # variable product id -> its variation ids
        self.item_failures: dict[int, tuple[str, str, int]] = {}
        self.writes: list[list[tuple[int, int]]] = []
        self._ids = itertools.count(101)

    # --- seeding --------------------------------------------------------------------------------

    def add_product(
        self,
        sku: str,
        quantity: int | None = 0,
        *,
        manage_stock: bool = True,
        type: str = "simple",
        backorders: str = "no",
    ) -> WooObject:
        product = WooObject(
            id=next(self._ids),
            sku=sku,
            type=type,
            name=f"Product {sku}",
            manage_stock=manage_stock,
            stock_quantity=quantity if manage_stock else None,
            backorders=backorders,
        )
        with self.lock:
            self.objects[product.id] = product
        return product

    def add_variation(
        self,
        parent: WooObject,
        sku: str,
        quantity: int | None = 0,
        *,
        manage_stock: bool | str = True,
    ) -> WooObject:
        """`manage_stock="parent"`: the variation inherits `parent`'s stock."""
        assert parent.type == "variable"
        variation = WooObject(
            id=next(self._ids),
            sku=sku,
            type="variation",
            parent_id=parent.id,
            name=f"{parent.name} - {sku}",
            manage_stock=manage_stock,
            stock_quantity=quantity if manage_stock is True else None,
        )
        with self.lock:
            self.objects[variation.id] = variation
            self.children.setdefault(parent.id, []).append(variation.id)
        return variation

    def seed(self, count: int, *, quantity: int = 10, prefix: str = "SKU") -> list[WooObject]:
        return [self.add_product(f"{prefix}-{index:06d}", quantity) for index in range(count)]

    def fail_item(
        self,
        object_id: int,
        code: str = "woocommerce_rest_invalid_stock",
        message: str = "",
        *,
        status: int = 400,
    ) -> None:
        self.item_failures[object_id] = (code, message or "Invalid stock quantity.", status)

    def quantity(self, object_id: int) -> int | None:
        return self._effective(self.objects[object_id])[1]

    def set_quantity(self, object_id: int, quantity: int) -> None:
        """A person edits the stock in the WordPress admin (not one of our writes)."""
        self.objects[object_id].stock_quantity = quantity

    @property
    def written(self) -> list[tuple[int, int]]:
        return [pair for call in self.writes for pair in call]

    def control(self, action: str, payload: Any) -> Response | None:
        if action == "seed":
            created = self.seed(int(payload.get("count", 10)), quantity=payload.get("quantity", 10))
            return json_response({"created": len(created)})
        return None

    # --- HTTP -----------------------------------------------------------------------------------

    def classify(self, request: Request) -> str:
        if request.method == "GET":
            return "read"
        return "write"

    def handle(self, request: Request) -> Response:
        if request.path in ("/wp-json", "/wp-json/"):
            return json_response(
                {"name": self.site_name, "url": "http://emulated.woo", "namespaces": ["wc/v3"]}
            )
        if not request.path.startswith(API + "/"):
            return error(
                "rest_no_route", "No route was found matching the URL and request method", 404
            )
        if not self._authenticated(request):
            return error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        parts = request.path[len(API) + 1 :].strip("/").split("/")
        method = request.method
        if parts[0] != "products":
            return error(
                "rest_no_route", "No route was found matching the URL and request method", 404
            )
        if len(parts) == 1 and method == "GET":
            return self._list(request, parent=None)
        if len(parts) == 2 and parts[1] == "batch" and method in ("POST", "PUT", "PATCH"):
            return self._batch(request, parent=None)
        if len(parts) == 2 and method in ("GET", "PUT", "PATCH", "POST"):
            return self._single(request, parts[1], parent=None)
        if len(parts) >= 3 and parts[2] == "variations":
            parent = self._object(parts[1])
            if parent is None or parent.type != "variable":
                return error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            if len(parts) == 3 and method == "GET":
                return self._list(request, parent=parent)
            if len(parts) == 4 and parts[3] == "batch" and method in ("POST", "PUT", "PATCH"):
                return self._batch(request, parent=parent)
            if len(parts) == 4:
                return self._single(request, parts[3], parent=parent)
        return error("rest_no_route", "No route was found matching the URL and request method", 404)

    def _authenticated(self, request: Request) -> bool:
        header = request.header("Authorization")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return user == self.consumer_key and password == self.consumer_secret
        return (
            request.arg("consumer_key") == self.consumer_key
            and request.arg("consumer_secret") == self.consumer_secret
        )

    def _object(self, raw_id: str) -> WooObject | None:
        try:
            return self.objects.get(int(raw_id))
        except ValueError:
            return None

    def _effective(self, item: WooObject) -> tuple[bool | str, int | None]:
        if item.manage_stock == "parent":
            parent = self.objects[item.parent_id]
            return "parent", parent.stock_quantity if parent.manage_stock is True else None
        return item.manage_stock, item.stock_quantity if item.manage_stock is True else None

    def _render(self, item: WooObject) -> dict[str, Any]:
        manage_stock, quantity = self._effective(item)
        rendered = {
            "id": item.id,
            "name": item.name,
            "sku": item.sku,
            "parent_id": item.parent_id,
            "manage_stock": manage_stock,
            "stock_quantity": quantity,
            "stock_status": item.stock_status(quantity, manage_stock is not False),
            "backorders": item.backorders,
            "date_modified_gmt": "2026-08-15T05:38:08",
        }
        if item.type != "variation":
            rendered["type"] = item.type
            rendered["variations"] = sorted(self.children.get(item.id, []))
        return rendered

    def _list(self, request: Request, *, parent: WooObject | None) -> Response:
        try:
            page = int(request.arg("page", "1"))
            per_page = int(request.arg("per_page", "10"))
        except ValueError:
            return error("rest_invalid_param", "Invalid parameter(s): page", 400)
        if not 1 <= per_page <= MAX_PER_PAGE:
            return error(
                "rest_invalid_param",
                "Invalid parameter(s): per_page",
                400,
                params={
                    "per_page": f"per_page must be between 1 (inclusive) and {MAX_PER_PAGE} "
                    "(inclusive)"
                },
            )
        if page < 1:
            return error("rest_invalid_param", "Invalid parameter(s): page", 400)
        skus = request.arg("sku")
        with self.lock:
            if parent is None:
                candidates = [item for item in self.objects.values() if item.type != "variation"]
                if skus:
                    wanted = set(skus.split(",")) | {skus}
                    # With `sku`, the query also covers variations (core products controller).
                    candidates = [item for item in self.objects.values() if item.sku in wanted]
            else:
                candidates = [self.objects[child] for child in self.children.get(parent.id, [])]
                if skus:
                    wanted = set(skus.split(","))
                    candidates = [item for item in candidates if item.sku in wanted]
            candidates.sort(key=lambda item: item.id, reverse=request.arg("order") == "desc")
            total = len(candidates)
            total_pages = max(1, math.ceil(total / per_page)) if total else 0
            chunk = candidates[(page - 1) * per_page : page * per_page]
            body = [self._render(item) for item in chunk]
        links = []
        base = {name: values[0] for name, values in request.query.items()}
        host = request.header("Host", "127.0.0.1")

        def link(number: int, rel: str) -> str:
            query = urlencode({**base, "page": number})
            return f'<http://{host}{request.path}?{query}>; rel="{rel}"'

        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < total_pages:
            links.append(link(page + 1, "next"))
        if total_pages:
            links.append(link(1, "first"))
            links.append(link(total_pages, "last"))
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(total_pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return json_response(body, 200, **headers)

    def _update(self, item: WooObject, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply `changes` to `item`; returns an error dict or None."""
        failure = self.item_failures.get(item.id)
        if failure:
            code, message, status = failure
            return {"code": code, "message": message, "data": {"status": status}}
        if "stock_quantity" in changes:
            quantity = changes["stock_quantity"]
            if not isinstance(quantity, int) or isinstance(quantity, bool):
                return {
                    "code": "rest_invalid_param",
                    "message": "Invalid parameter(s): stock_quantity",
                    "data": {"status": 400},
                }
        if "manage_stock" in changes:
            item.manage_stock = changes["manage_stock"]
        if "stock_quantity" in changes and item.manage_stock is True:
            item.stock_quantity = changes["stock_quantity"]
        return None

    def _single(self, request: Request, raw_id: str, *, parent: WooObject | None) -> Response:
        item = self._object(raw_id)
        if item is None or (parent is not None and item.parent_id != parent.id):
            code = (
                "woocommerce_rest_product_variation_invalid_id"
                if parent
                else ("woocommerce_rest_product_invalid_id")
            )
            return error(code, "Invalid ID.", 404)
        if request.method == "GET":
            with self.lock:
                return json_response(self._render(item))
        with self.lock:
            problem = self._update(item, request.json() or {})
            if problem:
                return json_response(problem, problem["data"]["status"])
            self.writes.append([(item.id, item.stock_quantity)])
            return json_response(self._render(item))

    def _batch(self, request: Request, *, parent: WooObject | None) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return error("rest_invalid_json", "Invalid JSON body passed.", 400)
        size = sum(len(body.get(name) or []) for name in ("create", "update", "delete"))
        if size > MAX_BATCH:
            return error(
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {MAX_BATCH} items for this request.",
                413,
            )
        results = []
        applied = []
        with self.lock:
            for changes in body.get("update") or []:
                item = self.objects.get(changes.get("id"))
                is_wrong_kind = item is not None and (
                    (parent is None and item.type == "variation")
                    or (parent is not None and item.parent_id != parent.id)
                )
                if item is None or is_wrong_kind:
                    code = (
                        "woocommerce_rest_product_variation_invalid_id"
                        if parent
                        else "woocommerce_rest_product_invalid_id"
                    )
                    results.append(
                        {
                            "id": changes.get("id"),
                            "error": {
                                "code": code,
                                "message": "Invalid ID.",
                                "data": {"status": 404},
                            },
                        }
                    )
                    continue
                problem = self._update(item, changes)
                if problem:
                    results.append({"id": item.id, "error": problem})
                    continue
                applied.append((item.id, item.stock_quantity))
                results.append(self._render(item))
            self.writes.append(applied)
        return json_response({"update": results})


def _make_app(options) -> WooCommerceEmulator:
    app = WooCommerceEmulator()
    app.seed(options.seed)
    return app


def _add_arguments(parser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="simple products to create")


if __name__ == "__main__":
    run_standalone(_make_app, description=__doc__.splitlines()[0], add_arguments=_add_arguments)
