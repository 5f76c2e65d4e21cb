"""A real Vendure server, driven the way a merchant and a shopper would: seeding through the Admin
API as the superadmin (products, variants with SKUs, stock locations, an API key for the sync
service), reading stock back, and placing a guest order through the Shop API (REAL_CARTS.md
§2.4-2.5). Every call goes through the project's HTTP client; errors that Vendure answers with
HTTP 200 (`errors`, ErrorResult unions) fail loudly.

Also used by the Vendure demo (`make demo-vendure`) to seed its catalogue.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from integration_manager.http import HttpClient, response_json
from scripts.vendure.vendure import vendure_dir

SUPERADMIN = (
    os.environ.get("VENDURE_SUPERADMIN_USERNAME", "superadmin"),
    os.environ.get("VENDURE_SUPERADMIN_PASSWORD", "superadmin"),
)
SYNC_PERMISSIONS = ("ReadCatalog", "UpdateCatalog", "ReadProduct", "UpdateProduct")
SYNC_PERMISSIONS += ("ReadStockLocation",)


class VendureCallFailed(AssertionError):
    pass


def vendure_url() -> str | None:
    """The URL of the running server: `$VENDURE_URL`, else the one scripts/vendure/vendure.py
    started (its `server.json`)."""
    if os.environ.get("VENDURE_URL"):
        return os.environ["VENDURE_URL"].rstrip("/")
    try:
        state = json.loads((vendure_dir() / "server.json").read_text())
    except (OSError, ValueError):
        return None
    return state.get("url") if isinstance(state, dict) else None


def _unwrap(data: dict[str, Any], operation: str) -> Any:
    result = data[operation]
    if isinstance(result, dict) and result.get("errorCode"):
        raise VendureCallFailed(f"{operation}: {result['errorCode']}: {result.get('message')}")
    return result


class _GraphQL:
    def __init__(self, url: str, path: str, *, platform: str) -> None:
        self.path = path
        self.client = HttpClient(
            base_url=url,
            platform=platform,
            headers={"Content-Type": "application/json"},
            max_attempts=1,
            timeout=(5.0, 60.0),
        )
        self.token = ""

    def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(
            self.path, json={"query": query, "variables": variables or {}}, headers=headers
        )
        token = response.headers.get("vendure-auth-token")
        if token:
            self.token = token
        body = response_json(response)
        if body.get("errors"):
            raise VendureCallFailed(json.dumps(body["errors"])[:2000])
        return body["data"]


@dataclass(frozen=True)
class Level:
    location_id: str
    on_hand: int
    allocated: int


@dataclass(frozen=True)
class VariantStock:
    id: str
    sku: str
    track_inventory: str
    levels: tuple[Level, ...]

    def level_at(self, location_id: str) -> tuple[int, int]:
        for level in self.levels:
            if level.location_id == location_id:
                return level.on_hand, level.allocated
        return 0, 0


class VendureAdmin:
    """The Admin API as the superadmin."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.api = _GraphQL(self.url, "/admin-api", platform="Vendure admin")
        result = _unwrap(
            self.api.call(
                "mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) {"
                " __typename ... on CurrentUser { id } ... on ErrorResult { errorCode message }"
                " } }",
                {"u": SUPERADMIN[0], "p": SUPERADMIN[1]},
            ),
            "login",
        )
        assert result["__typename"] == "CurrentUser", result

    def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.api.call(query, variables)

    def create_stock_location(self, name: str) -> str:
        data = self.call(
            "mutation($input: CreateStockLocationInput!) {"
            " createStockLocation(input: $input) { id name } }",
            {"input": {"name": name, "description": "Created by the Vendure sync test"}},
        )
        return data["createStockLocation"]["id"]

    def create_product(self, name: str, slug: str) -> str:
        data = self.call(
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
            {
                "input": {
                    "enabled": True,
                    "translations": [
                        {"languageCode": "en", "name": name, "slug": slug, "description": name}
                    ],
                }
            },
        )
        return data["createProduct"]["id"]

    def add_option_group(self, product_id: str, code: str, options: list[str]) -> list[str]:
        """A new option group with these options, added to the product; returns the option ids."""
        data = self.call(
            "mutation($input: CreateProductOptionGroupInput!) {"
            " createProductOptionGroup(input: $input) { id options { id code } } }",
            {
                "input": {
                    "code": code,
                    "translations": [{"languageCode": "en", "name": code}],
                    "options": [
                        {"code": option, "translations": [{"languageCode": "en", "name": option}]}
                        for option in options
                    ],
                }
            },
        )
        group = data["createProductOptionGroup"]
        self.call(
            "mutation($p: ID!, $g: ID!) { addOptionGroupToProduct(productId: $p,"
            " optionGroupId: $g) { id } }",
            {"p": product_id, "g": group["id"]},
        )
        by_code = {option["code"]: option["id"] for option in group["options"]}
        return [by_code[option] for option in options]

    def create_variant(
        self,
        product_id: str,
        sku: str,
        *,
        track_inventory: str = "TRUE",
        option_ids: list[str] | None = None,
        stock: dict[str, int] | None = None,
        threshold: int | None = None,
        price: int = 1999,
    ) -> str:
        variant: dict[str, Any] = {
            "productId": product_id,
            "sku": sku,
            "price": price,
            "optionIds": option_ids or [],
            "translations": [{"languageCode": "en", "name": sku}],
            "trackInventory": track_inventory,
        }
        if stock:
            variant["stockLevels"] = [
                {"stockLocationId": location_id, "stockOnHand": on_hand}
                for location_id, on_hand in stock.items()
            ]
        if threshold is not None:
            variant["outOfStockThreshold"] = threshold
            variant["useGlobalOutOfStockThreshold"] = False
        data = self.call(
            "mutation($input: [CreateProductVariantInput!]!) {"
            " createProductVariants(input: $input) { id sku } }",
            {"input": [variant]},
        )
        return data["createProductVariants"][0]["id"]

    def create_api_key(self, name: str, permissions: tuple[str, ...] = SYNC_PERMISSIONS) -> str:
        """A role with these permissions and an API key with that role; returns the key."""
        role = self.call(
            "mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }",
            {
                "input": {
                    "code": name,
                    "description": f"{name} (inventory sync)",
                    "permissions": list(permissions),
                }
            },
        )["createRole"]
        result = _unwrap(
            self.call(
                "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { __typename"
                " ... on CreateApiKeyResult { apiKey entityId } } }",
                {
                    "i": {
                        "roleIds": [role["id"]],
                        "translations": [{"languageCode": "en", "name": name}],
                    }
                },
            ),
            "createApiKey",
        )
        return result["apiKey"]

    def variant_stock(self, variant_id: str) -> VariantStock:
        data = self.call(
            "query($id: ID!) { productVariant(id: $id) { id sku trackInventory"
            " stockLevels { stockLocationId stockOnHand stockAllocated } } }",
            {"id": variant_id},
        )
        node = data["productVariant"]
        return VariantStock(
            id=node["id"],
            sku=node["sku"],
            track_inventory=node["trackInventory"],
            levels=tuple(
                Level(level["stockLocationId"], level["stockOnHand"], level["stockAllocated"])
                for level in node["stockLevels"]
            ),
        )


