"""Bad input, at every door: the CSV feed (a file uploaded on the merchant's page), the push API
and the pages' forms. Negative, non-integer and huge numbers, empty or whitespace SKUs, duplicate
rows, a 10 MB payload → a clear error naming what and where, and nothing applied. Unicode and
right-to-left text are kept exactly. CSV exports neutralise formula injection."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from carts.forms import CartSetupForm
from carts.models import Cart, ItemFilter
from merchants.forms import MerchantSetupForm
from merchants.models import InventorySyncMode, Merchant
from merchants.services import api_key_create
from sync import tasks
from sync.models import Alert, AuditEntry, RunState, SyncRun
from tests.factories import CartFactory, CartListingFactory, InventoryLevelFactory, ProductFactory
from tests.reliability.form_data import form_data
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

RTL_SKU = "מוצר-۱٢"  # Hebrew letters and Arabic-Indic digits
RTL_NAME = "سترة شتوية ‏— winter jacket"
HEADER = "warehouse,sku,on_hand,name\n"


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.CSV_UPLOAD_ROOT = tmp_path / "uploads"


@pytest.fixture
def csv_merchant(merchant):
    merchant.connector_key = "csv_feed"
    merchant.save()
    return merchant


@pytest.fixture
def run_queued_downloads(monkeypatch):
    """The download the page queues runs at once, in this process, through the real task."""
    monkeypatch.setattr(
        tasks.inventory_download_task,
        "delay",
        lambda **kwargs: tasks.inventory_download_task.apply(kwargs=kwargs),
    )


def levels(merchant) -> dict[tuple[str, str], int]:
    return {
        (level.warehouse.external_code, level.product.sku): level.quantity_available
        for level in InventoryLevel.objects.filter(product__merchant=merchant).select_related(
            "warehouse", "product"
        )
    }


def upload_csv(client, merchant, content: bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("warehouses:inventory_upload", args=[merchant.pk]),
            {"file": SimpleUploadedFile("stock.csv", content, content_type="text/csv")},
        )


# --- the CSV feed --------------------------------------------------------------------------------

BAD_CSV_LINES = {
    "negative": ("EAST,B,-3,", "Line 3: on_hand -3 is negative."),
    "non-integer": ("EAST,B,2.5,", "Line 3: on_hand '2.5' is not a whole number."),
    "huge": (
        "EAST,B,99999999999999999999,",
        "Line 3: on_hand 99999999999999999999 is too large (at most 1,000,000,000).",
    ),
    "empty SKU": ("EAST,,4,", "Line 3: the SKU is empty."),
    "whitespace SKU": ("EAST,  \t ,4,", "Line 3: the SKU is empty."),
    "duplicate row": ("EAST,A,4,", "Line 3: SKU A in warehouse 'EAST' is already on line 2."),
}


@pytest.mark.parametrize("case", list(BAD_CSV_LINES))
def test_a_bad_csv_line_fails_the_run_naming_line_and_column_and_applies_nothing(
    merchant_client, csv_merchant, run_queued_downloads, django_capture_on_commit_callbacks, case
):
    InventoryLevelFactory(
        product=ProductFactory(merchant=csv_merchant, sku="A"),
        warehouse=Warehouse.objects.get(merchant=csv_merchant, is_default=True),
        quantity_available=1,
        quantity_on_hand=1,
    )
    before = levels(csv_merchant)
    line, error = BAD_CSV_LINES[case]

    upload_csv(
        merchant_client,
        csv_merchant,
        f"{HEADER}EAST,A,4,\n{line}\n".encode(),
        django_capture_on_commit_callbacks,
    )

    run = SyncRun.objects.get(merchant=csv_merchant)
    assert run.state == RunState.FAILED
    assert error in run.message, run.message
    assert levels(csv_merchant) == before
    assert not Product.objects.filter(merchant=csv_merchant).exclude(sku="A").exists()
    assert Alert.objects.filter(merchant=csv_merchant, resolved_at__isnull=True).count() == 1
    page = merchant_client.get(reverse("sync:run", args=[run.pk])).content.decode()
    assert error.split(":")[0] in page


def test_a_10_mb_csv_with_one_bad_line_at_the_end_applies_nothing_and_names_the_line(
    merchant_client, csv_merchant, run_queued_downloads, django_capture_on_commit_callbacks
):
    lines = [
        f"EAST,SKU-{number:07d},{number % 100},Product number {number}\n"
        for number in range(1, 260_001)
    ]
    body = (HEADER + "".join(lines) + "EAST,LAST,-1,\n").encode()
    assert len(body) > 10 * 1024 * 1024
    bad_line = len(lines) + 2

    upload_csv(merchant_client, csv_merchant, body, django_capture_on_commit_callbacks)

    run = SyncRun.objects.get(merchant=csv_merchant)
    assert run.state == RunState.FAILED
    assert f"Line {bad_line}: on_hand -1 is negative." in run.message
    assert levels(csv_merchant) == {}
    assert not Product.objects.filter(merchant=csv_merchant).exists()


def test_unicode_and_right_to_left_text_in_the_csv_is_kept_exactly(
    merchant_client, csv_merchant, run_queued_downloads, django_capture_on_commit_callbacks
):
    body = f'{HEADER}EAST,{RTL_SKU},6,"{RTL_NAME}"\n'.encode()

    upload_csv(merchant_client, csv_merchant, body, django_capture_on_commit_callbacks)

    assert SyncRun.objects.get(merchant=csv_merchant).state == RunState.SUCCEEDED
    assert levels(csv_merchant) == {("EAST", RTL_SKU): 6}
    assert Product.objects.get(merchant=csv_merchant).name == RTL_NAME


# --- the push API --------------------------------------------------------------------------------


@pytest.fixture
def push(merchant, client):
    merchant.inventory_sync_mode = InventorySyncMode.AUTOMATIC
    merchant.save()
    key = api_key_create(merchant=merchant, name="WMS").key
    path = f"/api/v1/merchants/{merchant.pk}/inventory/"

    def send(records=None, *, body: bytes | None = None):
        payload = body if body is not None else _json({"request_id": "r-1", "records": records})
        return client.generic(
            "POST",
            path,
            payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    return send


def _json(value) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("bad", "message_part"),
    [
        ({"quantity_on_hand": -1}, "greater than or equal to 0"),
        ({"quantity_on_hand": 2.5}, "valid integer"),
        ({"quantity_on_hand": "ten"}, "valid integer"),
        ({"quantity_on_hand": 10**12}, "less than or equal to"),
        ({"quantity_on_hand": 2**63}, "less than or equal to"),
        ({"sku": ""}, "blank"),
        ({"sku": " \t "}, "blank"),
    ],
)
def test_a_bad_pushed_record_is_400_naming_field_and_index_and_applies_nothing(
    merchant, push, bad, message_part
):
    records = [{"sku": "OK", "quantity_on_hand": 1}, {"sku": "X", "quantity_on_hand": 1, **bad}]

    response = push(records)

    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["index"] == 1
    assert error["field"] == next(iter(bad))
    assert message_part in error["message"], error
    assert levels(merchant) == {}
    assert not SyncRun.objects.exists()


def test_a_10_mb_push_is_refused_with_413_and_applies_nothing(merchant, push):
    filler = "x" * 200
    records = [{"sku": f"S{number}-{filler}", "quantity_on_hand": 1} for number in range(50_000)]
    body = _json({"request_id": "big", "records": records})
    assert len(body) > 10 * 1024 * 1024

    response = push(body=body)

    assert response.status_code == 413
    assert "limit is" in response.json()["detail"]
    assert levels(merchant) == {}
    assert not SyncRun.objects.exists()


def test_a_pushed_right_to_left_sku_is_kept_exactly(merchant, push):
    response = push([{"sku": RTL_SKU, "quantity_on_hand": 3}])

    assert response.status_code == 202, response.content
    assert levels(merchant) == {("", RTL_SKU): 3}


def test_a_push_with_a_duplicate_row_names_the_second_item_and_applies_nothing(merchant, push):
    response = push([{"sku": "A", "quantity_on_hand": 1}, {"sku": "A", "quantity_on_hand": 2}])

    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1
    assert levels(merchant) == {}


# --- the forms -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("minimum_inventory_level", "-1", "greater than or equal to 0"),
        ("minimum_inventory_level", "1.5", "Enter a whole number."),
        ("minimum_inventory_level", "99999999999999999999", "less than or equal to"),
        ("upload_interval_minutes", "0", "1 to 10080 minutes"),
        ("upload_interval_minutes", "ten", "Enter a whole number."),
        ("name", "   ", "This field is required."),
    ],
)
def test_a_bad_cart_setting_is_refused_naming_the_field_and_nothing_changes(
    merchant, merchant_client, field, value, message
):
    cart = CartFactory(merchant=merchant, connector_key="memory", minimum_inventory_level=2)
    before = Cart.objects.filter(pk=cart.pk).values().get()
    data = form_data(CartSetupForm(instance=cart), **{field: value})

    response = merchant_client.post(reverse("carts:setup", args=[cart.pk]), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors or "__all__" in errors, errors
    assert message in str(errors), errors
    after = Cart.objects.filter(pk=cart.pk).values().get()
    assert after == before
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("inventory_interval_minutes", "0", "1 to 10080 minutes"),
        ("inventory_interval_minutes", "-5", "greater than or equal to 0"),
        ("inventory_interval_minutes", "2.5", "Enter a whole number."),
        ("inventory_interval_minutes", "99999999999999999999", "less than or equal to"),
        ("suspicious_change_percent", "101", "less than or equal to"),
        ("suspicious_change_percent", "fifty", "Enter a whole number."),
        ("inventory_sync_mode", "sometimes", "Select a valid choice."),
        ("name", "   ", "This field is required."),
    ],
)
def test_a_bad_merchant_setting_is_refused_naming_the_field_and_nothing_changes(
    merchant, merchant_client, field, value, message
):
    before = Merchant.objects.filter(pk=merchant.pk).values().get()
    data = form_data(MerchantSetupForm(instance=merchant), **{field: value})

    response = merchant_client.post(reverse("merchants:setup", args=[merchant.pk]), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors or "__all__" in errors, errors
    assert message in str(errors), errors
    assert Merchant.objects.filter(pk=merchant.pk).values().get() == before
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("sku", "message"),
    [("", "This field is required."), ("  \t ", "This field is required."), ("S" * 256, "255")],
)
def test_a_bad_item_filter_sku_is_refused_and_nothing_is_added(
    merchant, merchant_client, sku, message
):
    cart = CartFactory(merchant=merchant)

    response = merchant_client.post(reverse("carts:item_filters", args=[cart.pk]), {"sku": sku})

    assert response.status_code == 400
    assert message in str(response.context["add_form"].errors["sku"])
    assert not ItemFilter.objects.exists()


def test_a_right_to_left_item_filter_sku_is_kept_exactly(merchant, merchant_client):
    cart = CartFactory(merchant=merchant)

    merchant_client.post(reverse("carts:item_filters", args=[cart.pk]), {"sku": RTL_SKU})

    assert list(ItemFilter.objects.values_list("sku", flat=True)) == [RTL_SKU]


@pytest.mark.parametrize("sku", ["", "   ", "S" * 256])
def test_a_bad_product_sku_is_refused_and_no_product_is_created(merchant, merchant_client, sku):
    response = merchant_client.post(
        reverse("warehouses:products", args=[merchant.pk]), {"sku": sku, "name": "x"}
    )

    assert response.status_code == 400
    assert "sku" in response.context["form"].errors
    assert not Product.objects.filter(merchant=merchant).exists()


def test_a_duplicate_product_and_a_duplicate_alias_code_are_refused_naming_both(
    merchant, merchant_client
):
    first = ProductFactory(merchant=merchant, sku="A")
    second = ProductFactory(merchant=merchant, sku="B")
    Alias.objects.create(merchant=merchant, product=first, name="UPC", value="0001")

    duplicate_product = merchant_client.post(
        reverse("warehouses:products", args=[merchant.pk]), {"sku": "A"}
    )
    duplicate_alias = merchant_client.post(
        reverse("warehouses:product", args=[merchant.pk, second.pk]),
        {"name": "UPC", "value": "0001"},
    )

    assert duplicate_product.status_code == 400
    assert Product.objects.filter(merchant=merchant).count() == 2
    assert duplicate_alias.status_code == 400
    alias_errors = str(duplicate_alias.context["alias_form"].errors)
    assert "A" in alias_errors and "B" in alias_errors, alias_errors
    assert Alias.objects.filter(merchant=merchant).count() == 1


def test_an_empty_warehouse_name_is_refused_and_nothing_changes(merchant, merchant_client):
    warehouse = Warehouse.objects.get(merchant=merchant, is_default=True)

    response = merchant_client.post(
        reverse("warehouses:warehouse_edit", args=[merchant.pk, warehouse.pk]),
        {"name": "   ", "is_enabled": "on"},
    )

    # (The form posts from the Locations page and comes back to it with the message.)
    assert response.status_code == 302
    page = merchant_client.get(response.url).content.decode()
    assert "Enter a warehouse name." in page
    warehouse.refresh_from_db()
    assert warehouse.name == "Default"
    assert not AuditEntry.objects.exists()


# --- CSV exports ---------------------------------------------------------------------------------


def test_the_discrepancy_csv_neutralises_formulas_from_the_cart(merchant, merchant_client):
    formula = '=HYPERLINK("http://attacker.example","click")'
    product = ProductFactory(merchant=merchant, sku=formula)
    InventoryLevelFactory(
        product=product,
        warehouse=Warehouse.objects.get(merchant=merchant, is_default=True),
        quantity_on_hand=5,
        quantity_available=5,
    )
    cart = CartFactory(merchant=merchant)
    CartListingFactory(
        cart=cart, sku=formula, title="@SUM(1+1)", cart_quantity=-2, external_item_id="+cmd"
    )

    response = merchant_client.get(reverse("carts:discrepancies_csv", args=[cart.pk]))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["SKU"] == "'" + formula
    assert row["Title"] == "'@SUM(1+1)"
    assert row["Cart item id"] == "'+cmd"
    assert row["Cart quantity"] == "-2"  # a number stays a number
    every_cell = [cell for line in rows[1:] for cell in line]
    assert not [cell for cell in every_cell if cell[:1] in ("=", "+", "@", "\t", "\r")]
