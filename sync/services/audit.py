"""The audit trail: who changed which setting of a merchant or a cart, when, from what to what.

The settings services call `audit_changes_record` with the values they read before the change
(`audit_values`), inside their own transaction, so a change and its entries commit together.
Secrets are recorded as "changed", never with a value. Who: the logged-in user (or the API key)
of the request being answered (`integration_manager.security.current_request`), a user named
with `audit_actor(...)`, else "System".
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models

from carts.models import Cart
from integration_manager.security import current_request
from merchants.models import Merchant
from sync.models import AuditEntry

SYSTEM_ACTOR = "System"
EMPTY = "(empty)"

_actor: ContextVar[Any] = ContextVar("audit_actor", default=None)


@contextmanager
def audit_actor(user) -> Iterator[None]:
    """Record the changes made inside this block as made by `user` (scripts, commands, tests)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def audit_values(instance: models.Model, fields: Iterable[str]) -> dict[str, str]:
    """The displayed value of each field, to compare before and after a change."""
    return {name: _display(instance, name) for name in fields}


def audit_changes_record(
    *,
    instance: models.Model,
    before: dict[str, str],
    merchant: Merchant,
    cart: Cart | None = None,
    prefix: str = "",
) -> list[AuditEntry]:
    """One entry per field of `before` whose displayed value changed on `instance`."""
    entries = []
    for name, old in before.items():
        new = _display(instance, name)
        if new != old:
            label = str(instance._meta.get_field(name).verbose_name)
            label = label[:1].upper() + label[1:]
            entries.append(
                _entry(merchant=merchant, cart=cart, setting=f"{prefix}{label}", old=old, new=new)
            )
    return AuditEntry.objects.bulk_create(entries) if entries else []


def audit_record(
    *,
    merchant: Merchant,
    setting: str,
    old: str = "",
    new: str = "",
    cart: Cart | None = None,
) -> AuditEntry:
    entry = _entry(merchant=merchant, cart=cart, setting=setting, old=old, new=new)
    entry.save()
    return entry


def audit_secrets_record(*, connection: Merchant | Cart, names: Iterable[str]) -> None:
    """Secret `names` of a merchant's or a cart's connection changed: recorded without values."""
    merchant, cart = _owner(connection)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                merchant=merchant,
                cart=cart,
                setting=f"Secret {name}",
                is_secret=True,
                **_who(),
            )
            for name in sorted(names)
        ]
    )


def _owner(connection: Merchant | Cart) -> tuple[Merchant, Cart | None]:
    if isinstance(connection, Cart):
        return connection.merchant, connection
    return connection, None


def _entry(*, merchant, cart, setting: str, old: str, new: str) -> AuditEntry:
    return AuditEntry(
        merchant=merchant, cart=cart, setting=setting[:200], old_value=old, new_value=new, **_who()
    )


def _who() -> dict[str, Any]:
    user = _actor.get()
    if user is None:
        request = current_request()
        user = getattr(request, "user", None) if request is not None else None
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return {"actor": None, "actor_label": f"API key {api_key.name}"[:200]}
    if user is not None and getattr(user, "is_authenticated", False) and user.pk is not None:
        return {"actor": user, "actor_label": user.get_username()[:200]}
    return {"actor": None, "actor_label": SYSTEM_ACTOR}


def _display(instance: models.Model, name: str) -> str:
    field = instance._meta.get_field(name)
    if field.choices:
        value = getattr(instance, f"get_{name}_display")()
    elif isinstance(field, models.ForeignKey):
        related = getattr(instance, name)
        value = str(related) if related is not None else ""
    else:
        value = getattr(instance, name)
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        elif isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if value is None or value == "":
        return EMPTY
    return str(value)
