from django.core.management.base import BaseCommand

from merchants.demo import DEMO_LOGINS, demo_load


class Command(BaseCommand):
    help = "Create the demo logins and load the demo merchant (safe to run again)."

    def handle(self, *args, **options):
        merchant, created = demo_load()
        verb = "Loaded" if created else "Kept"
        self.stdout.write(f"{verb} demo merchant “{merchant.name}”.")
        self.stdout.write(self.style.SUCCESS("Demo logins (http://127.0.0.1:8000/):"))
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username} / {login.password}  — {login.role}")
