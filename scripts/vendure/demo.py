"""`make demo-vendure`: the demo with a real Vendure cart.

Installs and starts Vendure 3.7.3 (scripts/vendure/vendure.py; kept running between demos, its
data in the cache folder), seeds Vendure once (the emulator's first 30 demo SKUs, a
gift card Vendure does not track, a sample the warehouse does not know) and an API key, loads the
usual demo plus the merchant *Vendure Demo Shop*, which downloads every minute from the Extensiv
3PL emulator of the Procfile (its demo catalogue has these SKUs, and its stock moves), with its
cart on Vendure (Automatic); then runs the Procfile (web, worker, beat, emulators) in the
foreground like `make run`. Ctrl-C stops them; `python scripts/vendure/vendure.py stop` stops
Vendure.

Environment: `VENDURE_PORT` (3000), `DEMO_3PL_PORT` (8021, as the Procfile), `WEB_PORT` (8000),
`VENDURE_DIR`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.vendure import vendure as server  # noqa: E402

MERCHANT_NAME = "Vendure Demo Shop"
DEMO_PRODUCTS = 30


def _demo_skus() -> list[str]:
    """The first SKUs of the 3PL emulator's demo catalogue (it is deterministic)."""
    from tests.emulators.extensiv_3pl import demo_app

    items = sorted(demo_app().state.items.values(), key=lambda item: item.item_id)
    return [item.sku for item in items[:DEMO_PRODUCTS]]


def _seed(url: str, folder: Path) -> str:
    """Seed Vendure once (remembered in `<dir>/demo.json`); returns the sync's API key."""
    from tests.vendure.vendure_api import VendureAdmin

    skus = _demo_skus()
    state_path = folder / "demo.json"
    if state_path.exists():
        state = json.loads(state_path.read_text())
        if state.get("url") == url and state.get("skus") == skus:
            return state["api_key"]
    admin = VendureAdmin(url)
    print(f"demo: seeding Vendure with {len(skus) + 2} products", flush=True)
    for sku in skus:
        product = admin.create_product(f"Demo {sku}", f"demo-{sku.lower()}")
        admin.create_variant(product, sku)
    gift = admin.create_product("Gift card", "gift-card")
    admin.create_variant(gift, "GIFT-CARD", track_inventory="FALSE")
    sample = admin.create_product("Sample not in the warehouse", "sample-not-in-wms")
    admin.create_variant(sample, "NOT-IN-WMS-1", stock={"1": 3})
    api_key = admin.create_api_key("inventory-sync-demo")
    state_path.write_text(json.dumps({"url": url, "api_key": api_key, "skus": skus}) + "\n")
    return api_key


def _load_merchant(*, vendure_url: str, api_key: str, emulator_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from carts.models import Cart, UploadMode
    from merchants.demo import DEMO_LOGINS
    from merchants.models import InventorySyncMode, Merchant, User
    from merchants.services import connection_secrets_update, membership_grant, merchant_create
    from tests.emulators.extensiv_3pl import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USER_LOGIN_ID

    call_command("migrate", "--noinput", verbosity=0)
    call_command("demo_setup")
    merchant = Merchant.objects.filter(name=MERCHANT_NAME).first()
    if merchant is None:
        merchant = merchant_create(
            name=MERCHANT_NAME,
            connector_key="extensiv_3pl",
            connection_parameters={"base_url": emulator_url, "user_login_id": DEMO_USER_LOGIN_ID},
            inventory_sync_mode=InventorySyncMode.SCHEDULED,
            inventory_interval_minutes=1,
        )
        connection_secrets_update(
            connection=merchant,
            secrets={"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
        )
        membership_grant(user=User.objects.get(username=DEMO_LOGINS[1].username), merchant=merchant)
    else:
        # The emulator's port may differ from the last demo's.
        merchant.connection_parameters = {
            **merchant.connection_parameters,
            "base_url": emulator_url,
        }
        merchant.save(update_fields=["connection_parameters"])
    cart = Cart.objects.filter(merchant=merchant, connector_key="vendure").first()
    if cart is None:
        cart = Cart.objects.create(
            merchant=merchant,
            name="Vendure shop",
            connector_key="vendure",
            upload_mode=UploadMode.AUTOMATIC,
        )
    cart.connection_parameters = {"base_url": vendure_url, "stock_location": ""}
    cart.save(update_fields=["connection_parameters"])
    connection_secrets_update(connection=cart, secrets={"api_key": api_key})
    print(f"demo: merchant “{MERCHANT_NAME}” syncs the 3PL emulator into {vendure_url}")


def main() -> int:
    folder = server.vendure_dir()
    vendure_port = int(os.environ.get("VENDURE_PORT", server.DEFAULT_PORT))
    emulator_port = int(os.environ.get("DEMO_3PL_PORT", "8021"))
    server.install(folder)
    vendure_url = server.status(folder)
    if vendure_url is None:
        server.start(folder, port=vendure_port, is_fresh=False)
        vendure_url = server.status(folder)
    assert vendure_url
    api_key = _seed(vendure_url, folder)
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    _load_merchant(vendure_url=vendure_url, api_key=api_key, emulator_url=emulator_url)

    python = sys.executable
    bin_dir = str(Path(python).parent)
    try:
        return subprocess.call(  # noqa: S603
            [str(Path(bin_dir) / "honcho"), "start", "--procfile", "Procfile"],
            cwd=ROOT,
            env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        )
    except KeyboardInterrupt:
        return 0
    finally:
        print(
            f"demo: Vendure keeps running at {vendure_url}; stop it with "
            "`python scripts/vendure/vendure.py stop`."
        )


if __name__ == "__main__":
    sys.exit(main())
