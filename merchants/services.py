"""Writes on merchants and their users."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from merchants.models import ApiKey, Membership, Merchant, User
from sync.services.audit import audit_changes_record, audit_secrets_record, audit_values
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
    changed = {name for name, value in secrets.items() if value and current.get(name) != value}
    for name, value in secrets.items():
        if value:
            current[name] = value
    connection.set_secrets(current)
    connection.save(update_fields=["secrets_ciphertext", "updated_at"])
    if changed:
        audit_secrets_record(connection=connection, names=changed)


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
    before = audit_values(merchant, sorted(settings))
    secrets_changed = set()
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
        secrets_changed = {
            name for name, value in secrets.items() if value and current.get(name) != value
        }
        current.update({name: value for name, value in secrets.items() if value})
        merchant.set_secrets(current)
    if is_rescheduled:
        merchant.next_download_at = None
    merchant.scheduling_paused_reason = ""
    merchant.full_clean()
    merchant.save()
    audit_changes_record(instance=merchant, before=before, merchant=merchant)
    if secrets_changed:
        audit_secrets_record(connection=merchant, names=secrets_changed)
    return merchant


# --- API keys -------------------------------------------------------------------------------

API_KEY_TAG = "imk"


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: `key` is the only time the secret exists in clear."""

    api_key: ApiKey
    key: str


def _api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, merchant: Merchant, name: str, created_by: User | None = None) -> NewApiKey:
    """Create an API key for `merchant`. The returned `key` is shown once and never stored:
    it is `imk_<prefix>_<secret>`, with 256 random bits of secret; the prefix identifies it
    (and is the CartRover `api_user`)."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_TAG}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        merchant=merchant,
        name=name.strip(),
        prefix=prefix,
        key_hash=_api_key_hash(key),
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    api_key.full_clean()
    api_key.save()
    return NewApiKey(api_key=api_key, key=key)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key: from now on it is refused. Revoking twice keeps the first time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_authenticate(*, key: str, prefix: str | None = None) -> ApiKey | None:
    """The active key that `key` is, or None. With `prefix` (the CartRover `api_user`), the key
    must also carry that prefix. The hash is compared in constant time."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_TAG or (prefix is not None and parts[1] != prefix):
        return None
    api_key = (
        ApiKey.objects.select_related("merchant")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _api_key_hash(key)):
        return None
    return api_key


API_KEY_LAST_USED_PRECISION_SECONDS = 60


def api_key_used(*, api_key: ApiKey) -> None:
    """Record that the key was used, at most once a minute (one conditional UPDATE)."""
    now = timezone.now()
    stale = now - timedelta(seconds=API_KEY_LAST_USED_PRECISION_SECONDS)
    if api_key.last_used_at is not None and api_key.last_used_at > stale:
        return
    ApiKey.objects.filter(pk=api_key.pk).exclude(last_used_at__gt=stale).update(last_used_at=now)
    api_key.last_used_at = now
