"""Set-up shared by the upload tests: a merchant, a cart on the in-memory fake cart, and stock."""

import itertools
from dataclasses import dataclass

from django.utils import timezone

from carts.connectors.memory import MemoryCartStore, memory_cart_store, memory_cart_store_reset
from carts.models import Cart, CartListing
from sync.models import RunTrigger, SyncRun
from sync.services.upload import cart_inventory_upload
from tests.factories import CartFactory, MerchantFactory
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

_store_names = itertools.count(1)


@dataclass
class UploadSetup:
    cart: Cart
    store: MemoryCartStore

    @property
    def merchant(self):
        return self.cart.merchant

    @property
    def default_warehouse(self) -> Warehouse:
        return self.merchant.warehouses.get(is_default=True)

    def warehouse(self, code: str, *, is_enabled: bool = True) -> Warehouse:
        return Warehouse.objects.create(
            merchant=self.merchant,
            external_code=code,
            name=f"Warehouse {code}",
            is_enabled=is_enabled,
        )

    def product(self, sku: str, available: int | None = None, *, warehouse=None) -> Product:
        """A product, with `available` in `warehouse` (the Default when not given)."""
        product, _ = Product.objects.get_or_create(merchant=self.merchant, sku=sku)
        if available is not None:
            self.stock(product, available, warehouse=warehouse)
        return product

    def stock(self, product: Product, available: int, *, warehouse=None) -> InventoryLevel:
        level, _ = InventoryLevel.objects.update_or_create(
            product=product,
            warehouse=warehouse or self.default_warehouse,
            defaults={
                "quantity_on_hand": available,
                "quantity_available": available,
                "loaded_at": timezone.now(),
            },
        )
        return level

    def alias(self, product: Product, name: str, value: str) -> Alias:
        return Alias.objects.create(merchant=self.merchant, product=product, name=name, value=value)

    def item(self, external_item_id: str, sku: str, quantity: int | None = 0, **fields):
        return self.store.add_item(external_item_id, sku=sku, quantity=quantity, **fields)

    def upload(self, **options) -> SyncRun:
        options.setdefault("trigger", RunTrigger.MANUAL)
        run = cart_inventory_upload(cart=self.cart, **options)
        self.cart.refresh_from_db()
        return run

    def listing(self, external_item_id: str) -> CartListing:
        return CartListing.objects.get(cart=self.cart, external_item_id=external_item_id)

    def write_counts(self) -> list[int]:
        return [len(call) for call in self.store.writes]


def make_upload_setup(**cart_fields) -> UploadSetup:
    name = f"upload-test-{next(_store_names)}"
    memory_cart_store_reset(name)
    cart = CartFactory(
        merchant=cart_fields.pop("merchant", None) or MerchantFactory(),
        connector_key="memory",
        connection_parameters={"store": name},
        **cart_fields,
    )
    return UploadSetup(cart=cart, store=memory_cart_store(name))
