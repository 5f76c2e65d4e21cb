import pytest

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
