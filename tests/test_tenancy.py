"""Tenancy: a merchant user sees only their merchants' objects, anywhere; support agents and
superusers see every merchant. The crawl covers every URL pattern that takes an id, and fails
when a new one is added without saying which object it shows."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


# url name → the kwargs that name one object of a merchant.
URL_KWARGS = {
    "merchants:detail": lambda o: {"pk": o["merchant"].pk},
    "warehouses:locations": lambda o: {"merchant_pk": o["merchant"].pk},
    "warehouses:warehouse": lambda o: {"merchant_pk": o["merchant"].pk, "pk": o["warehouse"].pk},
    "warehouses:products": lambda o: {"merchant_pk": o["merchant"].pk},
    "warehouses:product": lambda o: {"merchant_pk": o["merchant"].pk, "pk": o["product"].pk},
    "carts:detail": lambda o: {"pk": o["cart"].pk},
    "carts:product_sync": lambda o: {"pk": o["cart"].pk},
    "sync:run": lambda o: {"pk": o["run"].pk},
}


def test_every_url_with_an_id_is_in_the_crawl():
    with_ids = {name for name, pattern in _named_patterns() if pattern.pattern.converters}

    assert with_ids - set(URL_KWARGS) == set()


def test_merchant_user_gets_404_for_every_url_of_another_merchant(merchant_client, world):
    for name, kwargs in URL_KWARGS.items():
        own = merchant_client.get(reverse(name, kwargs=kwargs(world["own"])))
        other = merchant_client.get(reverse(name, kwargs=kwargs(world["other"])))

        assert own.status_code == 200, name
        assert other.status_code == 404, name


def test_mixing_own_merchant_with_another_merchants_object_is_404(merchant_client, world):
    own_merchant = world["own"]["merchant"].pk
    other = world["other"]

    for name, pk in (
        ("warehouses:warehouse", other["warehouse"].pk),
        ("warehouses:product", other["product"].pk),
    ):
        url = reverse(name, kwargs={"merchant_pk": own_merchant, "pk": pk})
        assert merchant_client.get(url).status_code == 404, name


def test_list_pages_show_only_own_merchants_objects(merchant_client, world):
    own, other = world["own"], world["other"]

    merchants_page = merchant_client.get(reverse("merchants:list")).content.decode()
    carts_page = merchant_client.get(reverse("carts:list")).content.decode()
    runs_page = merchant_client.get(reverse("sync:runs")).content.decode()

    assert own["merchant"].name in merchants_page
    assert other["merchant"].name not in merchants_page
    assert own["cart"].name in carts_page
    assert other["cart"].name not in carts_page
    assert reverse("sync:run", kwargs={"pk": own["run"].pk}) in runs_page
    assert reverse("sync:run", kwargs={"pk": other["run"].pk}) not in runs_page


@pytest.mark.parametrize("role", ["support_agent", "superuser"])
def test_support_agents_and_superusers_see_every_merchant(client, world, role, request):
    client.force_login(request.getfixturevalue(role))

    for owner in ("own", "other"):
        for name, kwargs in URL_KWARGS.items():
            response = client.get(reverse(name, kwargs=kwargs(world[owner])))
            assert response.status_code == 200, (owner, name)


def test_user_of_two_merchants_sees_both(client, world):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory()
    MembershipFactory(user=user, merchant=world["own"]["merchant"])
    MembershipFactory(user=user, merchant=world["other"]["merchant"])
    client.force_login(user)

    page = client.get(reverse("merchants:list")).content.decode()

    assert world["own"]["merchant"].name in page
    assert world["other"]["merchant"].name in page
