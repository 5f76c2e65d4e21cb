"""Security, shown: login throttling (django-axes), Content-Security-Policy and the other security
headers on a page, and secrets encrypted at rest and absent from every page, API answer, run,
alert and log line (a known secret is set and searched for). `manage.py check --deploy` with
production settings is `tests/test_settings.py::test_production_settings_pass_the_deploy_checks`.
"""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from merchants.services import api_key_create, connection_secrets_update, merchant_settings_update
from sync.models import Alert, AuditEntry, RunTrigger, SyncRun
from sync.services.upload import cart_inventory_upload
from tests.connectors.cart_setup import FAST_RETRIES
from tests.emulators.server import EmulatorServer
from tests.emulators.shopify import ShopifyEmulator
from tests.factories import CartFactory, UserFactory

PASSWORD = "correct horse battery staple 42"
CART_SECRET = "shpat_SECRET-cart-7f3a9c1e5b"
WMS_SECRET = "wms-SECRET-client-2d8e4b6a0c"


# --- login throttling ----------------------------------------------------------------------------


def login(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_failed_logins_lock_the_username_from_that_address_even_with_the_right_password(
    db, client, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    UserFactory(username="alice", password=PASSWORD)
    UserFactory(username="bob", password=PASSWORD)

    answers = [login(client, "alice", f"guess-{number}").status_code for number in range(5)]
    locked = login(client, "alice", PASSWORD)

    assert answers == [200] * 4 + [429]  # the form again, then locked on the fifth failure
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address, and alice from another address, are not locked.
    assert login(client, "bob", PASSWORD).status_code == 302
    client.logout()
    assert login(client, "alice", PASSWORD, address="198.51.100.9").status_code == 302


def test_a_successful_login_resets_the_count_of_failures(db, client):
    UserFactory(username="carol", password=PASSWORD)
    for number in range(4):
        login(client, "carol", f"guess-{number}")

    assert login(client, "carol", PASSWORD).status_code == 302
    client.logout()
    answers = [login(client, "carol", f"again-{number}").status_code for number in range(4)]

    assert answers == [200] * 4


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_address_per_guess(db, client):
    UserFactory(username="dave", password=PASSWORD)
    for number in range(5):
        client.post(
            reverse("login"),
            {"username": "dave", "password": f"guess-{number}"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}",
        )

    assert login(client, "dave", PASSWORD).status_code == 429


# --- headers -------------------------------------------------------------------------------------


def test_a_page_carries_the_content_security_policy_and_the_security_headers(
    merchant, merchant_client
):
    response = merchant_client.get(reverse("merchants:detail", args=[merchant.pk]))

    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    # No page script runs inline: every <script> has a src (the policy would block it).
    page = response.content.decode()
    assert page.count("<script") == page.count("<script src=")


def test_the_api_docs_page_needs_no_inline_script(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# --- secrets -------------------------------------------------------------------------------------


@pytest.fixture
def shop():
    app = ShopifyEmulator()
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def test_secrets_are_encrypted_at_rest_and_absent_from_pages_api_runs_alerts_and_logs(
    merchant, merchant_user, client, shop, caplog
):
    # Given a merchant and a cart with known secrets, the cart's secret rejected by the shop,
    merchant_settings_update(
        merchant=merchant, connector_key="memory", secrets={"token": WMS_SECRET}
    )
    cart = CartFactory(
        merchant=merchant,
        connector_key="shopify",
        connection_parameters={
            "base_url": shop.url,
            "location_id": shop.default_location,
            **FAST_RETRIES,
        },
    )
    connection_secrets_update(connection=cart, secrets={"access_token": CART_SECRET})
    shop.add_variant("A", 1)
    key = api_key_create(merchant=merchant, name="script").key
    client.force_login(merchant_user)
    caplog.set_level(logging.DEBUG)

    # when a failing connector call is made and every page and API answer is read,
    test_connection = client.post(reverse("carts:test_connection", args=[cart.pk]))
    upload = client.post(reverse("carts:upload_now", args=[cart.pk]))

    run = cart_inventory_upload(cart=cart, trigger=RunTrigger.MANUAL)
    bodies = [test_connection.content, upload.content]
    for name, args in [
        ("merchants:detail", [merchant.pk]),
        ("merchants:setup", [merchant.pk]),
        ("carts:detail", [cart.pk]),
        ("carts:setup", [cart.pk]),
        ("carts:product_sync", [cart.pk]),
        ("sync:run", [run.pk]),
        ("sync:alerts", []),
        ("sync:runs", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        bodies.append(response.content)
    for path in [
        f"/api/v1/merchants/{merchant.pk}/",
        f"/api/v1/carts/{cart.pk}/",
        "/api/v1/carts/",
        "/api/v1/merchants/",
        f"/api/v1/runs/{run.pk}/",
    ]:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 200, path
        bodies.append(response.content)

    # then the run failed on the shop's refusal,
    assert run.state == "failed"
    assert "Invalid API key or access token" in run.message
    # and no secret is in any page, API answer, run, alert, audit entry or log line,
    for secret in (CART_SECRET, WMS_SECRET):
        assert not [body for body in bodies if secret.encode() in body]
        assert secret not in caplog.text
        for run_message, run_log in SyncRun.objects.values_list("message", "log"):
            assert secret not in run_message and secret not in run_log
        for title, message in Alert.objects.values_list("title", "message"):
            assert secret not in title and secret not in message
        assert not AuditEntry.objects.filter(new_value__contains=secret).exists()
        # nor in the database in clear (encrypted at rest).
        with connection.cursor() as cursor:
            for table in ("merchants_merchant", "carts_cart"):
                cursor.execute(f"SELECT secrets_ciphertext FROM {table}")  # noqa: S608
                stored = " ".join(str(value) for (value,) in cursor.fetchall())
                assert secret not in stored
                assert stored.strip()
    assert "Shopify" in caplog.text  # the failing call was logged, without the secret
