import os

from django.core.management.base import BaseCommand

from merchants.demo import DEMO_LOGINS, demo_load


class Command(BaseCommand):
    help = "Create the demo logins and load the demo merchant (safe to run again)."

    def handle(self, *args, **options):
        merchant, created = demo_load()
        verb = "Loaded" if created else "Kept"
        self.stdout.write(f"{verb} demo merchant “{merchant.name}”.")
        port = os.environ.get("WEB_PORT", "8000")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (http://127.0.0.1:{port}/):"))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username} / {login.password}  — {login.role}")
