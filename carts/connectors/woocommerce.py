"""WooCommerce, through the REST API v3 (PLATFORM_APIS.md §2).

Connection parameters: `store_url` (`https://shop.example.com`; plain http only for localhost,
because Basic auth over http would expose the secret), plus the HTTP tuning of
`integration_manager.http.client_options`. Secrets: `consumer_key`, `consumer_secret` (HTTP
Basic; the query-string fallback is not used).

Items:
- a simple product → `external_item_id` "<product id>";
- a variation → "<parent id>/<variation id>" (the parent is needed to write it: variations are
  batched per parent, §2.5), `external_parent_id` the parent id;
- a variable product whose own `manage_stock` is true holds the stock of its variations that say
  `manage_stock: "parent"` [READ-3P]: the parent is the item that is written ("<product id>",
  with the parent's SKU); each inheriting variation is listed as *not* inventory-enabled (its
  stock is the parent's, shown as its quantity), so a variation's SKU never overwrites the
  shared stock. Variable products without stock of their own, grouped and external products
  hold no stock and are not listed.
`manage_stock: false` → not inventory-enabled, quantity None.

Reads: `/products` and `/products/<id>/variations` with `per_page=100` (the maximum), paged
until `X-WP-TotalPages`. Writes: `/products/batch` for products and
`/products/<id>/variations/batch` per parent, `{"update": [{"id", "manage_stock": true,
"stock_quantity"}]}`, at most 100 objects per call; the answer is HTTP 200 with one result per
item in input order, failed ones carrying `error` (isolated to their item). A batch of updates is
sent as one call per parent (products and each variable product's variations), so a batch that
spans parents makes several calls. WooCommerce has no compare-and-set or idempotency key: the
quantities are absolute, so a retried update is harmless and is retried in-process (§2.6).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from carts.connectors.base import (
    CartConnector,
    CartItem,
    ItemResult,
    ParameterField,
    QuantityUpdate,
)
from integration_manager.connector_errors import ConfigurationError, ConnectorError, PermanentError
from integration_manager.http import HttpClient, client_options, response_json

API = "/wp-json/wc/v3"
PER_PAGE = 100
MAX_BATCH = 100
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class WooCommerceCartConnector(CartConnector):
    key = "woocommerce"
    label = "WooCommerce"
    parameter_fields = (ParameterField("store_url", "Store URL", "https://shop.example.com"),)
    secret_fields = (
        ParameterField("consumer_key", "Consumer key", "ck_..."),
        ParameterField("consumer_secret", "Consumer secret", "cs_..."),
    )
    max_batch_size = MAX_BATCH

    def __init__(self, *, parameters, secrets=None) -> None:
        super().__init__(parameters=parameters, secrets=secrets)
        store_url = str(self.parameters.get("store_url") or "").strip().rstrip("/")
        parts = urlsplit(store_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                "WooCommerce: the store URL must be like https://shop.example.com."
            )
        if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            raise ConfigurationError(
                "WooCommerce: the store URL must use https (the API keys travel with every call)."
            )
        key = self._secrets.get("consumer_key", "")
        secret = self._secrets.get("consumer_secret", "")
        if not key or not secret:
            raise ConfigurationError("WooCommerce: the consumer key and secret are not set.")
        self.store_url = store_url
        self.client = HttpClient(
            base_url=store_url,
            platform="WooCommerce",
            auth=(key, secret),
            secrets=[key, secret],
            headers={"Accept": "application/json"},
            **client_options(self.parameters),
        )

    # --- the contract ---------------------------------------------------------------------------

    def check(self) -> str:
        """An authenticated one-product read proves the keys; the site index (public) gives the
        store's name."""
        response = self.client.get(f"{API}/products", params={"per_page": 1})
        total = response.headers.get("X-WP-Total", "?")
        name = urlsplit(self.store_url).hostname or self.store_url
        try:
            index = response_json(self.client.get("/wp-json/"))
            if isinstance(index, dict) and index.get("name"):
                name = index["name"]
        except ConnectorError:
            pass  # the name is a nicety; the keys were accepted
        return f"WooCommerce store {name} ({total} products)"

    def list_items(self) -> Iterator[CartItem]:
        for product in self._pages(f"{API}/products"):
            kind = product.get("type")
            product_id = str(product["id"])
            if kind == "simple":
                yield self._item(product, external_item_id=product_id, parent_id="")
            elif kind == "variable":
                parent_stock = product.get("manage_stock") is True
                if parent_stock:
                    yield self._item(product, external_item_id=product_id, parent_id="")
                if not product.get("variations") and "variations" in product:
                    continue
                for variation in self._pages(f"{API}/products/{product_id}/variations"):
                    yield self._item(
                        variation,
                        external_item_id=f"{product_id}/{variation['id']}",
                        parent_id=product_id,
                        parent=product,
                    )

    def set_quantities(self, updates: Sequence[QuantityUpdate]) -> list[ItemResult]:
        if len(updates) > self.max_batch_size:
            raise ValueError(f"At most {self.max_batch_size} updates per call, got {len(updates)}.")
        results: dict[str, ItemResult] = {}
        groups: dict[str, list[tuple[int, QuantityUpdate]]] = {}
        for update in updates:
            parent, _, variation = update.external_item_id.partition("/")
            ids = (parent, variation) if variation else (parent,)
            if not all(part.isdigit() for part in ids):
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    error_message=f"'{update.external_item_id}' is not a WooCommerce item id.",
                )
                continue
            path = (
                f"{API}/products/{parent}/variations/batch"
                if variation
                else (f"{API}/products/batch")
            )
            groups.setdefault(path, []).append((int(variation or parent), update))
        for path, entries in groups.items():
            results.update(self._batch(path, entries))
        return [results[update.external_item_id] for update in updates]

    # --- helpers --------------------------------------------------------------------------------

    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            response = self.client.get(
                path, params={"per_page": PER_PAGE, "page": page, "orderby": "id", "order": "asc"}
            )
            body = response_json(response)
            if not isinstance(body, list):
                raise PermanentError(f"WooCommerce {path}: expected a list of objects.")
            yield from body
            try:
                total_pages = int(response.headers.get("X-WP-TotalPages", "0"))
            except ValueError:
                total_pages = 0
            if not body or page >= total_pages:
                return
            page += 1

    @staticmethod
    def _item(
        record: dict[str, Any],
        *,
        external_item_id: str,
        parent_id: str,
        parent: dict[str, Any] | None = None,
    ) -> CartItem:
        manage_stock = record.get("manage_stock")
        quantity = record.get("stock_quantity")
        title = record.get("name") or ""
        if manage_stock == "parent":
            # The stock is the parent's: shown, never written through the variation.
            title = f"{title} (stock managed on the parent product)"
        return CartItem(
            external_item_id=external_item_id,
            external_parent_id=parent_id,
            sku=record.get("sku") or "",
            title=title,
            is_inventory_tracked=manage_stock is True,
            quantity=quantity if manage_stock in (True, "parent") else None,
        )

    def _batch(self, path: str, entries: list[tuple[int, QuantityUpdate]]) -> dict[str, ItemResult]:
        payload = {
            "update": [
                {"id": object_id, "manage_stock": True, "stock_quantity": update.quantity}
                for object_id, update in entries
            ]
        }
        # Absolute values: resending the same update is harmless, so it may be retried.
        response = self.client.post(path, json=payload, idempotent=True)
        body = response_json(response)
        answers = body.get("update") if isinstance(body, dict) else None
        if not isinstance(answers, list):
            raise PermanentError(f"WooCommerce {path}: the batch answer has no 'update' list.")
        by_id = {answer.get("id"): answer for answer in answers if isinstance(answer, dict)}
        results: dict[str, ItemResult] = {}
        for position, (object_id, update) in enumerate(entries):
            answer = answers[position] if position < len(answers) else None
            if not isinstance(answer, dict) or answer.get("id") != object_id:
                answer = by_id.get(object_id)
            if answer is None:
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    error_message="WooCommerce returned no result for this item.",
                    is_transient=True,
                )
                continue
            problem = answer.get("error")
            if problem:
                status = (problem.get("data") or {}).get("status") or 0
                results[update.external_item_id] = ItemResult(
                    update.external_item_id,
                    ok=False,
                    error_message=f"{problem.get('code', 'error')}: {problem.get('message', '')}",
                    is_transient=status == 429 or status >= 500,
                )
                continue
            quantity = answer.get("stock_quantity")
            results[update.external_item_id] = ItemResult(
                update.external_item_id,
                ok=True,
                quantity=quantity if isinstance(quantity, int) else update.quantity,
            )
        return results
