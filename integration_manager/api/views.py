"""The base of every /api/v1/ view: outside the pages' login redirect (API clients get 401, not a
login page), with the request-size limit checked before the body is read."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from rest_framework import generics, viewsets
from rest_framework.views import APIView

from integration_manager.api.exceptions import RequestTooLarge


class ApiViewMixin:
    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_REQUEST_BYTES:
            raise RequestTooLarge(
                f"The request body is {length} bytes; the limit is "
                f"{settings.API_MAX_REQUEST_BYTES} bytes. Send the records in smaller batches."
            )
        super().initial(request, *args, **kwargs)


class ApiView(ApiViewMixin, APIView):
    pass


class ApiGenericView(ApiViewMixin, generics.GenericAPIView):
    pass


class ApiGenericViewSet(ApiViewMixin, viewsets.GenericViewSet):
    pass


def int_query_param(request, name: str) -> int | None:
    """An optional integer query parameter; anything else is a 400 naming it."""
    from rest_framework.exceptions import ValidationError

    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({name: ["A valid integer is required."]}) from None
    if not 1 <= number <= 2**63 - 1:
        raise ValidationError({name: ["Out of range."]})
    return number
