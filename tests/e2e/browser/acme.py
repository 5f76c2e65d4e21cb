"""The shop the browser tests troubleshoot: "Acme Outdoor", its warehouse system (the in-memory
fake), and its cart "Acme Shopify" (the in-memory fake cart), set up through the real download
and upload services so every page shows what the engine wrote.

Stock in the warehouse system (Quantity Available):

    SKU        Default  East Coast DC  alias
    TENT-2P    12       -
    LAMP-01    3        -
    BOOT-42    -        7
    STOVE-1    9        -              UPC 0001112223334
    MUG-01     20       -

The cart lists each SKU once (item ids 1001...), all tracked, all at 0 before the first upload.
"""

import uuid
from dataclasses import dataclass

from carts.connectors.memory import MemoryCartStore, memory_cart_store, memory_cart_store_reset
from carts.models import Cart, UploadMode
from carts.services import cart_settings_update
from merchants.models import InventorySyncMode, Merchant
from merchants.services import merchant_create
from sync.models import RunState, RunTrigger
from sync.services.download import inventory_download
from sync.services.upload import cart_inventory_upload
from warehouses.connectors.memory import (
    MemoryWarehouseStore,
    memory_warehouse_store,
    memory_warehouse_store_reset,
)
from warehouses.models import Warehouse

CART_ITEMS = {
    "1001": "TENT-2P",
    "1002": "LAMP-01",
    "1003": "BOOT-42",
    "1004": "STOVE-1",
    "1005": "MUG-01",
}


@dataclass
class Acme:
    merchant: Merchant
    cart: Cart
    wms: MemoryWarehouseStore
    shop: MemoryCartStore

    @property
    def default(self) -> Warehouse:
        return self.merchant.warehouses.get(is_default=True)

    @property
    def east(self) -> Warehouse:
        return self.merchant.warehouses.get(external_code="EAST")

    def download(self) -> None:
        run = inventory_download(merchant=self.merchant, trigger=RunTrigger.MANUAL)
        assert run.state == RunState.SUCCEEDED, run.message

    def upload(self) -> None:
        self.cart.refresh_from_db()
        run = cart_inventory_upload(cart=self.cart, trigger=RunTrigger.MANUAL)
        assert run.state in (RunState.SUCCEEDED, RunState.PARTIAL), run.message

    def cart_settings(self, **settings) -> None:
        self.cart.refresh_from_db()
        cart_settings_update(cart=self.cart, **settings)


def acme_build(*, cart_settings: dict | None = None, setup=None) -> Acme:
    """Build the shop, download, and upload once. `cart_settings` are applied before that
    first upload, and so is `setup(acme)` (to change the warehouse system or the cart first)."""
    suffix = uuid.uuid4().hex[:8]
    wms_name, shop_name = f"acme-wms-{suffix}", f"acme-shop-{suffix}"
    memory_warehouse_store_reset(wms_name)
    memory_cart_store_reset(shop_name)
    wms = memory_warehouse_store(wms_name)
    wms.add_warehouse("EAST", "East Coast DC")
    wms.set_stock("TENT-2P", 12, name="Two-person tent")
    wms.set_stock("LAMP-01", 3, name="Camp lamp")
    wms.set_stock("BOOT-42", 7, warehouse_code="EAST", name="Hiking boot, size 42")
    wms.set_stock("STOVE-1", 9, aliases={"UPC": "0001112223334"}, name="Camp stove")
    wms.set_stock("MUG-01", 20, name="Enamel mug")
    shop = memory_cart_store(shop_name)
    for item_id, sku in CART_ITEMS.items():
        shop.add_item(item_id, sku=sku, quantity=0, title=f"{sku} (Acme Shopify)")

    merchant = merchant_create(
        name="Acme Outdoor",
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        inventory_interval_minutes=15,
        connector_key="memory",
        connection_parameters={"store": wms_name},
    )
    cart = Cart.objects.create(
        merchant=merchant,
        name="Acme Shopify",
        upload_mode=UploadMode.SCHEDULED,
        connector_key="memory",
        connection_parameters={"store": shop_name},
    )
    acme = Acme(merchant=merchant, cart=cart, wms=wms, shop=shop)
    if setup is not None:
        setup(acme)
    acme.download()
    if cart_settings:
        acme.cart_settings(**cart_settings)
    acme.upload()
    return acme
