"""`{% audit_trail merchant_or_cart %}`: the object's latest setting changes (who, when, what)."""

from django import template

from sync.selectors import audit_entries_for

register = template.Library()


@register.inclusion_tag("includes/_audit_trail.html")
def audit_trail(obj) -> dict:
    return {"audit_entries": audit_entries_for(obj)}
