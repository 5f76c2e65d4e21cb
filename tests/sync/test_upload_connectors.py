"""The cart connector contract, its registry, and the in-memory fake cart the upload tests use."""

import dataclasses
import json

import pytest

from carts.connectors import CART_CONNECTORS, cart_connector_for
from carts.connectors.base import CartConnector, CartItem, ItemResult, QuantityUpdate
from carts.connectors.memory import (
    MemoryCartConnector,
    memory_cart_state_file,
    memory_cart_store,
    memory_cart_store_reset,
)
from integration_manager.connector_errors import (
    ConfigurationError,
    PermanentError,
    TransientError,
)
from tests.factories import CartFactory


@pytest.fixture(autouse=True)
def forget_fake_carts():
    yield
    memory_cart_store_reset()


def connector(**parameters) -> MemoryCartConnector:
    return MemoryCartConnector(parameters={"store": "fake", **parameters}, secrets={})


def test_records_crossing_the_boundary_are_frozen():
    item = CartItem("1", "", "SKU", "Title", True, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.quantity = 4  # type: ignore[misc]
    assert QuantityUpdate("1", 5) == QuantityUpdate("1", 5, None)
    assert ItemResult("1", ok=True).error_message == ""


def test_every_registered_connector_declares_its_contract():
    assert CART_CONNECTORS["memory"] is MemoryCartConnector
    for key, connector_class in CART_CONNECTORS.items():
        assert issubclass(connector_class, CartConnector)
        assert connector_class.key == key
        assert connector_class.label
        assert connector_class.max_batch_size >= 1


@pytest.mark.django_db
def test_registry_builds_a_carts_connector_from_its_connection():
    cart = CartFactory(connector_key="memory", connection_parameters={"store": "shop"})
    cart.set_secrets({"token": "t0ken"})

    built = cart_connector_for(cart)

    assert isinstance(built, MemoryCartConnector)
    assert built.store_name == "shop"
    assert "t0ken" not in repr(built)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "message"), [("", "no connector"), ("gopher", "unknown connector 'gopher'")]
)
def test_registry_refuses_a_missing_or_unknown_connector_as_a_configuration_error(key, message):
    cart = CartFactory(connector_key=key)

    with pytest.raises(ConfigurationError, match=message):
        cart_connector_for(cart)


def test_fake_lists_items_and_sets_absolute_quantities_counting_each_call():
    store = memory_cart_store("fake")
    store.add_item("1", sku="A", quantity=2)
    store.add_item("2", sku="B", quantity=None, is_inventory_tracked=False)
    fake = connector()

    items = list(fake.list_items())
    results = fake.set_quantities([QuantityUpdate("1", 7), QuantityUpdate("2", 1)])
    again = fake.set_quantities([QuantityUpdate("1", 7)])

    assert [(item.sku, item.quantity, item.is_inventory_tracked) for item in items] == [
        ("A", 2, True),
        ("B", None, False),
    ]
    assert results == [
        ItemResult("1", ok=True, quantity=7),
        ItemResult("2", ok=False, error_message="Inventory is not tracked for this item"),
    ]
    assert again == [ItemResult("1", ok=True, quantity=7)]
    assert (store.list_calls, store.write_calls) == (1, 2)
    assert store.writes == [[("1", 7)], [("1", 7)]]
    assert store.quantity_of("2") is None


def test_fake_refuses_more_than_its_batch_size_in_one_call():
    fake = connector(max_batch_size=2)

    with pytest.raises(PermanentError, match="maximum is 2"):
        fake.set_quantities([QuantityUpdate(str(number), 1) for number in range(3)])


def test_fake_fails_a_sku_transiently_a_given_number_of_times():
    store = memory_cart_store("fake")
    store.add_item("1", sku="A", quantity=2)
    store.fail_sku("A", kind="transient", times=1)
    fake = connector()

    first = fake.set_quantities([QuantityUpdate("1", 5)])
    second = fake.set_quantities([QuantityUpdate("1", 5)])

    assert first[0].ok is False
    assert first[0].is_transient is True
    assert first[0].quantity == 2
    assert second == [ItemResult("1", ok=True, quantity=5)]


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("transient", TransientError),
        ("permanent", PermanentError),
        ("configuration", ConfigurationError),
    ],
)
def test_fake_fails_whole_calls_of_each_kind(kind, error):
    store = memory_cart_store("fake")
    store.add_item("1", sku="A", quantity=2)
    store.fail_calls("write", kind=kind, times=1)
    fake = connector()

    with pytest.raises(error):
        fake.set_quantities([QuantityUpdate("1", 5)])

    assert store.quantity_of("1") == 2
    assert fake.set_quantities([QuantityUpdate("1", 5)])[0].ok is True
    assert store.write_calls == 2


def test_fake_check_reports_what_it_reached_and_refuses_a_wrong_token():
    store = memory_cart_store("fake")
    store.add_item("1", sku="A")

    assert connector().check() == "Fake cart 'fake' with 1 items"

    store.required_token = "right"
    with pytest.raises(ConfigurationError):
        connector().check()
    good = MemoryCartConnector(parameters={"store": "fake"}, secrets={"token": "right"})
    assert good.check()


def test_fake_needs_a_store_or_a_state_file():
    with pytest.raises(ConfigurationError):
        MemoryCartConnector(parameters={}, secrets={})


def test_fake_shares_its_state_through_a_json_file_between_instances(tmp_path):
    state_file = tmp_path / "cart.json"
    with memory_cart_state_file(state_file) as store:
        store.add_item("1", sku="A", quantity=2)
        store.fail_sku("B", kind="permanent")
    writer = MemoryCartConnector(parameters={"state_file": str(state_file)})
    reader = MemoryCartConnector(parameters={"state_file": str(state_file)})

    writer.set_quantities([QuantityUpdate("1", 9)])
    items = list(reader.list_items())

    assert [(item.external_item_id, item.quantity) for item in items] == [("1", 9)]
    saved = json.loads(state_file.read_text())
    assert (saved["list_calls"], saved["write_calls"]) == (1, 1)
    assert saved["writes"] == [[["1", 9]]]
    assert saved["failing_skus"] == {"B": ["permanent", -1]}
    with memory_cart_state_file(state_file) as store:
        assert store.written == [("1", 9)]
        assert store.quantity_of("1") == 9
