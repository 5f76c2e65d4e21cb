"""Connection secrets are encrypted at rest and never shown back."""

import logging

import pytest
from django.db import connection

from merchants.services import connection_secrets_update
from tests.factories import CartFactory

pytestmark = pytest.mark.django_db

SECRET = "shpat_0123456789abcdef-very-secret"


def stored_column(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secrets_ciphertext FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_stored_secret_is_not_the_plain_text(merchant):
    merchant.set_secrets({"client_secret": SECRET})
    merchant.save()

    stored = stored_column("merchants_merchant", merchant.pk)
    assert stored
    assert SECRET not in stored
    merchant.refresh_from_db()
    assert merchant.get_secrets() == {"client_secret": SECRET}


def test_cart_secret_is_encrypted_and_blank_keeps_the_stored_value(merchant):
    cart = CartFactory(merchant=merchant)
    connection_secrets_update(connection=cart, secrets={"access_token": SECRET})

    connection_secrets_update(connection=cart, secrets={"access_token": ""})

    cart.refresh_from_db()
    assert SECRET not in stored_column("carts_cart", cart.pk)
    assert cart.get_secrets() == {"access_token": SECRET}


def test_two_encryptions_of_one_secret_differ(merchant):
    merchant.set_secrets({"client_secret": SECRET})
    first = merchant.secrets_ciphertext
    merchant.set_secrets({"client_secret": SECRET})

    assert first != merchant.secrets_ciphertext


def test_repr_and_logs_do_not_carry_the_secret(merchant, caplog):
    merchant.set_secrets({"client_secret": SECRET})
    merchant.save()
    caplog.set_level(logging.DEBUG)

    logging.getLogger("test").info("merchant %r saved", merchant)

    assert SECRET not in repr(merchant)
    assert SECRET not in caplog.text


def test_admin_form_never_renders_the_secret(client, superuser, merchant):
    merchant.set_secrets({"client_secret": SECRET})
    merchant.save()
    client.force_login(superuser)

    page = client.get(f"/admin/merchants/merchant/{merchant.pk}/change/")

    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert merchant.secrets_ciphertext not in page.content.decode()
