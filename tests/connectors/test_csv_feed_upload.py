"""Uploading a stock CSV file on the merchant's page: stored, its header checked at once, and a
download of it queued; the queued task then applies it (or fails listing the bad lines)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sync import tasks
from sync.models import RunState, RunTrigger, SyncRun
from tests.factories import MerchantFactory
from warehouses.models import InventoryLevel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.CSV_UPLOAD_ROOT = tmp_path / "uploads"
    return settings.CSV_UPLOAD_ROOT


@pytest.fixture
def enqueued(monkeypatch):
    """The download tasks the page enqueues, as kwargs, instead of a broker."""
    sent = []
    monkeypatch.setattr(
        tasks.inventory_download_task, "delay", lambda **kwargs: sent.append(kwargs)
    )
    return sent


@pytest.fixture
def csv_merchant(merchant):
    merchant.connector_key = "csv_feed"
    merchant.save()
    return merchant


def _post(client, merchant, content: bytes, name="stock.csv"):
    return client.post(
        reverse("warehouses:inventory_upload", args=[merchant.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_an_uploaded_file_is_stored_queued_and_applied_by_its_download(
    merchant_client, csv_merchant, enqueued, upload_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(merchant_client, csv_merchant, b"warehouse,sku,on_hand\nEAST,A,4\n,B,2\n")

    run = SyncRun.objects.get(merchant=csv_merchant)
    assert response.status_code == 302
    assert response.url == reverse("sync:run", args=[run.pk])
    assert run.state == RunState.QUEUED
    assert run.trigger == RunTrigger.MANUAL
    stored = list((upload_root / str(csv_merchant.pk)).glob("*.csv"))
    assert [path.read_bytes() for path in stored] == [b"warehouse,sku,on_hand\nEAST,A,4\n,B,2\n"]
    assert enqueued == [
        {
            "merchant_id": csv_merchant.pk,
            "trigger": "manual",
            "run_id": run.pk,
            "csv_upload": stored[0].name,
        }
    ]

    tasks.inventory_download_task.apply(kwargs=enqueued[0])

    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED
    assert sorted(
        InventoryLevel.objects.filter(product__merchant=csv_merchant).values_list(
            "warehouse__external_code", "product__sku", "quantity_available"
        )
    ) == [("", "B", 2), ("EAST", "A", 4)]


def test_a_file_with_bad_lines_fails_its_run_with_the_line_numbers_shown(
    merchant_client, csv_merchant, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(merchant_client, csv_merchant, b"sku,on_hand\nA,1\nB,-2\n,3\n")
    tasks.inventory_download_task.apply(kwargs=enqueued[0])

    run = SyncRun.objects.get(merchant=csv_merchant)
    page = merchant_client.get(reverse("sync:run", args=[run.pk])).content.decode()
    assert run.state == RunState.FAILED
    assert "Line 3: on_hand -2 is negative.<br>Line 4: the SKU is empty." in page
    assert not InventoryLevel.objects.filter(product__merchant=csv_merchant).exists()


def test_a_bad_header_is_refused_at_once_and_nothing_is_queued(
    merchant_client, csv_merchant, enqueued, upload_root
):
    response = _post(merchant_client, csv_merchant, b"sku,qty\nA,1\n")

    assert response.status_code == 400
    assert "the column &#x27;qty&#x27; is unknown" in response.content.decode()
    assert not SyncRun.objects.exists()
    assert enqueued == []
    assert list((upload_root / str(csv_merchant.pk)).glob("*.csv")) == []


def test_a_merchant_not_on_the_csv_feed_cannot_upload(merchant_client, merchant, enqueued):
    merchant.connector_key = "memory"
    merchant.save()

    response = _post(merchant_client, merchant, b"sku,on_hand\nA,1\n")

    assert response.status_code == 400
    assert "Choose the CSV feed in Edit Setup" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_another_merchants_upload_page_is_not_found(merchant_client, enqueued):
    other = MerchantFactory(connector_key="csv_feed")

    assert _post(merchant_client, other, b"sku,on_hand\nA,1\n").status_code == 404
    page = merchant_client.get(reverse("warehouses:inventory_upload", args=[other.pk]))
    assert page.status_code == 404
    assert not SyncRun.objects.exists()


def test_the_upload_page_documents_the_columns(merchant_client, csv_merchant):
    page = merchant_client.get(reverse("warehouses:inventory_upload", args=[csv_merchant.pk]))

    assert page.status_code == 200
    for column in ("sku", "on_hand", "warehouse", "available", "allocated", "alias:&lt;NAME&gt;"):
        assert f"<code>{column}</code>" in page.content.decode()
