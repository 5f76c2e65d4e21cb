"""A real Vendure server for the tests of this folder, when one is running (started by
`python scripts/vendure/vendure.py start`, or named by `$VENDURE_URL`); otherwise every test here
is skipped saying why. The Celery processes are those of the end-to-end tests."""

import shutil
import uuid

import pytest

from scripts.vendure.vendure import answers
from tests.e2e.conftest import celery_stack, pytest_runtest_makereport  # noqa: F401
from tests.vendure.vendure_api import VendureAdmin, vendure_url

START_HINT = (
    "python scripts/vendure/vendure.py install && python scripts/vendure/vendure.py start "
    "(or set VENDURE_URL)"
)


@pytest.fixture(scope="session")
def vendure_server_url() -> str:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: no real Vendure server can run here")
    url = vendure_url()
    if url is None or not answers(url):
        pytest.skip(f"Vendure is not started (run: {START_HINT})")
    return url


@pytest.fixture
def vendure_admin(vendure_server_url) -> VendureAdmin:
    return VendureAdmin(vendure_server_url)


@pytest.fixture
def sku_prefix() -> str:
    """A prefix that keeps this test's SKUs apart from earlier runs on the same server (Vendure
    accepts duplicated SKUs, so a second run must not find the first run's)."""
    return f"V{uuid.uuid4().hex[:6].upper()}"
