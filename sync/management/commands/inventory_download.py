"""Run one merchant's inventory download by hand and print the outcome."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integration_manager.connector_errors import TransientError
from merchants.models import Merchant
from sync.models import RunKind, RunState, RunTrigger, SyncRun
from sync.services.download import inventory_download


class Command(BaseCommand):
    help = (
        "Download a merchant's inventory from its warehouse system now (as the scheduler would), "
        "then print the run's outcome. Exits with an error when the run failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("merchant", help="The merchant's id, or its name.")
        parser.add_argument(
            "--accept-suspicious",
            action="store_true",
            help="Apply the download even if it looks suspicious (accepts a held download).",
        )

    def handle(self, *args, merchant: str, accept_suspicious: bool, **options) -> None:
        target = self._merchant(merchant)
        try:
            run = inventory_download(
                merchant=target, trigger=RunTrigger.MANUAL, accept_suspicious=accept_suspicious
            )
        except TransientError:
            run = (
                SyncRun.objects.filter(merchant=target, kind=RunKind.DOWNLOAD)
                .order_by("-created_at", "-id")
                .first()
            )
            self._print(run)
            raise CommandError("Temporary error: run the command again later.") from None
        self._print(run)
        if run.state == RunState.FAILED:
            raise CommandError(run.message)
        if run.state == RunState.HELD:
            self.stdout.write(
                "  Held: nothing was applied. If the download is right, run the command again "
                "with --accept-suspicious."
            )

    def _merchant(self, reference: str) -> Merchant:
        merchants = Merchant.objects.all()
        found = (
            merchants.filter(pk=int(reference)).first()
            if reference.isdigit()
            else merchants.filter(name=reference).first()
        )
        if found is None:
            raise CommandError(f"No merchant {reference!r}.")
        return found

    def _print(self, run: SyncRun | None) -> None:
        if run is None:
            return
        write = self.stdout.write
        write(f"Download run #{run.pk} of merchant {run.merchant}: {run.state}")
        if run.message:
            write(f"  {run.message}")
        write(f"  read={run.records_read} changed={run.records_changed}")
        if run.log:
            write("  log:")
            for line in run.log.rstrip().splitlines():
                write(f"    {line}")
