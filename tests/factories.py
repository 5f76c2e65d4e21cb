"""factory_boy factories for every model. Merchants are made through `merchant_create`, so each
has its Default warehouse, as in production."""

from datetime import UTC, datetime

import factory
from django.utils import timezone

from carts.models import Cart, CartListing, ItemFilter
from merchants.models import Membership, Merchant, User
from merchants.services import merchant_create
from sync.models import RunKind, RunTrigger, SyncRun
from warehouses.models import Alias, InventoryLevel, Product, Warehouse


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda number: f"user{number}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda number: f"Merchant {number}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return merchant_create(**kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    merchant = factory.SubFactory(MerchantFactory)
    external_code = factory.Sequence(lambda number: f"WH{number}")
    name = factory.LazyAttribute(lambda warehouse: f"Warehouse {warehouse.external_code}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda number: f"SKU-{number:05d}")


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alias

    product = factory.SubFactory(ProductFactory)
    merchant = factory.SelfAttribute("product.merchant")
    name = "UPC"
    value = factory.Sequence(lambda number: f"{100000000000 + number}")


class InventoryLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InventoryLevel

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.LazyAttribute(
        lambda level: level.product.merchant.warehouses.get(is_default=True)
    )
    quantity_on_hand = 10
    quantity_available = 10
    loaded_at = factory.LazyFunction(timezone.now)


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda number: f"Cart {number}")


class CartListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartListing

    cart = factory.SubFactory(CartFactory)
    external_item_id = factory.Sequence(lambda number: f"item-{number}")
    sku = factory.Sequence(lambda number: f"SKU-{number:05d}")


class ItemFilterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemFilter

    cart = factory.SubFactory(CartFactory)
    sku = factory.Sequence(lambda number: f"SKU-{number:05d}")


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    merchant = factory.SubFactory(MerchantFactory)
    kind = RunKind.DOWNLOAD
    trigger = RunTrigger.MANUAL
    started_at = factory.LazyFunction(lambda: datetime(2026, 1, 1, tzinfo=UTC))
