import pytest

from tests.factories import MembershipFactory, MerchantFactory, UserFactory

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
