"""Cart services the upload relies on: Item Filters, settings changes, Test connection."""

import pytest
from django.core.exceptions import ValidationError

from carts.connectors.memory import memory_cart_store, memory_cart_store_reset
from carts.models import ItemFilter
from carts.services import (
    ConnectionCheck,
    cart_connection_check,
    cart_reconcile_request,
    cart_settings_update,
    item_filter_add,
    item_filter_remove,
)
from tests.factories import CartFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_item_filter_add_strips_the_sku_and_does_not_duplicate_it():
    cart = CartFactory()

    first = item_filter_add(cart=cart, sku="  SKU-1 ")
    second = item_filter_add(cart=cart, sku="SKU-1")

    assert first == second
    assert list(ItemFilter.objects.filter(cart=cart).values_list("sku", flat=True)) == ["SKU-1"]


def test_item_filter_add_refuses_a_blank_sku():
    cart = CartFactory()

    with pytest.raises(ValidationError):
        item_filter_add(cart=cart, sku="   ")

    assert not ItemFilter.objects.filter(cart=cart).exists()


def test_item_filter_remove_takes_only_that_sku_off_that_cart():
    cart = CartFactory()
    other_cart = CartFactory(merchant=cart.merchant)
    item_filter_add(cart=cart, sku="SKU-1")
    item_filter_add(cart=cart, sku="SKU-2")
    item_filter_add(cart=other_cart, sku="SKU-1")

    assert item_filter_remove(cart=cart, sku="SKU-1") is True
    assert item_filter_remove(cart=cart, sku="SKU-1") is False

    assert list(cart.item_filters.values_list("sku", flat=True)) == ["SKU-2"]
    assert list(other_cart.item_filters.values_list("sku", flat=True)) == ["SKU-1"]


def test_changing_cart_settings_lifts_a_scheduling_pause():
    cart = CartFactory(scheduling_paused_reason="The token was rejected.")

    cart_settings_update(cart=cart, minimum_inventory_level=3, push_alias_name=" UPC ")

    cart.refresh_from_db()
    assert cart.scheduling_paused_reason == ""
    assert cart.minimum_inventory_level == 3
    assert cart.push_alias_name == "UPC"


def test_cart_settings_refuse_a_warehouse_of_another_merchant():
    cart = CartFactory(scheduling_paused_reason="paused")
    foreign = WarehouseFactory()

    with pytest.raises(ValidationError):
        cart_settings_update(cart=cart, sync_warehouse=foreign)

    cart.refresh_from_db()
    assert cart.sync_warehouse is None
    assert cart.scheduling_paused_reason == "paused"


def test_cart_settings_refuse_fields_that_are_not_settings():
    cart = CartFactory()

    with pytest.raises(TypeError, match="last_reconciled_at"):
        cart_settings_update(cart=cart, last_reconciled_at=None)


def test_a_reconciliation_request_is_stored_for_the_next_upload():
    cart = CartFactory()

    cart_reconcile_request(cart=cart)

    cart.refresh_from_db()
    assert cart.reconcile_requested is True


def test_test_connection_says_what_it_reached_or_why_it_failed():
    cart = CartFactory(connector_key="memory", connection_parameters={"store": "checked"})
    store = memory_cart_store("checked")
    store.add_item("1", sku="A")
    try:
        assert cart_connection_check(cart=cart) == ConnectionCheck(
            is_ok=True, message="Fake cart 'checked' with 1 items"
        )

        store.required_token = "expected"
        result = cart_connection_check(cart=cart)
        assert (result.is_ok, result.message) == (False, "The fake cart rejected the token.")
        assert store.check_calls == 2
        assert store.write_calls == 0
    finally:
        memory_cart_store_reset("checked")
