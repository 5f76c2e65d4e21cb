"""The live demo `make run` starts: the demo logins, a merchant reading from an Extensiv 3PL
Warehouse Manager emulator whose stock changes every minute, and two carts on the Shopify and
WooCommerce emulators, all three emulators run by honcho beside web, worker and beat (Procfile).

Nothing is pre-loaded: the merchant's download is due at once and every minute after, so within a
minute of `make run` a new user watches the warehouses, products and levels arrive on
*Locations & Products*, and the Automatic carts' listings and quantities change on
*View Product Sync*. The emulators keep their state in memory: a restart starts them afresh (the
carts' periodic re-read then corrects what the demo believed they held).

The emulators listen on 127.0.0.1, ports `DEMO_3PL_PORT` (8021), `DEMO_SHOPIFY_PORT` (8022) and
`DEMO_WOOCOMMERCE_PORT` (8023).
"""

import os
from dataclasses import dataclass

from django.db import transaction

from carts.models import Cart, UploadMode
from merchants.models import InventorySyncMode, Merchant, User
from merchants.services import membership_grant, merchant_create, merchant_delete
from tests.emulators import extensiv_3pl, shopify, woocommerce

DEMO_MERCHANT_NAME = "Demo Outfitters"
DEMO_CUSTOMER_ID = 5  # the customer `extensiv_3pl.demo_app` seeds
DEMO_SHOPIFY_CART_NAME = "Demo Shopify store"
DEMO_WOOCOMMERCE_CART_NAME = "Demo WooCommerce store"
DEMO_RECONCILE_MINUTES = 10


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


DEMO_LOGINS = (
    DemoLogin(
        "demo", "demo-inventory-2026", "administrator and support agent (sees every merchant)"
    ),
    DemoLogin("merchant", "merchant-inventory-2026", "merchant user of Demo Outfitters"),
)


def demo_port(name: str) -> int:
    defaults = {"3PL": 8021, "SHOPIFY": 8022, "WOOCOMMERCE": 8023}
    return int(os.environ.get(f"DEMO_{name}_PORT", defaults[name]))


def _url(name: str) -> str:
    return f"http://127.0.0.1:{demo_port(name)}"


def _ensure_user(login: DemoLogin, **flags: bool) -> User:
    user, _ = User.objects.get_or_create(username=login.username, defaults=flags)
    user.set_password(login.password)
    for name, value in flags.items():
        setattr(user, name, value)
    user.save()
    return user


@transaction.atomic
def demo_load() -> tuple[Merchant, bool]:
    """Create the demo logins, merchant and carts. Returns the merchant and whether it was
    created now. A second call keeps the merchant and its data, and only re-asserts the logins'
    passwords and the demo connections (so that a changed port takes effect). A merchant left by
    the earlier, static demo (no warehouse system) is replaced."""
    _ensure_user(DEMO_LOGINS[0], is_superuser=True, is_staff=True, is_support_agent=True)
    merchant_user = _ensure_user(DEMO_LOGINS[1])
    merchant = Merchant.objects.filter(name=DEMO_MERCHANT_NAME).first()
    if merchant is not None and merchant.connector_key != "extensiv_3pl":
        merchant_delete(merchant=merchant)
        merchant = None
    is_created = merchant is None
    if merchant is None:
        merchant = merchant_create(
            name=DEMO_MERCHANT_NAME,
            inventory_sync_mode=InventorySyncMode.SCHEDULED,
            inventory_interval_minutes=1,
        )
    membership_grant(user=merchant_user, merchant=merchant)
    _connect_warehouse_system(merchant)
    _connect_cart(
        merchant,
        name=DEMO_SHOPIFY_CART_NAME,
        connector_key="shopify",
        parameters={
            "base_url": _url("SHOPIFY"),
            "location_id": shopify.ShopifyEmulator().default_location,
        },
        secrets={"access_token": shopify.ACCESS_TOKEN},
    )
    _connect_cart(
        merchant,
        name=DEMO_WOOCOMMERCE_CART_NAME,
        connector_key="woocommerce",
        parameters={"store_url": _url("WOOCOMMERCE")},
        secrets={
            "consumer_key": woocommerce.CONSUMER_KEY,
            "consumer_secret": woocommerce.CONSUMER_SECRET,
        },
    )
    return merchant, is_created


def _connect_warehouse_system(merchant: Merchant) -> None:
    merchant.connector_key = "extensiv_3pl"
    merchant.connection_parameters = {
        "base_url": _url("3PL"),
        "user_login_id": extensiv_3pl.DEMO_USER_LOGIN_ID,
        "tpl": extensiv_3pl.DEMO_TPL,
        "customer_id": str(DEMO_CUSTOMER_ID),
    }
    merchant.set_secrets(
        {
            "client_id": extensiv_3pl.DEMO_CLIENT_ID,
            "client_secret": extensiv_3pl.DEMO_CLIENT_SECRET,
        }
    )
    # A demo restarted after its emulators were down must not stay paused.
    merchant.scheduling_paused_reason = ""
    merchant.save()


def _connect_cart(
    merchant: Merchant,
    *,
    name: str,
    connector_key: str,
    parameters: dict[str, str],
    secrets: dict[str, str],
) -> Cart:
    cart = Cart.objects.filter(merchant=merchant, name=name).first() or Cart(
        merchant=merchant,
        name=name,
        upload_mode=UploadMode.AUTOMATIC,
        reconcile_interval_minutes=DEMO_RECONCILE_MINUTES,
    )
    cart.connector_key = connector_key
    cart.connection_parameters = parameters
    cart.set_secrets(secrets)
    cart.scheduling_paused_reason = ""
    cart.save()
    return cart
