"""The audit trail: who changed which setting of a merchant or a cart, when, from what to what;
secrets recorded only as changed; shown on the merchant and cart pages."""

from django.urls import reverse

from carts.forms import CartSetupForm
from carts.models import UploadMode
from carts.services import item_filter_add, item_filter_remove
from merchants.forms import MerchantSetupForm
from sync.models import AuditEntry
from sync.services.audit import SYSTEM_ACTOR, audit_actor
from tests.factories import CartFactory, UserFactory
from tests.reliability.form_data import form_data
from warehouses.models import Warehouse
from warehouses.services import warehouse_default_set, warehouse_update

SECRET = "tok-AUDIT-5e5e5e-never-shown"


def entries(**filters) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(**filters)
        .order_by("id")
        .values_list("actor_label", "setting", "old_value", "new_value", "is_secret")
    )


def test_cart_edit_setup_records_each_changed_setting_and_the_secret_without_its_value(
    merchant, merchant_user, merchant_client
):
    cart = CartFactory(merchant=merchant, connector_key="memory", minimum_inventory_level=0)
    form = CartSetupForm(instance=cart)
    data = form_data(
        form,
        upload_mode=UploadMode.SCHEDULED,
        minimum_inventory_level="5",
        secret_token=SECRET,
    )

    response = merchant_client.post(reverse("carts:setup", args=[cart.pk]), data)

    assert response.status_code == 302
    who = merchant_user.get_username()
    assert entries(cart=cart) == [
        (who, "Minimum Inventory Level", "0", "5", False),
        (who, "Inventory Upload Service", "Off", "Scheduled", False),
        (who, "Secret token", "", "", True),
    ]
    assert AuditEntry.objects.filter(cart=cart, actor=merchant_user).count() == 3
    # The page shows the trail, the secret only as changed.
    page = merchant_client.get(reverse("carts:detail", args=[cart.pk])).content.decode()
    trail = page.split('id="audit-heading"', 1)[1]
    assert "Minimum Inventory Level" in trail and "Scheduled" in trail
    assert "changed (secret values are never shown)" in trail
    assert who in trail
    assert SECRET not in page
    assert not AuditEntry.objects.filter(old_value__contains=SECRET).exists()
    assert not AuditEntry.objects.filter(new_value__contains=SECRET).exists()


def test_saving_edit_setup_without_changes_records_nothing(merchant, merchant_client):
    cart = CartFactory(merchant=merchant, connector_key="memory")

    merchant_client.post(
        reverse("carts:setup", args=[cart.pk]), form_data(CartSetupForm(instance=cart))
    )

    assert entries(cart=cart) == []


def test_merchant_edit_setup_is_recorded_and_shown_on_the_merchant_page(
    merchant, merchant_user, merchant_client
):
    old_name = merchant.name
    data = form_data(MerchantSetupForm(instance=merchant), name="Renamed Merchant")

    response = merchant_client.post(reverse("merchants:setup", args=[merchant.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert entries(merchant=merchant) == [
        (merchant_user.get_username(), "Name", old_name, "Renamed Merchant", False)
    ]
    page = merchant_client.get(reverse("merchants:detail", args=[merchant.pk])).content.decode()
    trail = page.split('id="audit-heading"', 1)[1]
    assert old_name in trail and "Renamed Merchant" in trail


def test_item_filters_and_warehouse_changes_are_recorded_with_who(merchant):
    cart = CartFactory(merchant=merchant)
    person = UserFactory(username="auditor")
    default = Warehouse.objects.get(merchant=merchant, is_default=True)
    east = Warehouse.objects.create(merchant=merchant, external_code="EAST", name="East")

    with audit_actor(person):
        item_filter_add(cart=cart, sku=" SKU-1 ")
        item_filter_add(cart=cart, sku="SKU-1")  # already listed: no change, no entry
        item_filter_remove(cart=cart, sku="SKU-1")
        item_filter_remove(cart=cart, sku="SKU-1")  # no longer listed: nothing recorded
        warehouse_update(warehouse=east, name="East coast", is_enabled=False)
        warehouse_default_set(warehouse=east)

    assert entries(cart=cart) == [
        ("auditor", "Item Filters: SKU added", "", "SKU-1", False),
        ("auditor", "Item Filters: SKU removed", "SKU-1", "", False),
    ]
    assert entries(merchant=merchant, cart__isnull=True) == [
        ("auditor", "Warehouse EAST: Name", "East", "East coast", False),
        ("auditor", "Warehouse EAST: Enabled", "Yes", "No", False),
        ("auditor", "Default warehouse", default.name, "East coast", False),
    ]


def test_a_change_made_by_no_person_is_recorded_as_the_system(merchant):
    cart = CartFactory(merchant=merchant)

    item_filter_add(cart=cart, sku="SKU-9")

    assert entries(cart=cart) == [(SYSTEM_ACTOR, "Item Filters: SKU added", "", "SKU-9", False)]


def test_another_merchants_trail_is_not_shown(merchant, other_merchant, merchant_client):
    other_cart = CartFactory(merchant=other_merchant)
    item_filter_add(cart=other_cart, sku="THEIRS-1")

    page = merchant_client.get(reverse("merchants:detail", args=[merchant.pk])).content.decode()

    assert "THEIRS-1" not in page
    assert merchant_client.get(reverse("carts:detail", args=[other_cart.pk])).status_code == 404
