"""Sync runs (one row per download or upload), alerts, the scheduler's heartbeats, and the
idempotency keys of cart writes in flight."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from carts.models import Cart
from integration_manager.models import tenant_manager
from merchants.models import Merchant


class RunKind(models.TextChoices):
    DOWNLOAD = "download", "Inventory download"
    UPLOAD = "upload", "Cart upload"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    AUTOMATIC = "automatic", "Automatic (new warehouse data)"
    MANUAL = "manual", "By hand"
    PUSH = "push", "Pushed by the warehouse system"


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    HELD = "held", "Held for review"

    @property
    def badge(self) -> str:
        return _RUN_BADGES[self]

    @property
    def is_finished(self) -> bool:
        return self not in (RunState.QUEUED, RunState.RUNNING)


_RUN_BADGES = {
    RunState.QUEUED: "grey",
    RunState.RUNNING: "blue",
    RunState.SUCCEEDED: "green",
    RunState.PARTIAL: "amber",
    RunState.FAILED: "red",
    RunState.SKIPPED: "grey",
    RunState.HELD: "amber",
}


def _count(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}), name=f"syncrun_{field}_not_negative"
    )


class SyncRun(models.Model):
    """One execution of a merchant's inventory download or of a cart's upload.

    The database allows one running download per merchant and one running upload per cart
    (partial unique indexes): starting a run is an atomic claim, and the loser is recorded as
    skipped.
    """

    kind = models.CharField(max_length=16, choices=RunKind.choices)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="sync_runs")
    cart = models.ForeignKey(
        Cart, on_delete=models.CASCADE, null=True, blank=True, related_name="sync_runs"
    )
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records_read = models.PositiveIntegerField("Read", default=0)
    records_changed = models.PositiveIntegerField("Changed", default=0)
    items_sent = models.PositiveIntegerField("Sent", default=0)
    items_skipped = models.PositiveIntegerField("Skipped", default=0)
    items_failed = models.PositiveIntegerField("Failed", default=0)
    message = models.TextField(blank=True, default="")
    log = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=255, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=RunKind.DOWNLOAD, cart__isnull=True)
                | Q(kind=RunKind.UPLOAD, cart__isnull=False),
                name="syncrun_cart_only_for_uploads",
            ),
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(kind=RunKind.DOWNLOAD, state=RunState.RUNNING),
                name="syncrun_one_running_download_per_merchant",
            ),
            models.UniqueConstraint(
                fields=["cart"],
                condition=Q(kind=RunKind.UPLOAD, state=RunState.RUNNING),
                name="syncrun_one_running_upload_per_cart",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(finished_at__gte=F("started_at")),
                name="syncrun_finishes_after_start",
            ),
            _count("records_read"),
            _count("records_changed"),
            _count("items_sent"),
            _count("items_skipped"),
            _count("items_failed"),
        ]
        indexes = [
            models.Index(fields=["merchant", "kind", "-created_at"], name="syncrun_merchant_kind"),
            models.Index(fields=["cart", "-created_at"], name="syncrun_cart"),
            models.Index(fields=["state"], name="syncrun_state"),
        ]

    def __str__(self) -> str:
        target = self.cart or self.merchant
        return f"{self.get_kind_display()} #{self.pk} of {target}"

    @property
    def state_badge(self) -> str:
        return RunState(self.state).badge


class AlertSeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"

    @property
    def badge(self) -> str:
        return "amber" if self is AlertSeverity.WARNING else "red"


class Alert(models.Model):
    """A problem that needs a person. Open until it resolves itself or is dismissed.

    `key` identifies the problem (for example `download`, `cart:3:connection`,
    `listing:812:failing`) so a problem that recurs updates its open alert instead of adding one;
    the database allows one open alert per merchant and key.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="alerts")
    cart = models.ForeignKey(
        Cart, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    key = models.CharField(max_length=200)
    severity = models.CharField(
        max_length=16, choices=AlertSeverity.choices, default=AlertSeverity.ERROR
    )
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True, default="")
    run = models.ForeignKey(
        SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "key"],
                condition=Q(resolved_at__isnull=True, dismissed_at__isnull=True),
                name="alert_one_open_per_key",
            ),
            models.CheckConstraint(condition=Q(occurrences__gte=1), name="alert_occurrences_min"),
        ]
        indexes = [models.Index(fields=["merchant", "-last_seen_at"], name="alert_merchant")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.dismissed_at is None

    @property
    def severity_badge(self) -> str:
        return AlertSeverity(self.severity).badge


class Heartbeat(models.Model):
    """When a part of the scheduler last showed life: `beat`, or `worker:<queue>`."""

    component = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component} at {self.at:%Y-%m-%d %H:%M:%S}"


class InventoryPush(models.Model):
    """An inventory batch pushed to the REST API (a merchant on Automatic), by the client's
    request id: the same request id sent again answers with the same run instead of applying
    the batch a second time. The row is taken before the batch is applied; a push that applied
    nothing (its run failed or was skipped) gives its request id back."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="pushes")
    request_id = models.CharField("Client request id", max_length=255)
    run = models.OneToOneField(SyncRun, on_delete=models.CASCADE, related_name="push")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = tenant_manager("merchant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "request_id"], name="inventorypush_request_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(request_id=""), name="inventorypush_request_id_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"Push {self.request_id!r} of merchant {self.merchant_id}"


class AuditEntry(models.Model):
    """Who changed which setting of a merchant (or of one of its carts) and when, from what to
    what. A secret's value is never recorded: its entry says only that it changed."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="audit_entries")
    cart = models.ForeignKey(
        Cart, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    at = models.DateTimeField("When", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Who",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept when the user is deleted; "API key …" or "System" when no person made the change.
    actor_label = models.CharField("Who", max_length=200)
    setting = models.CharField(max_length=200)
    old_value = models.TextField("Old value", blank=True, default="")
    new_value = models.TextField("New value", blank=True, default="")
    is_secret = models.BooleanField(default=False)

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(is_secret=False) | Q(old_value="", new_value=""),
                name="auditentry_secret_values_never_stored",
            ),
            models.CheckConstraint(condition=~Q(setting=""), name="auditentry_setting_not_empty"),
        ]
        indexes = [models.Index(fields=["merchant", "cart", "-at"], name="auditentry_target")]

    def __str__(self) -> str:
        return f"{self.actor_label} changed {self.setting} at {self.at:%Y-%m-%d %H:%M:%S}"


class UploadWriteIntent(models.Model):
    """The idempotency key of a batch of quantities about to be written to a cart, stored (and
    committed) before the call and reused by every retry of the same batch, in this process or
    in another one (a Celery retry), so that a write the cart applied but never answered is
    applied once. Only for connectors that take keys (Shopify 2026-01 and later). The row goes
    when the cart gives a definitive answer; rows left by a batch never retried are purged by
    the reaper after `RETENTION`."""

    RETENTION = timedelta(hours=24)

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="write_intents")
    # The connector's fingerprint of the request it sends (items, quantities, expected ones).
    fingerprint = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=64)
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = tenant_manager("cart__merchant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "fingerprint"], name="uploadwriteintent_one_per_batch"
            ),
        ]

    def __str__(self) -> str:
        return f"Write intent {self.idempotency_key} of cart {self.cart_id}"
