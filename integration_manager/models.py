"""Shared model plumbing: timestamps, encrypted connections and tenant-scoped querysets."""

from django.db import models

from integration_manager.crypto import decrypt_secrets, encrypt_secrets


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantQuerySet(models.QuerySet):
    """A queryset that knows the path from its model to the owning merchant.

    `visible_to(user)` is the one tenancy rule: superusers and support agents see every merchant;
    a merchant user sees only the merchants they are a member of.
    """

    merchant_path = "merchant"

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.is_support_agent:
            return self
        prefix = f"{self.merchant_path}__" if self.merchant_path else ""
        return self.filter(**{f"{prefix}memberships__user": user})


def tenant_manager(merchant_path: str) -> models.Manager:
    queryset_class = type(
        f"TenantQuerySetVia_{merchant_path}", (TenantQuerySet,), {"merchant_path": merchant_path}
    )
    return queryset_class.as_manager()


class Connection(models.Model):
    """A connection to an external system: a connector key, its parameters, and its secrets.

    Secrets are encrypted at rest (see `integration_manager.crypto`). They are write-only: forms
    never render them back, and neither `repr()` nor logging sees them.
    """

    connector_key = models.CharField(
        "Connector",
        max_length=64,
        blank=True,
        help_text="The platform this connection talks to (a key of the connector registry).",
    )
    connection_parameters = models.JSONField("Connection parameters", default=dict, blank=True)
    secrets_ciphertext = models.TextField(blank=True, default="", editable=False)

    class Meta:
        abstract = True

    @property
    def has_secrets(self) -> bool:
        return bool(self.secrets_ciphertext)

    def get_secrets(self) -> dict[str, str]:
        return decrypt_secrets(self.secrets_ciphertext)

    def set_secrets(self, secrets: dict[str, str]) -> None:
        self.secrets_ciphertext = encrypt_secrets(secrets)
