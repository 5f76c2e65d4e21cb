"""The download rules of PRODUCT.md §2 "Download" and of issue 3, one test per rule, run against
the in-memory fake warehouse system. Failure tests also assert what was NOT written."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from carts.models import UploadMode
from integration_manager.connector_errors import TransientError
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from sync.services.alerts import alert_raise
from sync.services.download import inventory_download
from sync.services.runs import run_claim
from tests.factories import CartFactory, ProductFactory
from tests.sync.download_fixtures import make_download_setup
from warehouses.connectors import WAREHOUSE_CONNECTORS, warehouse_connector_for
from warehouses.connectors.memory import (
    MemoryWarehouseConnector,
    memory_warehouse_state_file,
    memory_warehouse_store,
    memory_warehouse_store_reset,
)
from warehouses.models import Alias, InventoryLevel, InventoryLevelChange, Product, Warehouse
from warehouses.selectors import product_history
from warehouses.services import alias_add

pytestmark = pytest.mark.django_db

WMS_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def setup(db):
    """A merchant on an empty fake warehouse system."""
    yield make_download_setup()
    memory_warehouse_store_reset()


@pytest.fixture
def loaded(setup):
    """The same, after a first download of three products in the Default warehouse."""
    setup.wms.set_stock("A", 10)
    setup.wms.set_stock("B", 20)
    setup.wms.set_stock("C", 30)
    run = setup.download()
    assert run.state == RunState.SUCCEEDED
    return setup


def _open_alert_keys(merchant) -> set[str]:
    return set(
        Alert.objects.filter(
            merchant=merchant, resolved_at__isnull=True, dismissed_at__isnull=True
        ).values_list("key", flat=True)
    )


# --- what a download creates ------------------------------------------------------------------


def test_download_derives_available_from_on_hand_allocated_and_on_hold(setup):
    setup.wms.set_stock("ALLOCATED", 10, quantity_allocated=3)
    setup.wms.set_stock("BOTH", 10, quantity_allocated=3, quantity_on_hold=2)
    setup.wms.set_stock("OVERSOLD", 4, quantity_allocated=6)
    setup.wms.set_stock("ONLY-ON-HAND", 7)
    setup.wms.set_stock("REPORTED", 10, quantity_available=9, quantity_allocated=3)

    run = setup.download()

    assert run.state == RunState.SUCCEEDED
    assert setup.levels() == {
        ("", "ALLOCATED"): (10, 7, 3, None),
        ("", "BOTH"): (10, 5, 3, 2),
        ("", "OVERSOLD"): (4, 0, 6, None),
        ("", "ONLY-ON-HAND"): (7, 7, None, None),
        # A reported Quantity Available is taken as it is, never recomputed.
        ("", "REPORTED"): (10, 9, 3, None),
    }


def test_download_creates_warehouses_products_and_aliases(setup):
    setup.wms.add_warehouse("EAST", "East Coast DC")
    setup.wms.set_stock(
        "SHIRT",
        5,
        warehouse_code="EAST",
        aliases={"UPC": "012345678905", "ALT_CODE": "SH-1"},
        name="Blue shirt",
        wms_updated_at=WMS_TIME,
    )
    setup.wms.set_stock("SHIRT", 2, warehouse_code="WEST", aliases={"UPC": "012345678905"})
    setup.wms.set_stock("HAT", 1)  # no warehouse code: the Default warehouse

    run = setup.download()

    assert run.state == RunState.SUCCEEDED
    assert (run.records_read, run.records_changed) == (3, 3)
    assert setup.warehouse_codes() == ["", "EAST", "WEST"]
    names = dict(
        Warehouse.objects.filter(merchant=setup.merchant).values_list("external_code", "name")
    )
    assert names == {"": "Default", "EAST": "East Coast DC", "WEST": "WEST"}
    assert setup.skus() == ["HAT", "SHIRT"]
    shirt = setup.product("SHIRT")
    assert shirt.name == "Blue shirt"
    assert shirt.last_reported_at is not None
    assert shirt.not_reported_since is None
    assert sorted(Alias.objects.filter(product=shirt).values_list("name", "value")) == [
        ("ALT_CODE", "SH-1"),
        ("UPC", "012345678905"),
    ]
    assert setup.available() == {("EAST", "SHIRT"): 5, ("WEST", "SHIRT"): 2, ("", "HAT"): 1}
    east = InventoryLevel.objects.get(product=shirt, warehouse__external_code="EAST")
    assert east.wms_updated_at == WMS_TIME
    assert run.started_at <= east.loaded_at <= run.finished_at
    # A new level is not copied into the history: the level is the chart's first point.
    assert not InventoryLevelChange.objects.filter(product__merchant=setup.merchant).exists()
    assert [
        (series.warehouse.external_code, series.points) for series in product_history(product=shirt)
    ] == [("EAST", ((east.loaded_at, 5),)), ("WEST", ((east.loaded_at, 2),))]
    assert all(
        w.last_loaded_at is not None for w in Warehouse.objects.filter(merchant=setup.merchant)
    )
    assert "3 levels changed" in run.log
    assert run.message == "Read 3 records; 3 levels changed."


def test_download_updates_only_the_levels_that_changed(loaded):
    before = {
        level.product.sku: level for level in InventoryLevel.objects.select_related("product")
    }
    reported_before = dict(Product.objects.values_list("sku", "last_reported_at"))
    updated_before = dict(Product.objects.values_list("sku", "updated_at"))
    loaded.wms.update_stock("B", quantity_on_hand=15, wms_updated_at=WMS_TIME)

    run = loaded.download()

    assert (run.records_read, run.records_changed) == (3, 1)
    # Only the product whose level changed is stamped; no product row is otherwise rewritten.
    reported_after = dict(Product.objects.values_list("sku", "last_reported_at"))
    assert reported_after["B"] > reported_before["B"]
    assert {sku: reported_after[sku] for sku in "AC"} == {sku: reported_before[sku] for sku in "AC"}
    assert dict(Product.objects.values_list("sku", "updated_at")) == updated_before
    assert loaded.available() == {("", "A"): 10, ("", "B"): 15, ("", "C"): 30}
    after = {level.product.sku: level for level in InventoryLevel.objects.select_related("product")}
    assert after["B"].loaded_at > before["B"].loaded_at
    assert after["B"].wms_updated_at == WMS_TIME
    # Unchanged levels keep the time their figure was loaded.
    assert after["A"].loaded_at == before["A"].loaded_at
    assert after["C"].loaded_at == before["C"].loaded_at
    changes = InventoryLevelChange.objects.filter(run=run)
    assert list(changes.values_list("product__sku", "quantity_on_hand", "quantity_available")) == [
        ("B", 15, 15)
    ]


def test_first_change_of_a_level_records_its_first_figure_and_the_new_one_in_the_history(setup):
    setup.wms.set_stock("A", 10)
    setup.wms.set_stock("B", 20)
    setup.download()
    first_loaded_at = InventoryLevel.objects.get(product__sku="A").loaded_at
    setup.wms.update_stock("A", quantity_on_hand=7)

    second = setup.download()

    second_loaded_at = InventoryLevel.objects.get(product__sku="A").loaded_at
    assert first_loaded_at < second_loaded_at
    history = InventoryLevelChange.objects.filter(product__merchant=setup.merchant).order_by(
        "recorded_at", "id"
    )
    assert list(
        history.values_list("product__sku", "quantity_on_hand", "recorded_at", "run_id")
    ) == [("A", 10, first_loaded_at, None), ("A", 7, second_loaded_at, second.pk)]

    setup.wms.update_stock("A", quantity_on_hand=4)
    third = setup.download()

    # A later change adds one row; the unchanged level B has no history: one point, itself.
    third_loaded_at = InventoryLevel.objects.get(product__sku="A").loaded_at
    assert list(history.filter(run=third).values_list("quantity_available", "recorded_at")) == [
        (4, third_loaded_at)
    ]
    assert history.count() == 3
    assert [series.points for series in product_history(product=setup.product("A"))] == [
        ((first_loaded_at, 10), (second_loaded_at, 7), (third_loaded_at, 4))
    ]
    b = InventoryLevel.objects.get(product__sku="B")
    assert [series.points for series in product_history(product=setup.product("B"))] == [
        ((b.loaded_at, 20),)
    ]


def test_download_replaces_a_product_alias_code_and_allows_codes_swapped_between_products(setup):
    setup.wms.set_stock("A", 1, aliases={"UPC": "111"})
    setup.wms.set_stock("B", 1, aliases={"UPC": "222"})
    setup.download()
    alias_add(product=setup.product("A"), name="Amazon Seller SKU", value="AMZ-A")
    setup.wms.update_stock("A", aliases=(("UPC", "222"),))
    setup.wms.update_stock("B", aliases=(("UPC", "111"),))

    run = setup.download()

    assert run.state == RunState.SUCCEEDED, run.message
    assert sorted(
        Alias.objects.filter(merchant=setup.merchant).values_list("product__sku", "name", "value")
    ) == [("A", "Amazon Seller SKU", "AMZ-A"), ("A", "UPC", "222"), ("B", "UPC", "111")]


def test_disabled_warehouse_still_loads(setup):
    Warehouse.objects.create(
        merchant=setup.merchant, external_code="EAST", name="East", is_enabled=False
    )
    setup.wms.set_stock("A", 4, warehouse_code="EAST")

    run = setup.download()

    assert run.state == RunState.SUCCEEDED
    assert setup.available() == {("EAST", "A"): 4}
    east = Warehouse.objects.get(merchant=setup.merchant, external_code="EAST")
    assert east.is_enabled is False
    assert east.last_loaded_at is not None


# --- refused downloads: nothing applied -----------------------------------------------------


def test_download_with_same_sku_twice_in_one_warehouse_fails_and_applies_nothing(loaded):
    loaded.wms.update_stock("A", quantity_on_hand=99)
    loaded.wms.set_stock("NEW", 1, warehouse_code="NORTH")
    loaded.wms.extra_records.append(loaded.wms.records[("", "B")])
    history_before = loaded.history_count()

    run = loaded.download()

    assert run.state == RunState.FAILED
    assert run.message == (
        "The warehouse system reported the same SKU twice for one warehouse: SKU B in warehouse "
        "'Default'. Nothing was applied."
    )
    assert run.records_changed == 0
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
    assert loaded.skus() == ["A", "B", "C"]
    assert loaded.warehouse_codes() == [""]
    assert loaded.history_count() == history_before
    assert _open_alert_keys(loaded.merchant) == {"download"}


def test_download_reporting_one_alias_code_for_two_products_fails_naming_both(loaded):
    loaded.wms.set_stock("A", 10, aliases={"UPC": "012345678905"})
    loaded.wms.set_stock("NEW", 1, aliases={"UPC": "012345678905"})

    run = loaded.download()

    assert run.state == RunState.FAILED
    assert run.message == (
        "The alias code '012345678905' would identify two different products, A and NEW. An "
        "alias code must identify exactly one product. Nothing was applied."
    )
    assert loaded.skus() == ["A", "B", "C"]
    assert not Alias.objects.filter(merchant=loaded.merchant).exists()


def test_download_reporting_an_alias_code_held_by_another_product_fails_naming_both(loaded):
    alias_add(product=loaded.product("B"), name="UPC", value="777")
    loaded.wms.update_stock("A", aliases=(("UPC", "777"),))

    run = loaded.download()

    assert run.state == RunState.FAILED
    assert "'777' would identify two different products, A and B" in run.message
    assert list(
        Alias.objects.filter(merchant=loaded.merchant).values_list("product__sku", "value")
    ) == [("B", "777")]


def test_alias_add_refuses_a_duplicate_code_naming_both_products(loaded):
    alias_add(product=loaded.product("A"), name="UPC", value="012345678905")

    with pytest.raises(ValidationError) as refused:
        alias_add(product=loaded.product("B"), name="UPC", value="012345678905")

    assert refused.value.message_dict == {
        "value": [
            "The alias code '012345678905' already identifies product A (as UPC); it cannot also "
            "identify product B. An alias code must identify exactly one product."
        ]
    }
    assert Alias.objects.filter(merchant=loaded.merchant).count() == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"quantity_on_hand": -1},
            "SKU B in warehouse 'Default' reports an impossible quantity on hand (-1).",
        ),
        (
            {"quantity_available": 5_000_000_000},
            "SKU B in warehouse 'Default' reports an impossible quantity available (5000000000).",
        ),
        (
            {"quantity_allocated": -3},
            "SKU B in warehouse 'Default' reports an impossible quantity allocated (-3).",
        ),
    ],
)
def test_download_with_negative_or_absurd_quantity_fails_naming_the_sku(loaded, changes, expected):
    loaded.wms.update_stock("A", quantity_on_hand=1)
    loaded.wms.update_stock("B", **changes)

    run = loaded.download()

    assert run.state == RunState.FAILED
    assert run.message == f"{expected} Nothing was applied."
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
    assert _open_alert_keys(loaded.merchant) == {"download"}


@pytest.mark.parametrize("kind", ["transient", "permanent"])
def test_download_failing_mid_stream_applies_nothing(loaded, kind):
    loaded.wms.update_stock("A", quantity_on_hand=1)
    loaded.wms.set_stock("NEW", 5, warehouse_code="NORTH", aliases={"UPC": "1"})
    loaded.wms.fail_calls("stock", kind=kind, after_records=3, message="Connection reset")
    history_before = loaded.history_count()

    if kind == "transient":
        with pytest.raises(TransientError):
            loaded.download()
    else:
        loaded.download()

    run = SyncRun.objects.filter(merchant=loaded.merchant).first()
    assert run.state == RunState.FAILED
    assert (run.records_read, run.records_changed) == (3, 0)
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
    assert loaded.skus() == ["A", "B", "C"]
    assert loaded.warehouse_codes() == [""]
    assert not Alias.objects.filter(merchant=loaded.merchant).exists()
    assert loaded.history_count() == history_before
    assert (
        Product.objects.filter(merchant=loaded.merchant, not_reported_since__isnull=False).count()
        == 0
    )


# --- suspicious downloads: held, then accepted ----------------------------------------------


def test_download_of_zero_records_is_held_and_applies_nothing_until_accepted(loaded):
    loaded.wms.clear_stock()

    held = loaded.download()

    assert held.state == RunState.HELD
    assert held.message.startswith("The warehouse system reported no stock records at all.")
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
    assert not Product.objects.filter(not_reported_since__isnull=False).exists()
    assert _open_alert_keys(loaded.merchant) == {"download:suspicious"}

    accepted = loaded.download(accept_suspicious=True)

    assert accepted.state == RunState.SUCCEEDED
    assert (
        Product.objects.filter(merchant=loaded.merchant, not_reported_since__isnull=False).count()
        == 3
    )
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}  # levels kept
    assert _open_alert_keys(loaded.merchant) == set()


def test_download_dropping_more_than_the_limit_to_zero_is_held_then_accepted(loaded):
    loaded.merchant.suspicious_change_percent = 50
    loaded.merchant.save()
    loaded.wms.update_stock("A", quantity_on_hand=0)
    loaded.wms.update_stock("B", quantity_on_hand=0)  # 2 of 3 = 67% > 50%
    cart = CartFactory(merchant=loaded.merchant, upload_mode=UploadMode.AUTOMATIC)
    history_before = loaded.history_count()

    held = loaded.download()

    assert held.state == RunState.HELD
    assert held.message.startswith(
        "2 of 3 products (67%) would vanish (0) or drop to 0 available (2), more than the 50% "
        "limit. Nothing was applied"
    )
    assert held.records_changed == 0
    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
    assert loaded.history_count() == history_before
    assert not SyncRun.objects.filter(cart=cart).exists()  # nothing uploaded

    accepted = loaded.download(accept_suspicious=True)

    assert accepted.state == RunState.SUCCEEDED
    assert loaded.available() == {("", "A"): 0, ("", "B"): 0, ("", "C"): 30}
    assert _open_alert_keys(loaded.merchant) == set()


def test_download_with_more_than_the_limit_of_products_vanishing_is_held(loaded):
    loaded.merchant.suspicious_change_percent = 30
    loaded.merchant.save()
    loaded.wms.remove_stock("A")  # 1 of 3 = 33% > 30%

    held = loaded.download()

    assert held.state == RunState.HELD
    assert "would vanish (1) or drop to 0 available (0)" in held.message
    assert not Product.objects.filter(not_reported_since__isnull=False).exists()


def test_download_within_the_limit_is_not_held(loaded):
    loaded.merchant.suspicious_change_percent = 34
    loaded.merchant.save()
    loaded.wms.remove_stock("A")  # 33% <= 34%

    run = loaded.download()

    assert run.state == RunState.SUCCEEDED


# --- idempotence and the not-reported flag --------------------------------------------------


def test_download_run_twice_leaves_the_same_state_and_the_second_changes_nothing(setup):
    setup.wms.set_stock("A", 10, warehouse_code="EAST", aliases={"UPC": "1"}, quantity_allocated=2)
    setup.wms.set_stock("B", 3)
    first = setup.download()
    state_after_first = (
        setup.levels(),
        setup.skus(),
        setup.warehouse_codes(),
        sorted(Alias.objects.values_list("product__sku", "name", "value")),
    )
    history_after_first = setup.history_count()

    second = setup.download()

    assert (first.records_changed, second.records_changed) == (2, 0)
    assert second.state == RunState.SUCCEEDED
    assert (
        setup.levels(),
        setup.skus(),
        setup.warehouse_codes(),
        sorted(Alias.objects.values_list("product__sku", "name", "value")),
    ) == state_after_first
    assert setup.history_count() == history_after_first
    assert not InventoryLevelChange.objects.filter(run=second).exists()


def test_product_no_longer_reported_is_flagged_and_unflagged_when_reported_again(loaded):
    loaded.merchant.suspicious_change_percent = 100
    loaded.merchant.save()
    loaded.wms.remove_stock("C")

    loaded.download()

    c = loaded.product("C")
    assert c.not_reported_since is not None
    assert loaded.product("A").not_reported_since is None
    assert loaded.available()[("", "C")] == 30  # kept, with its level
    flagged_at = c.not_reported_since

    loaded.download()  # still missing: the flag keeps its first time

    assert loaded.product("C").not_reported_since == flagged_at

    loaded.wms.set_stock("C", 31)
    loaded.download()

    assert loaded.product("C").not_reported_since is None
    assert loaded.available()[("", "C")] == 31


# --- runs, errors, alerts, uploads ----------------------------------------------------------


def test_download_while_another_download_runs_is_skipped(loaded):
    holder = run_claim(kind=RunKind.DOWNLOAD, merchant=loaded.merchant, trigger=RunTrigger.SCHEDULE)
    loaded.wms.update_stock("A", quantity_on_hand=1)

    skipped = loaded.download()

    assert skipped.state == RunState.SKIPPED
    assert skipped.pk != holder.pk
    assert loaded.available()[("", "A")] == 10
    assert loaded.wms.stock_calls == 1  # only the first download read the system
    assert SyncRun.objects.filter(merchant=loaded.merchant, state=RunState.RUNNING).count() == 1


def test_transient_error_fails_the_run_and_is_raised_again(loaded):
    loaded.wms.fail_calls("stock", kind="transient", message="WMS answered 503")

    with pytest.raises(TransientError, match="WMS answered 503"):
        loaded.download()

    run = SyncRun.objects.filter(merchant=loaded.merchant).first()
    assert run.state == RunState.FAILED
    assert run.message == "WMS answered 503 This is temporary: the download will be retried."
    assert _open_alert_keys(loaded.merchant) == set()
    assert loaded.merchant.scheduling_paused_reason == ""


def test_permanent_error_fails_the_run_with_an_alert_and_is_not_raised(loaded):
    loaded.wms.fail_calls("stock", kind="permanent", message="WMS rejected the request")

    run = loaded.download()

    assert run.state == RunState.FAILED
    assert run.message == "WMS rejected the request"
    alert = Alert.objects.get(merchant=loaded.merchant, key="download")
    assert (alert.run_id, alert.message) == (run.pk, "WMS rejected the request")
    assert loaded.merchant.scheduling_paused_reason == ""


def test_configuration_error_raises_an_alert_and_pauses_scheduling(loaded):
    loaded.wms.required_token = "secret"  # the merchant has no token: credentials rejected

    run = loaded.download()

    assert run.state == RunState.FAILED
    assert run.message == (
        "The fake warehouse system rejected the token. Scheduled downloads are paused until the "
        "setting is changed."
    )
    assert (
        loaded.merchant.scheduling_paused_reason == "The fake warehouse system rejected the token."
    )
    assert _open_alert_keys(loaded.merchant) == {"download:configuration"}
    assert loaded.available()[("", "A")] == 10


def test_unknown_connector_is_a_configuration_error(setup):
    setup.merchant.connector_key = "no-such-wms"
    setup.merchant.save()

    run = setup.download()

    assert run.state == RunState.FAILED
    assert "unknown warehouse system 'no-such-wms'" in run.message
    assert setup.merchant.scheduling_paused_reason != ""


def test_successful_download_resolves_the_download_alerts(loaded):
    for key in ("download", "download:suspicious", "download:configuration"):
        alert_raise(merchant=loaded.merchant, key=key, title=key)
    alert_raise(merchant=loaded.merchant, key="cart:1:connection", title="other")

    loaded.download()

    assert _open_alert_keys(loaded.merchant) == {"cart:1:connection"}


def test_download_that_changes_levels_queues_the_automatic_uploads_on_commit(
    loaded, django_capture_on_commit_callbacks, monkeypatch
):
    automatic = CartFactory(merchant=loaded.merchant, upload_mode=UploadMode.AUTOMATIC)
    CartFactory(merchant=loaded.merchant, upload_mode=UploadMode.SCHEDULED)
    sent = []
    monkeypatch.setattr("sync.tasks.cart_upload_task.delay", lambda **kwargs: sent.append(kwargs))
    loaded.wms.update_stock("A", quantity_on_hand=11)

    with django_capture_on_commit_callbacks(execute=True):
        loaded.download()

    assert sent == [{"cart_id": automatic.pk, "trigger": "automatic"}]


def test_download_that_changes_nothing_queues_no_upload(
    loaded, django_capture_on_commit_callbacks, monkeypatch
):
    CartFactory(merchant=loaded.merchant, upload_mode=UploadMode.AUTOMATIC)
    sent = []
    monkeypatch.setattr("sync.tasks.cart_upload_task.delay", lambda **kwargs: sent.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        run = loaded.download()

    assert run.records_changed == 0
    assert sent == []


def test_download_leaves_the_levels_of_other_merchants_untouched(loaded):
    other = make_download_setup()
    other.wms.set_stock("A", 99)

    other.download()

    assert loaded.available() == {("", "A"): 10, ("", "B"): 20, ("", "C"): 30}
    assert other.available() == {("", "A"): 99}


def test_hand_made_product_not_reported_is_flagged(loaded):
    ProductFactory(merchant=loaded.merchant, sku="HAND")

    loaded.download()

    assert loaded.product("HAND").not_reported_since is not None


# --- the connector registry, the fake, the command ------------------------------------------


def test_registry_builds_the_memory_connector_from_the_merchant(setup):
    connector = warehouse_connector_for(setup.merchant)

    assert WAREHOUSE_CONNECTORS["memory"] is MemoryWarehouseConnector
    assert isinstance(connector, MemoryWarehouseConnector)
    assert connector.check() == (
        f"Fake warehouse system '{setup.merchant.connection_parameters['store']}' with 0 stock "
        "records"
    )


def test_memory_fake_shares_its_state_through_a_json_file(tmp_path, setup):
    path = tmp_path / "wms.json"
    with memory_warehouse_state_file(path) as store:
        store.add_warehouse("EAST", "East")
        store.set_stock(
            "A", 3, warehouse_code="EAST", aliases={"UPC": "9"}, wms_updated_at=WMS_TIME
        )
    setup.merchant.connection_parameters = {"state_file": str(path)}
    setup.merchant.save()

    run = setup.download()

    assert run.state == RunState.SUCCEEDED
    assert setup.available() == {("EAST", "A"): 3}
    with memory_warehouse_state_file(path) as store:
        assert store.stock_calls == 1
        assert store.records[("EAST", "A")].wms_updated_at == WMS_TIME


def test_inventory_download_command_prints_the_outcome(loaded, capsys):
    loaded.wms.update_stock("A", quantity_on_hand=1)

    call_command("inventory_download", str(loaded.merchant.pk))

    output = capsys.readouterr().out
    assert f"of merchant {loaded.merchant}: succeeded" in output
    assert "read=3 changed=1" in output


def test_inventory_download_command_accepts_a_suspicious_download(loaded, capsys):
    loaded.wms.clear_stock()

    call_command("inventory_download", str(loaded.merchant.pk))
    assert "held" in capsys.readouterr().out
    call_command("inventory_download", str(loaded.merchant.pk), "--accept-suspicious")

    assert ": succeeded" in capsys.readouterr().out


def test_inventory_download_command_fails_on_a_failed_run(loaded):
    loaded.wms.fail_calls("stock", kind="permanent", message="Bad request")

    with pytest.raises(CommandError, match="Bad request"):
        call_command("inventory_download", str(loaded.merchant.pk))


def test_inventory_download_with_a_given_connector_uses_it(setup):
    connector = MemoryWarehouseConnector(parameters={"store": "given"})
    memory_warehouse_store("given").set_stock("G", 2)

    run = inventory_download(
        merchant=setup.merchant, trigger=RunTrigger.MANUAL, connector=connector
    )

    assert run.state == RunState.SUCCEEDED
    assert setup.available() == {("", "G"): 2}


def test_download_stores_skus_and_names_with_special_characters_exactly(setup):
    awkward = "A\\B\tC\nD\rE ü"
    setup.wms.set_stock(awkward, 3, name="Name \\N with\ttab", aliases={"UPC": "x\\y"})

    run = setup.download()

    assert run.state == RunState.SUCCEEDED
    product = setup.product(awkward)
    assert product.name == "Name \\N with\ttab"
    assert list(product.aliases.values_list("value", flat=True)) == ["x\\y"]
    assert setup.available() == {("", awkward): 3}
