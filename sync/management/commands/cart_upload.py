"""Run one cart's inventory upload by hand and print the outcome."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carts.models import Cart
from integration_manager.connector_errors import TransientError
from sync.models import RunState, RunTrigger, SyncRun
from sync.services.upload import cart_inventory_upload


class Command(BaseCommand):
    help = (
        "Upload a cart's quantities now (as the scheduler would), then print the run's outcome. "
        "Exits with an error when the run failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cart", help="The cart's id, or its name when the name is unique.")
        parser.add_argument(
            "--reconcile",
            action="store_true",
            help="Read the whole cart back first, and correct quantities edited in the cart.",
        )

    def handle(self, *args, cart: str, reconcile: bool, **options) -> None:
        target = self._cart(cart)
        try:
            run = cart_inventory_upload(cart=target, trigger=RunTrigger.MANUAL, reconcile=reconcile)
        except TransientError:
            run = SyncRun.objects.filter(cart=target).order_by("-created_at", "-id").first()
            self._print(run)
            raise CommandError("Temporary error: run the command again later.") from None
        self._print(run)
        if run.state == RunState.FAILED:
            raise CommandError(run.message)

    def _cart(self, reference: str) -> Cart:
        carts = Cart.objects.select_related("merchant")
        if reference.isdigit():
            found = carts.filter(pk=int(reference)).first()
        else:
            matches = list(carts.filter(name=reference)[:2])
            if len(matches) > 1:
                raise CommandError(f"Several carts are called {reference!r}: give the id.")
            found = matches[0] if matches else None
        if found is None:
            raise CommandError(f"No cart {reference!r}.")
        return found

    def _print(self, run: SyncRun | None) -> None:
        if run is None:
            return
        write = self.stdout.write
        state = run.get_state_display()
        write(f"Upload run #{run.pk} of cart {run.cart} ({run.cart.merchant}): {state}")
        write(f"  {run.message}")
        write(
            f"  read={run.records_read} changed={run.records_changed} sent={run.items_sent} "
            f"skipped={run.items_skipped} failed={run.items_failed}"
        )
        if run.log:
            write("  log:")
            for line in run.log.rstrip().splitlines():
                write(f"    {line}")
