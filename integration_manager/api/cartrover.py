"""The CartRover-compatible inventory reads (/v1/merchant/...), so that the vendor's client
libraries work against us unchanged. Shapes, envelope, auth, paging and rate limit follow
`shared/docs/CARTROVER_API.md`:

- Auth: HTTP Basic `api_user:api_key` (or the query parameters): our `api_user` is the API key's
  prefix, `api_key` the key; a key reads its own merchant.
- Envelope `{"success_code": true, "response": ...}`; errors
  `{"success_code": false, "error_code": "Invalid" | "Failure" | "RateLimit", "message": ...}`.
- Rate limit: the vendor's leaky bucket (100 calls, one leaking every 0.6 s), the calls left in
  `X-CartRover-Api-Minute-Hits-Remaining`; every response carries `X-CartRover-Process-ID`.
- Paging: `limit` (default 20, at most 1000) and `page` (default 1); `total-records` header.
- Timestamps in UTC as `2018-08-27T02:24:58+00:00`.

Inventory: the top-level quantities are the sums over the product's *enabled* warehouses;
disabled warehouses are excluded from the sums and from `warehouses` (a disabled warehouse
counts in no total). `warehouses` is keyed by our warehouse id, each with the warehouse's name,
its quantities and the warehouse system's timestamp for them; the top-level `wms_datetime` is
when the warehouse system last reported the product. `aliases` maps alias name to code, and is
`[]` when there are none (as PHP encodes an empty array; likewise `warehouses`).

Product: we keep no description, prices, weight or WMS product id: they are null.
"""

import uuid
from datetime import UTC, datetime

from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from integration_manager.api.authentication import ApiKeyPrincipal, CartRoverAuthentication
from integration_manager.api.throttling import CartRoverThrottle
from warehouses.models import InventoryLevel, Product

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
RATE_LIMIT_MESSAGE = "Over API Limit. Please slow down requests."


def cartrover_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _inventory_row(product: Product) -> dict:
    warehouses = {}
    qty_available = qty_on_hand = 0
    for level in product.levels.all():
        if not level.warehouse.is_enabled:
            continue
        qty_available += level.quantity_available
        qty_on_hand += level.quantity_on_hand
        warehouses[str(level.warehouse_id)] = {
            "warehouse": level.warehouse.name,
            "qty_available": level.quantity_available,
            "qty_on_hand": level.quantity_on_hand,
            "wms_datetime": cartrover_datetime(level.wms_updated_at),
        }
    aliases = {alias.name: alias.value for alias in product.aliases.all()}
    return {
        "sku": product.sku,
        "qty_available": qty_available,
        "qty_on_hand": qty_on_hand,
        "wms_datetime": cartrover_datetime(product.last_reported_at),
        "aliases": aliases or [],
        "warehouses": warehouses or [],
    }


def _product_row(product: Product) -> dict:
    return {
        "sku": product.sku,
        "name": product.name or None,
        "description": None,
        "retail_price": None,
        "wholesale_price": None,
        "weight_lbs": None,
        "wms_product_main_id": None,
        "last_updated_datetime": product.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "aliases": [
            {"code_type": alias.name, "code": alias.value} for alias in product.aliases.all()
        ],
    }


def _error(error_code: str, message: str, status_code: int) -> Response:
    return Response(
        {"success_code": False, "error_code": error_code, "message": message}, status=status_code
    )


def cartrover_exception_handler(exc, context):
    if isinstance(exc, exceptions.Throttled):
        response = _error("RateLimit", RATE_LIMIT_MESSAGE, status.HTTP_429_TOO_MANY_REQUESTS)
        if exc.wait is not None:
            response["Retry-After"] = str(int(exc.wait))
        return response
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response = _error("Invalid", "Invalid API credentials.", status.HTTP_401_UNAUTHORIZED)
        response["WWW-Authenticate"] = 'Basic realm="CartRover API"'
        return response
    if isinstance(exc, exceptions.NotFound):
        return _error("Invalid", str(exc.detail), status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.APIException):
        code = "Invalid" if exc.status_code < 500 else "Failure"
        detail = exc.detail if isinstance(exc.detail, str) else "Invalid request."
        return _error(code, str(detail), exc.status_code)
    return None


@extend_schema(exclude=True)
class CartRoverView(APIView):
    authentication_classes = [CartRoverAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [CartRoverThrottle]

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))

    def get_exception_handler(self):
        return cartrover_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-CartRover-Process-ID"] = uuid.uuid4().hex
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            response["X-CartRover-Api-Minute-Hits-Remaining"] = str(rate_limit.remaining)
        return response

    def merchant_products(self):
        principal: ApiKeyPrincipal = self.request.user
        return Product.objects.filter(merchant_id=principal.merchant_id).prefetch_related(
            "aliases",
            Prefetch(
                "levels",
                InventoryLevel.objects.select_related("warehouse").order_by("warehouse_id"),
            ),
        )

    def product_or_404(self, sku: str) -> Product:
        product = self.merchant_products().filter(sku=sku).first()
        if product is None:
            raise exceptions.NotFound(f"SKU {sku} not found.")
        return product

    @staticmethod
    def ok(payload, **headers) -> Response:
        return Response({"success_code": True, "response": payload}, headers=headers)


def _positive_int(request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise exceptions.ValidationError(f"{name} must be a positive integer.") from None
    if number < 1:
        raise exceptions.ValidationError(f"{name} must be a positive integer.")
    return number


class InventoryListView(CartRoverView):
    """`GET /v1/merchant/inventory?limit=&page=`: every product with its inventory, by SKU."""

    def get(self, request):
        limit = min(_positive_int(request, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        page = _positive_int(request, "page", 1)
        products = self.merchant_products().order_by("sku")
        total = products.count()
        offset = (page - 1) * limit
        rows = [_inventory_row(product) for product in products[offset : offset + limit]]
        return self.ok(rows, **{"total-records": str(total)})


class InventoryDetailView(CartRoverView):
    """`GET /v1/merchant/inventory/{sku}`: one product's inventory."""

    def get(self, request, sku: str):
        return self.ok(_inventory_row(self.product_or_404(sku)))


class ProductDetailView(CartRoverView):
    """`GET /v1/merchant/product/{sku}`: one product's details."""

    def get(self, request, sku: str):
        return self.ok(_product_row(self.product_or_404(sku)))
