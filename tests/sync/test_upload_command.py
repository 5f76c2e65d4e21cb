"""`manage.py cart_upload`: run an upload by hand and print the outcome."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from carts.connectors.memory import memory_cart_store_reset
from sync.models import RunState, RunTrigger, SyncRun
from tests.sync.upload_fixtures import make_upload_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    yield make_upload_setup()
    memory_cart_store_reset()


def test_cart_upload_command_runs_the_upload_and_prints_its_counts(setup):
    setup.product("SKU-A", 4)
    setup.item("item-a", "SKU-A", quantity=1)
    output = StringIO()

    call_command("cart_upload", str(setup.cart.pk), stdout=output)

    run = SyncRun.objects.get(cart=setup.cart)
    assert run.trigger == RunTrigger.MANUAL
    assert run.state == RunState.SUCCEEDED
    assert setup.store.quantity_of("item-a") == 4
    text = output.getvalue()
    assert ": Succeeded" in text
    assert f"Upload run #{run.pk} of cart {setup.cart}" in text
    assert "read=1 changed=1 sent=1 skipped=0 failed=0" in text


def test_cart_upload_command_reconcile_re_reads_the_cart(setup):
    setup.product("SKU-A", 4)
    setup.item("item-a", "SKU-A", quantity=1)
    call_command("cart_upload", setup.cart.name, stdout=StringIO())
    setup.store.edit_quantity("item-a", 0)

    call_command("cart_upload", str(setup.cart.pk), "--reconcile", stdout=StringIO())

    assert setup.store.list_calls == 2
    assert setup.store.quantity_of("item-a") == 4


def test_cart_upload_command_exits_with_an_error_when_the_run_fails(setup):
    setup.store.fail_calls("list", kind="permanent", message="store closed")
    output = StringIO()

    with pytest.raises(CommandError, match="store closed"):
        call_command("cart_upload", str(setup.cart.pk), stdout=output)

    assert ": Failed" in output.getvalue()


def test_cart_upload_command_reports_a_temporary_error(setup):
    setup.store.fail_calls("list", kind="transient", message="HTTP 429")
    output = StringIO()

    with pytest.raises(CommandError, match="Temporary error"):
        call_command("cart_upload", str(setup.cart.pk), stdout=output)

    assert "will be retried" in output.getvalue()


def test_cart_upload_command_refuses_an_unknown_cart():
    with pytest.raises(CommandError, match="No cart"):
        call_command("cart_upload", "999999", stdout=StringIO())
