"""Writes on carts: their settings, Item Filters, and reconciliation requests."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from carts.connectors import cart_connector_for
from carts.models import Cart, ItemFilter
from integration_manager.connector_errors import ConnectorError
from sync.services.audit import audit_changes_record, audit_record, audit_values

# Settings a person edits on the cart's Edit Setup page (connection secrets go through
# `merchants.services.connection_secrets_update`).
CART_SETTING_FIELDS = frozenset(
    {
        "name",
        "upload_mode",
        "upload_interval_minutes",
        "sync_warehouse",
        "push_alias_name",
        "minimum_inventory_level",
        "item_filter_mode",
        "reconcile_interval_minutes",
        "failure_alert_threshold",
        "connector_key",
        "connection_parameters",
    }
)


@transaction.atomic
def cart_settings_update(*, cart: Cart, **settings: Any) -> Cart:
    """Change a cart's settings. Any change lifts a scheduling pause left by a configuration
    error, so the next scheduled upload tries again with the new settings."""
    unknown = set(settings) - CART_SETTING_FIELDS
    if unknown:
        raise TypeError(f"Not cart settings: {', '.join(sorted(unknown))}")
    before = audit_values(cart, sorted(settings))
    for name, value in settings.items():
        setattr(cart, name, value)
    if "push_alias_name" in settings:
        cart.push_alias_name = (cart.push_alias_name or "").strip()
    if (
        cart.sync_warehouse_id is not None
        and cart.sync_warehouse is not None
        and cart.sync_warehouse.merchant_id != cart.merchant_id
    ):
        raise ValidationError({"sync_warehouse": "This warehouse belongs to another merchant."})
    cart.scheduling_paused_reason = ""
    cart.full_clean()
    cart.save()
    audit_changes_record(instance=cart, before=before, merchant=cart.merchant, cart=cart)
    return cart


def cart_reconcile_request(*, cart: Cart) -> Cart:
    """Ask the next upload to re-read the whole cart (and correct what was edited in it)."""
    Cart.objects.filter(pk=cart.pk).update(reconcile_requested=True)
    cart.reconcile_requested = True
    return cart


def item_filter_add(*, cart: Cart, sku: str) -> ItemFilter:
    """Put a SKU on the cart's Item Filters list (whitelist or blacklist, per the cart's mode).
    Adding a SKU that is already listed returns the existing entry."""
    sku = sku.strip()
    if not sku:
        raise ValidationError({"sku": "Enter a SKU."})
    item_filter, is_created = ItemFilter.objects.get_or_create(cart=cart, sku=sku)
    if is_created:
        audit_record(merchant=cart.merchant, cart=cart, setting="Item Filters: SKU added", new=sku)
    return item_filter


def item_filter_remove(*, cart: Cart, sku: str) -> bool:
    """Take a SKU off the cart's Item Filters list. Returns whether it was listed."""
    deleted, _ = ItemFilter.objects.filter(cart=cart, sku=sku.strip()).delete()
    if deleted:
        audit_record(
            merchant=cart.merchant, cart=cart, setting="Item Filters: SKU removed", old=sku.strip()
        )
    return bool(deleted)


@dataclass(frozen=True)
class ConnectionCheck:
    is_ok: bool
    message: str


def cart_connection_check(*, cart: Cart) -> ConnectionCheck:
    """Test connection: one cheap call to the cart. Never raises a connector error: the result
    says what was reached, or why it failed (never a secret). Changes nothing."""
    try:
        reached = cart_connector_for(cart).check()
    except ConnectorError as error:
        return ConnectionCheck(is_ok=False, message=error.message)
    return ConnectionCheck(is_ok=True, message=reached)
