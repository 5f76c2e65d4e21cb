"""Alerts: raised by the services when something needs a person; resolved by them when it
stops happening; dismissed by people."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from carts.models import Cart
from merchants.models import Merchant
from sync.models import Alert, AlertSeverity, SyncRun


def alert_raise(
    *,
    merchant: Merchant,
    key: str,
    title: str,
    message: str = "",
    cart: Cart | None = None,
    run: SyncRun | None = None,
    severity: AlertSeverity = AlertSeverity.ERROR,
) -> Alert:
    """Open an alert, or count one more occurrence of the open alert with the same key."""
    now = timezone.now()
    updated = Alert.objects.filter(
        merchant=merchant, key=key, resolved_at__isnull=True, dismissed_at__isnull=True
    ).update(
        last_seen_at=now,
        occurrences=F("occurrences") + 1,
        title=title,
        message=message,
        run=run,
        severity=severity,
    )
    if not updated:
        try:
            with transaction.atomic():
                Alert.objects.create(
                    merchant=merchant,
                    cart=cart,
                    key=key,
                    title=title,
                    message=message,
                    run=run,
                    severity=severity,
                    first_seen_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            # Raised by another process in between: count ours on theirs.
            return alert_raise(
                merchant=merchant,
                key=key,
                title=title,
                message=message,
                cart=cart,
                run=run,
                severity=severity,
            )
    return Alert.objects.get(
        merchant=merchant, key=key, resolved_at__isnull=True, dismissed_at__isnull=True
    )


def alert_resolve(*, merchant: Merchant, key: str) -> int:
    """Close the open alert with this key, if any, because the problem is gone."""
    return Alert.objects.filter(
        merchant=merchant, key=key, resolved_at__isnull=True, dismissed_at__isnull=True
    ).update(resolved_at=timezone.now())


def alert_dismiss(*, alert: Alert, user) -> Alert:
    if alert.is_open:
        alert.dismissed_at = timezone.now()
        alert.dismissed_by = user
        alert.save(update_fields=["dismissed_at", "dismissed_by"])
    return alert
