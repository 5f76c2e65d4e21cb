"""Writes on merchants and their users."""

from typing import Any

from django.db import transaction

from merchants.models import Membership, Merchant, User
from warehouses.models import Warehouse

DEFAULT_WAREHOUSE_NAME = "Default"


@transaction.atomic
def merchant_create(*, name: str, **fields: Any) -> Merchant:
    """Create a merchant together with its Default warehouse, in one transaction."""
    merchant = Merchant(name=name.strip(), **fields)
    merchant.full_clean()
    merchant.save()
    Warehouse.objects.create(
        merchant=merchant, external_code="", name=DEFAULT_WAREHOUSE_NAME, is_default=True
    )
    return merchant


@transaction.atomic
def merchant_delete(*, merchant: Merchant) -> None:
    """Delete a merchant and everything it owns.

    The database refuses to delete a Default warehouse while its merchant exists; deleting the
    merchant itself is the one case where it must go, so the flag is lifted inside the same
    transaction.
    """
    Warehouse.objects.filter(merchant=merchant, is_default=True).update(is_default=False)
    merchant.delete()


def membership_grant(*, user: User, merchant: Merchant) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, merchant=merchant)
    return membership


def connection_secrets_update(*, connection, secrets: dict[str, str]) -> None:
    """Replace the write-only secrets of a merchant's or a cart's connection.

    A blank value keeps the stored one, so a form can leave secret fields empty.
    """
    current = connection.get_secrets()
    for name, value in secrets.items():
        if value:
            current[name] = value
    connection.set_secrets(current)
    connection.save(update_fields=["secrets_ciphertext", "updated_at"])


# Settings a person edits on the merchant's Edit Setup page (secrets go through
# `connection_secrets_update`, or the `secrets` argument below).
MERCHANT_SETTING_FIELDS = frozenset(
    {
        "name",
        "inventory_sync_mode",
        "inventory_interval_minutes",
        "suspicious_change_percent",
        "connector_key",
        "connection_parameters",
    }
)


@transaction.atomic
def merchant_settings_update(
    *, merchant: Merchant, secrets: dict[str, str] | None = None, **settings: Any
) -> Merchant:
    """Change a merchant's settings (and, with `secrets`, its connection's secrets).

    Any change lifts a scheduling pause left by a configuration error, so the next scheduled
    download tries again with the new settings. A new mode or interval reschedules the next
    download from now.
    """
    unknown = set(settings) - MERCHANT_SETTING_FIELDS
    if unknown:
        raise TypeError(f"Not merchant settings: {', '.join(sorted(unknown))}")
    is_rescheduled = any(
        name in settings and settings[name] != getattr(merchant, name)
        for name in ("inventory_sync_mode", "inventory_interval_minutes")
    )
    for name, value in settings.items():
        setattr(merchant, name, value)
    if "name" in settings:
        merchant.name = merchant.name.strip()
    if secrets:
        current = merchant.get_secrets()
        current.update({name: value for name, value in secrets.items() if value})
        merchant.set_secrets(current)
    if is_rescheduled:
        merchant.next_download_at = None
    merchant.scheduling_paused_reason = ""
    merchant.full_clean()
    merchant.save()
    return merchant
