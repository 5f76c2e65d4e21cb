"""Merchants (the tenants), their users and the users' memberships."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from integration_manager.models import Connection, TimeStampedModel, tenant_manager


class User(AbstractUser):
    """A person who logs in.

    Merchant users see only the merchants they are a member of. Support agents see every merchant.
    Superusers additionally get the Django admin.
    """

    is_support_agent = models.BooleanField(
        "Support agent",
        default=False,
        help_text="Support agents see and work on every merchant.",
    )

    @property
    def role_label(self) -> str:
        if self.is_superuser:
            return "Administrator"
        if self.is_support_agent:
            return "Support agent"
        return "Merchant user"


class InventorySyncMode(models.TextChoices):
    OFF = "off", "Off"
    SCHEDULED = "scheduled", "Scheduled"
    AUTOMATIC = "automatic", "Automatic"


class Merchant(TimeStampedModel, Connection):
    """A tenant, with one connection to its warehouse system (WMS/OMS).

    The Default warehouse is created with the merchant by `merchants.services.merchant_create`;
    the database refuses to delete it while the merchant exists.
    """

    name = models.CharField(max_length=200, unique=True)
    inventory_sync_mode = models.CharField(
        "Synchronization With WMS – Inventory",
        max_length=16,
        choices=InventorySyncMode.choices,
        default=InventorySyncMode.OFF,
        help_text="Off: never download. Scheduled: download every N minutes. Automatic: the "
        "warehouse system pushes inventory to our API and we never poll.",
    )
    inventory_interval_minutes = models.PositiveIntegerField("Download every (minutes)", default=15)
    suspicious_change_percent = models.PositiveSmallIntegerField(
        "Hold a download when more than this % of products vanish or drop to 0",
        default=50,
        validators=[MaxValueValidator(100)],
    )
    next_download_at = models.DateTimeField(null=True, blank=True, editable=False)
    scheduling_paused_reason = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text="Set when a configuration error stops scheduling; cleared by Edit Setup.",
    )

    objects = tenant_manager("")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    inventory_interval_minutes__gte=1, inventory_interval_minutes__lte=10080
                ),
                name="merchant_inventory_interval_range",
                violation_error_message="The download interval must be 1 to 10080 minutes.",
            ),
            models.CheckConstraint(
                condition=Q(suspicious_change_percent__lte=100),
                name="merchant_suspicious_change_percent_range",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="merchant_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Merchant {self.pk} {self.name!r} connector={self.connector_key!r}>"


class Membership(models.Model):
    """A merchant user's access to one merchant."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.merchant}"


class ApiKey(models.Model):
    """A merchant's key to the REST API (and the CartRover-compatible endpoints).

    The key itself is shown once, when it is created, and never stored: only its public
    `prefix` (the lookup id, also the CartRover `api_user`) and the SHA-256 of the whole key.
    The key carries 256 random bits, so a plain hash is as strong as a slow one here, and it
    is compared in constant time. A key sees its own merchant only; a revoked key sees nothing.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField("Name", max_length=100, help_text="What uses this key.")
    prefix = models.CharField("API user", max_length=32, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="apikey_name_not_empty"),
            models.CheckConstraint(condition=~Q(prefix=""), name="apikey_prefix_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def __repr__(self) -> str:
        return f"<ApiKey {self.pk} {self.prefix!r} merchant={self.merchant_id}>"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
