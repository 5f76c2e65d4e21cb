"""The OpenAPI document, its Swagger UI (assets served by us), and schemathesis against it:
generated requests to every operation, over the WSGI app, must never get a server error or a
response that breaks the document."""

import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from carts.models import UploadMode
from integration_manager.wsgi import application
from merchants.models import InventorySyncMode
from merchants.services import api_key_create
from tests.factories import (
    AliasFactory,
    CartFactory,
    CartListingFactory,
    InventoryLevelFactory,
    MerchantFactory,
    ProductFactory,
    SyncRunFactory,
    WarehouseFactory,
)

# Generating hundreds of requests takes minutes: the whole suite skips it, and .ci/run runs it
# once, in its own step, with SCHEMATHESIS_EXAMPLES set.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "0"))


def test_openapi_document_is_served_and_names_every_endpoint(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/merchants/{merchant_pk}/inventory/",
        "/api/v1/merchants/{merchant_pk}/downloads/",
        "/api/v1/carts/{cart_pk}/uploads/",
        "/api/v1/products/",
        "/api/v1/levels/",
        "/api/v1/aliases/",
        "/api/v1/warehouses/{id}/",
        "/api/v1/carts/{id}/",
        "/api/v1/listings/",
        "/api/v1/runs/{id}/",
    ):
        assert path in paths, path
    assert set(response.json()["components"]["securitySchemes"]) == {"apiKey", "cookieAuth"}


def test_swagger_ui_loads_its_assets_from_us_not_a_cdn(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in source for source in sources)
    assert all(source.startswith("/") for source in sources), sources


# Loaded once, at collection: the document needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Like Django's test client: the WSGI handler must not close the test's database connection
    (it holds the test's transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db, wsgi_keeps_the_test_connection) -> str:
    """A merchant on Automatic with warehouses, products, aliases, levels, carts, listings and
    runs, and its API key."""
    merchant = MerchantFactory(inventory_sync_mode=InventorySyncMode.AUTOMATIC)
    warehouse = WarehouseFactory(merchant=merchant, external_code="EAST")
    for number in range(3):
        product = ProductFactory(merchant=merchant, sku=f"SKU-{number}")
        AliasFactory(product=product)
        InventoryLevelFactory(product=product, warehouse=warehouse)
        cart = CartFactory(merchant=merchant, upload_mode=UploadMode.AUTOMATIC)
        CartListingFactory(cart=cart, product=product, sku=product.sku)
        SyncRunFactory(merchant=merchant)
    return api_key_create(merchant=merchant, name="schemathesis").key


@pytest.mark.skipif(not EXAMPLES, reason="set SCHEMATHESIS_EXAMPLES (the CI step does)")
@schema.parametrize()
@settings(max_examples=max(EXAMPLES, 1), deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, api_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
