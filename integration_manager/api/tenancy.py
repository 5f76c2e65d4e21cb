"""Tenancy for API requests: the same rule as the pages, and a key sees its merchant only."""

from django.db.models import QuerySet

from integration_manager.api.authentication import ApiKeyPrincipal


def visible(queryset: QuerySet, request) -> QuerySet:
    """The part of `queryset` (a tenant queryset) that the request may see: an API key's own
    merchant, or what `.visible_to(user)` gives a logged-in user. Anything else is a 404."""
    user = request.user
    if isinstance(user, ApiKeyPrincipal):
        path = queryset.merchant_path
        return queryset.filter(**{f"{path}_id" if path else "pk": user.merchant_id})
    return queryset.visible_to(user)


def request_person(request):
    """The person behind a request, for `requested_by`; None for an API key."""
    user = request.user
    if isinstance(user, ApiKeyPrincipal) or not user.is_authenticated:
        return None
    return user
