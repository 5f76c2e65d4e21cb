"""Set-up shared by the download tests: a merchant on the in-memory fake warehouse system."""

import itertools
from dataclasses import dataclass

from merchants.models import Merchant
from sync.models import RunTrigger, SyncRun
from sync.services.download import inventory_download
from tests.factories import MerchantFactory
from warehouses.connectors.memory import MemoryWarehouseStore, memory_warehouse_store
from warehouses.models import InventoryLevel, InventoryLevelChange, Product, Warehouse

_store_names = itertools.count(1)


@dataclass
class DownloadSetup:
    merchant: Merchant
    wms: MemoryWarehouseStore

    def download(self, **options) -> SyncRun:
        options.setdefault("trigger", RunTrigger.MANUAL)
        run = inventory_download(merchant=self.merchant, **options)
        self.merchant.refresh_from_db()
        return run

    def levels(self) -> dict[tuple[str, str], tuple]:
        """(warehouse code, SKU) -> (on hand, available, allocated, on hold) of every level."""
        return {
            (level.warehouse.external_code, level.product.sku): (
                level.quantity_on_hand,
                level.quantity_available,
                level.quantity_allocated,
                level.quantity_on_hold,
            )
            for level in InventoryLevel.objects.filter(
                product__merchant=self.merchant
            ).select_related("warehouse", "product")
        }

    def available(self) -> dict[tuple[str, str], int]:
        return {key: value[1] for key, value in self.levels().items()}

    def product(self, sku: str) -> Product:
        return Product.objects.get(merchant=self.merchant, sku=sku)

    def skus(self) -> list[str]:
        return list(
            Product.objects.filter(merchant=self.merchant)
            .order_by("sku")
            .values_list("sku", flat=True)
        )

    def warehouse_codes(self) -> list[str]:
        return list(
            Warehouse.objects.filter(merchant=self.merchant)
            .order_by("external_code")
            .values_list("external_code", flat=True)
        )

    def history_count(self) -> int:
        return InventoryLevelChange.objects.filter(product__merchant=self.merchant).count()


def make_download_setup(**merchant_fields) -> DownloadSetup:
    name = f"download-test-{next(_store_names)}"
    merchant = MerchantFactory(
        connector_key="memory", connection_parameters={"store": name}, **merchant_fields
    )
    return DownloadSetup(merchant=merchant, wms=memory_warehouse_store(name))