class VendureShopper:
    """A guest on the Shop API, with the session token Vendure hands out on the first call."""

    def __init__(self, url: str) -> None:
        self.api = _GraphQL(url.rstrip("/"), "/shop-api", platform="Vendure shop")

    def add_to_cart(self, variant_id: str, quantity: int) -> dict[str, Any]:
        """`addItemToOrder`'s result as is: an Order, or an ErrorResult such as
        InsufficientStockError (with `quantityAvailable`)."""
        return self.api.call(
            "mutation($id: ID!, $q: Int!) { addItemToOrder(productVariantId: $id, quantity: $q) {"
            " __typename ... on Order { id code totalQuantity }"
            " ... on InsufficientStockError { quantityAvailable order { totalQuantity } }"
            " ... on ErrorResult { errorCode message } } }",
            {"id": variant_id, "q": quantity},
        )["addItemToOrder"]

    def place_order(self, variant_id: str, quantity: int) -> str:
        """Guest checkout to PaymentAuthorized (which allocates the stock). Returns the order's
        code."""
        order = self.add_to_cart(variant_id, quantity)
        assert order["__typename"] == "Order", order
        _unwrap(
            self.api.call(
                "mutation($input: CreateCustomerInput!) { setCustomerForOrder(input: $input) {"
                " __typename ... on ErrorResult { errorCode message } } }",
                {
                    "input": {
                        "emailAddress": f"shopper-{order['code'].lower()}@example.com",
                        "firstName": "Sam",
                        "lastName": "Shopper",
                    }
                },
            ),
            "setCustomerForOrder",
        )
        _unwrap(
            self.api.call(
                "mutation($input: CreateAddressInput!) { setOrderShippingAddress(input: $input) {"
                " __typename ... on ErrorResult { errorCode message } } }",
                {
                    "input": {
                        "fullName": "Sam Shopper",
                        "streetLine1": "1 High Street",
                        "city": "London",
                        "postalCode": "N1 1AA",
                        "countryCode": "GB",
                    }
                },
            ),
            "setOrderShippingAddress",
        )
        methods = self.api.call("{ eligibleShippingMethods { id } }")["eligibleShippingMethods"]
        _unwrap(
            self.api.call(
                "mutation($ids: [ID!]!) { setOrderShippingMethod(shippingMethodId: $ids) {"
                " __typename ... on ErrorResult { errorCode message } } }",
                {"ids": [methods[0]["id"]]},
            ),
            "setOrderShippingMethod",
        )
        _unwrap(
            self.api.call(
                'mutation { transitionOrderToState(state: "ArrangingPayment") {'
                " __typename ... on ErrorResult { errorCode message } } }"
            ),
            "transitionOrderToState",
        )
        payment = _unwrap(
            self.api.call(
                "mutation($input: PaymentInput!) { addPaymentToOrder(input: $input) {"
                " __typename ... on Order { code state } ... on ErrorResult { errorCode message }"
                " } }",
                {"input": {"method": "standard-payment", "metadata": {}}},
            ),
            "addPaymentToOrder",
        )
        assert payment["state"] == "PaymentAuthorized", payment
        return payment["code"]
