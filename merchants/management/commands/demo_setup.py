import os

from django.core.management.base import BaseCommand

from merchants.demo import DEMO_LOGINS, demo_load, demo_port


class Command(BaseCommand):
    help = "Create the demo logins, the demo merchant and its carts (safe to run again)."

    def handle(self, *args, **options):
        merchant, created = demo_load()
        verb = "Created" if created else "Kept"
        self.stdout.write(
            f"{verb} demo merchant “{merchant.name}”: it reads the Extensiv 3PL emulator on port "
            f"{demo_port('3PL')} every minute (its stock changes every minute) and uploads to the "
            f"Shopify ({demo_port('SHOPIFY')}) and WooCommerce ({demo_port('WOOCOMMERCE')}) "
            "emulators. Levels arrive within a minute of the start."
        )
        port = os.environ.get("WEB_PORT", "8000")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (http://127.0.0.1:{port}/):"))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username} / {login.password}  — {login.role}")
