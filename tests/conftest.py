import pytest
from django.db import connection

from merchants.models import Merchant
from merchants.services import merchant_delete
from tests.factories import (
    CartFactory,
    CartListingFactory,
    InventoryLevelFactory,
    MembershipFactory,
    MerchantFactory,
    ProductFactory,
    SyncRunFactory,
    UserFactory,
    WarehouseFactory,
)

PASSWORD = "correct horse battery"


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _merchants_deleted_before_flush(request):
    """After a transactional test on SQLite, delete the merchants through `merchant_delete`
    before Django flushes the tables.

    SQLite's flush deletes table by table in no fixed order, and the trigger that protects each
    merchant's Default warehouse refuses the delete while its merchant still exists.
    (PostgreSQL flushes with TRUNCATE, which no DELETE trigger sees.)
    """
    if not _is_transactional(request):
        yield
        return
    # Set the database up first, so that this teardown runs before its flush.
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor == "sqlite":
        for merchant in Merchant.objects.all():
            merchant_delete(merchant=merchant)


@pytest.fixture
def merchant(db):
    return MerchantFactory()


@pytest.fixture
def other_merchant(db):
    return MerchantFactory()


@pytest.fixture
def merchant_user(db, merchant):
    user = UserFactory()
    MembershipFactory(user=user, merchant=merchant)
    return user


@pytest.fixture
def support_agent(db):
    return UserFactory(is_support_agent=True)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def merchant_client(client, merchant_user):
    client.force_login(merchant_user)
    return client


@pytest.fixture
def world(merchant, other_merchant):
    """Objects of every kind for two merchants."""

    def objects_of(owner):
        warehouse = WarehouseFactory(merchant=owner)
        product = ProductFactory(merchant=owner)
        InventoryLevelFactory(product=product, warehouse=warehouse)
        cart = CartFactory(merchant=owner)
        CartListingFactory(cart=cart, product=product, sku=product.sku)
        run = SyncRunFactory(merchant=owner)
        return {
            "merchant": owner,
            "warehouse": warehouse,
            "product": product,
            "cart": cart,
            "run": run,
        }

    return {"own": objects_of(merchant), "other": objects_of(other_merchant)}
