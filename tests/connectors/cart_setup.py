"""Set-up shared by the cart connector tests: a cart on a real connector, pointed at an emulator
served on loopback, with the merchant's stock, driven through the real upload service."""

from django.utils import timezone

from carts.models import Cart
from merchants.services import connection_secrets_update
from sync.models import Alert
from sync.services.upload import connection_alert_key
from tests.factories import CartFactory, MerchantFactory
from tests.sync.upload_fixtures import UploadSetup
from warehouses.models import InventoryLevel, Product

# Tiny backoffs so that retries cost milliseconds in tests (read by `client_options`).
FAST_RETRIES = {"backoff_base": 0.01, "max_attempts": 3, "read_timeout": 5}


def cart_on(connector_key: str, *, parameters: dict, secrets: dict) -> UploadSetup:
    """A cart of a new merchant on `connector_key`, with `UploadSetup`'s helpers (products,
    stock, upload, listing). Its `store` is unused: the cart is the emulator."""
    cart = CartFactory(
        merchant=MerchantFactory(),
        connector_key=connector_key,
        connection_parameters={**FAST_RETRIES, **parameters},
    )
    connection_secrets_update(connection=cart, secrets=secrets)
    return UploadSetup(cart=cart, store=None)


def open_connection_alert(cart: Cart) -> Alert | None:
    return Alert.objects.filter(
        merchant=cart.merchant,
        key=connection_alert_key(cart),
        resolved_at__isnull=True,
        dismissed_at__isnull=True,
    ).first()


def stock_many(setup: UploadSetup, available_by_sku: dict[str, int]) -> None:
    """Products with their Quantity Available in the Default warehouse, in a few queries."""
    now = timezone.now()
    products = Product.objects.bulk_create(
        [Product(merchant=setup.merchant, sku=sku) for sku in available_by_sku]
    )
    warehouse = setup.default_warehouse
    InventoryLevel.objects.bulk_create(
        [
            InventoryLevel(
                product=product,
                warehouse=warehouse,
                quantity_on_hand=available_by_sku[product.sku],
                quantity_available=available_by_sku[product.sku],
                loaded_at=now,
            )
            for product in products
        ]
    )
