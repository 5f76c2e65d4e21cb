from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sync.models import Heartbeat


class Command(BaseCommand):
    help = "Exit non-zero unless a component's heartbeat (beat, worker:<queue>) is recent."

    def add_arguments(self, parser):
        parser.add_argument("component", help="beat, worker:default, worker:downloads, ...")
        parser.add_argument("--max-age", type=int, default=120, help="seconds")

    def handle(self, *args, component: str, max_age: int, **options):
        beat = Heartbeat.objects.filter(component=component).first()
        if beat is None:
            raise CommandError(f"{component}: no heartbeat recorded yet")
        age = timezone.now() - beat.at
        if age > timedelta(seconds=max_age):
            raise CommandError(f"{component}: last heartbeat {age.total_seconds():.0f} s ago")
        self.stdout.write(f"{component}: alive ({age.total_seconds():.0f} s ago)")
