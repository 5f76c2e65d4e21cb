"""Tenancy: a merchant user sees only their merchants' objects, anywhere; support agents and
superusers see every merchant. The crawl covers every URL pattern that takes an id, and fails
when a new one is added without saying which object it shows."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from carts.models import ItemFilter
from merchants.services import api_key_create
from sync.models import Alert
from tests.factories import AliasFactory, ItemFilterFactory
from warehouses.models import Alias

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
    "merchants:setup": lambda o: {"pk": o["merchant"].pk},
    "merchants:run_inventory": lambda o: {"pk": o["merchant"].pk},
    "merchants:test_connection": lambda o: {"pk": o["merchant"].pk},
    "warehouses:locations": lambda o: {"merchant_pk": o["merchant"].pk},
    "warehouses:warehouse": lambda o: {"merchant_pk": o["merchant"].pk, "pk": o["warehouse"].pk},
    "warehouses:warehouse_edit": lambda o: {
        "merchant_pk": o["merchant"].pk,
        "pk": o["warehouse"].pk,
    },
    "warehouses:products": lambda o: {"merchant_pk": o["merchant"].pk},
    "warehouses:product": lambda o: {"merchant_pk": o["merchant"].pk, "pk": o["product"].pk},
    "warehouses:alias_delete": lambda o: {
        "merchant_pk": o["merchant"].pk,
        "pk": o["product"].pk,
        "alias_pk": o["alias"].pk,
    },
    "warehouses:alias_import": lambda o: {"merchant_pk": o["merchant"].pk},
    "carts:detail": lambda o: {"pk": o["cart"].pk},
    "carts:setup": lambda o: {"pk": o["cart"].pk},
    "carts:product_sync": lambda o: {"pk": o["cart"].pk},
    "carts:item_filters": lambda o: {"pk": o["cart"].pk},
    "carts:item_filter_remove": lambda o: {"pk": o["cart"].pk, "filter_pk": o["item_filter"].pk},
    "carts:upload_now": lambda o: {"pk": o["cart"].pk},
    "carts:test_connection": lambda o: {"pk": o["cart"].pk},
    "carts:discrepancies": lambda o: {"pk": o["cart"].pk},
    "carts:discrepancies_csv": lambda o: {"pk": o["cart"].pk},
    "sync:run": lambda o: {"pk": o["run"].pk},
    "sync:run_progress": lambda o: {"pk": o["run"].pk},
    "sync:alert_dismiss": lambda o: {"pk": o["alert"].pk},
    # The API-keys section of the merchant page (session pages, unlike the REST API below).
    "api:api_key_create": lambda o: {"merchant_pk": o["merchant"].pk},
    "api:api_key_revoke": lambda o: {"merchant_pk": o["merchant"].pk, "pk": o["api_key"].pk},
}


def _is_rest_api(name: str) -> bool:
    """The REST APIs authenticate with API keys, not sessions: their tenancy is crawled in
    tests/api."""
    return name.startswith("cartrover:") or (
        name.startswith("api:") and not name.startswith("api:api_key_")
    )


# The URLs above that change state: POST only (a GET is 405). The crawl POSTs to them.
POST_ONLY = {
    "merchants:run_inventory",
    "merchants:test_connection",
    "warehouses:warehouse_edit",
    "warehouses:alias_delete",
    "carts:item_filter_remove",
    "carts:upload_now",
    "carts:test_connection",
    "sync:alert_dismiss",
    "api:api_key_create",
    "api:api_key_revoke",
}
POST_DATA = {"api:api_key_create": {"name": "Crawl"}}


@pytest.fixture
def crawl_world(world):
    """`world`, plus the objects only some pages name: an alias, an Item Filters entry, an
    alert."""
    for objects in world.values():
        objects["alias"] = AliasFactory(product=objects["product"])
        objects["item_filter"] = ItemFilterFactory(cart=objects["cart"])
        objects["api_key"] = api_key_create(merchant=objects["merchant"], name="WMS").api_key
        objects["alert"] = Alert.objects.create(
            merchant=objects["merchant"],
            key="download",
            title="Inventory download failed",
            first_seen_at=timezone.now(),
            last_seen_at=timezone.now(),
        )
    return world


def _visit(client, name: str, kwargs: dict):
    url = reverse(name, kwargs=kwargs)
    return client.post(url, POST_DATA.get(name, {})) if name in POST_ONLY else client.get(url)


def _is_success(response) -> bool:
    return response.status_code in (200, 302) and (
        response.status_code == 200 or "login" not in response["Location"]
    )


def test_every_url_with_an_id_is_in_the_crawl():
    with_ids = {
        name
        for name, pattern in _named_patterns()
        if pattern.pattern.converters and not _is_rest_api(name)
    }

    assert with_ids - set(URL_KWARGS) == set()


def test_state_changing_urls_refuse_get(merchant_client, crawl_world):
    for name in POST_ONLY:
        url = reverse(name, kwargs=URL_KWARGS[name](crawl_world["own"]))
        assert merchant_client.get(url).status_code == 405, name


def test_merchant_user_gets_404_for_every_url_of_another_merchant(merchant_client, crawl_world):
    for name, kwargs in URL_KWARGS.items():
        other = _visit(merchant_client, name, kwargs(crawl_world["other"]))
        own = _visit(merchant_client, name, kwargs(crawl_world["own"]))

        assert _is_success(own), (name, own.status_code)
        assert other.status_code == 404, name


def test_mixing_own_merchant_with_another_merchants_object_is_404(merchant_client, crawl_world):
    own, other = crawl_world["own"], crawl_world["other"]
    mixed = {
        "warehouses:warehouse": {"merchant_pk": own["merchant"].pk, "pk": other["warehouse"].pk},
        "warehouses:warehouse_edit": {
            "merchant_pk": own["merchant"].pk,
            "pk": other["warehouse"].pk,
        },
        "warehouses:product": {"merchant_pk": own["merchant"].pk, "pk": other["product"].pk},
        "warehouses:alias_delete": {
            "merchant_pk": own["merchant"].pk,
            "pk": own["product"].pk,
            "alias_pk": other["alias"].pk,
        },
        "carts:item_filter_remove": {"pk": own["cart"].pk, "filter_pk": other["item_filter"].pk},
    }

    for name, kwargs in mixed.items():
        assert _visit(merchant_client, name, kwargs).status_code == 404, name
    assert Alias.objects.filter(pk=other["alias"].pk).exists()
    assert ItemFilter.objects.filter(pk=other["item_filter"].pk).exists()


def test_troubleshooter_refuses_another_merchants_cart(merchant_client, crawl_world):
    own, other = crawl_world["own"], crawl_world["other"]
    url = reverse("sync:troubleshooter")

    mixed = merchant_client.get(
        url, {"merchant": own["merchant"].pk, "cart": other["cart"].pk, "sku": "X"}
    )
    foreign = merchant_client.get(
        url, {"merchant": other["merchant"].pk, "cart": other["cart"].pk, "sku": "X"}
    )

    assert mixed.context["diagnosis"] is None
    assert foreign.context["diagnosis"] is None
    assert other["cart"].name not in foreign.content.decode()


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
def test_support_agents_and_superusers_see_every_merchant(client, crawl_world, role, request):
    client.force_login(request.getfixturevalue(role))

    for owner in ("own", "other"):
        for name, kwargs in URL_KWARGS.items():
            response = _visit(client, name, kwargs(crawl_world[owner]))
            assert _is_success(response), (owner, name, response.status_code)


def test_user_of_two_merchants_sees_both(client, world):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory()
    MembershipFactory(user=user, merchant=world["own"]["merchant"])
    MembershipFactory(user=user, merchant=world["other"]["merchant"])
    client.force_login(user)

    page = client.get(reverse("merchants:list")).content.decode()

    assert world["own"]["merchant"].name in page
    assert world["other"]["merchant"].name in page
