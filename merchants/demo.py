"""The demo data `make run` loads: one merchant with three warehouses, products with aliases and
levels, and a cart whose listings show the common cases of View Product Sync."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from carts.models import Cart, CartListing, ListingStatus, UploadMode
from merchants.models import InventorySyncMode, Merchant, User
from merchants.services import membership_grant, merchant_create
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

DEMO_MERCHANT_NAME = "Demo Outfitters"
DEMO_PRODUCT_COUNT = 40


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


def _ensure_user(login: DemoLogin, **flags: bool) -> User:
    user, _ = User.objects.get_or_create(username=login.username, defaults=flags)
    user.set_password(login.password)
    for name, value in flags.items():
        setattr(user, name, value)
    user.save()
    return user


@transaction.atomic
def demo_load() -> tuple[Merchant, bool]:
    """Create the demo logins and data. Returns the merchant and whether it was created now;
    a second call changes nothing but the logins' passwords."""
    _ensure_user(DEMO_LOGINS[0], is_superuser=True, is_staff=True, is_support_agent=True)
    merchant_user = _ensure_user(DEMO_LOGINS[1])
    existing = Merchant.objects.filter(name=DEMO_MERCHANT_NAME).first()
    if existing:
        membership_grant(user=merchant_user, merchant=existing)
        return existing, False

    merchant = merchant_create(
        name=DEMO_MERCHANT_NAME,
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        inventory_interval_minutes=5,
    )
    membership_grant(user=merchant_user, merchant=merchant)
    now = timezone.now()
    rng = random.Random(2026)
    warehouses = [merchant.warehouses.get(is_default=True)] + [
        Warehouse.objects.create(merchant=merchant, external_code=code, name=name)
        for code, name in (("EAST", "East Coast DC"), ("WEST", "West Coast DC"))
    ]
    for warehouse in warehouses:
        warehouse.last_loaded_at = now
        warehouse.save(update_fields=["last_loaded_at"])

    products = Product.objects.bulk_create(
        Product(
            merchant=merchant,
            sku=f"DEMO-{number:04d}",
            name=f"Demo product {number}",
            last_reported_at=now,
        )
        for number in range(1, DEMO_PRODUCT_COUNT + 1)
    )
    Alias.objects.bulk_create(
        alias
        for number, product in enumerate(products, start=1)
        for alias in (
            Alias(
                merchant=merchant, product=product, name="UPC", value=f"0{700000000000 + number}"
            ),
            Alias(merchant=merchant, product=product, name="ALT_CODE", value=f"ALT-{number:04d}"),
        )
        if alias.name == "UPC" or number % 2 == 0
    )
    levels = []
    for product in products:
        for warehouse in warehouses:
            on_hand = rng.randint(0, 120)
            allocated = rng.randint(0, min(on_hand, 15))
            levels.append(
                InventoryLevel(
                    product=product,
                    warehouse=warehouse,
                    quantity_on_hand=on_hand,
                    quantity_allocated=allocated,
                    quantity_available=on_hand - allocated,
                    wms_updated_at=now - timedelta(minutes=rng.randint(1, 240)),
                    loaded_at=now,
                )
            )
    InventoryLevel.objects.bulk_create(levels)

    cart = Cart.objects.create(
        merchant=merchant,
        name="Demo Shopify store",
        upload_mode=UploadMode.AUTOMATIC,
        minimum_inventory_level=0,
    )
    listings = [
        CartListing(
            cart=cart,
            external_item_id=f"gid://shopify/InventoryItem/{1000 + number}",
            sku=product.sku,
            title=product.name,
            product=product,
            cart_quantity=None,
            status=ListingStatus.PENDING,
        )
        for number, product in enumerate(products[:30], start=1)
    ]
    listings.append(
        CartListing(
            cart=cart,
            external_item_id="gid://shopify/InventoryItem/9001",
            sku="GIFT-CARD",
            title="Gift card",
            is_inventory_enabled=False,
            status=ListingStatus.NOT_TRACKED,
            reason="The cart does not track inventory for this item.",
        )
    )
    listings.append(
        CartListing(
            cart=cart,
            external_item_id="gid://shopify/InventoryItem/9002",
            sku="NOT-IN-WMS-1",
            title="Sample not in the warehouse",
            status=ListingStatus.NO_MATCH,
            reason="No product has the SKU NOT-IN-WMS-1 (Push Inventory Using Alias: Master SKU).",
        )
    )
    CartListing.objects.bulk_create(listings)
    return merchant, True
