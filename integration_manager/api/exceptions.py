"""The error format of /api/v1/: always JSON, always naming what was wrong.

    {"detail": "records[3].quantity_on_hand: Ensure this value is greater than or equal to 0.",
     "code": "invalid",
     "errors": [{"field": "quantity_on_hand", "index": 3, "path": "records[3].quantity_on_hand",
                 "message": "Ensure this value is greater than or equal to 0."}]}

`errors` is present for invalid input only: one entry per problem, with the field, the index
of the item in a list (null outside lists) and the full path.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class Busy(exceptions.APIException):
    """Another run holds the work: try again after Retry-After seconds."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Busy: try again shortly."
    default_code = "busy"

    def __init__(self, detail=None, *, retry_after: int = 2):
        super().__init__(detail)
        self.retry_after = retry_after


def _field_of(path: str) -> str | None:
    """The field an error path names: the first name after the last list index
    (`records[3].aliases.UPC` -> `aliases`)."""
    if not path:
        return None
    return path.rsplit("].", 1)[-1].split(".")[0].split("[")[0]


def flatten_errors(detail, path: str = "", index: int | None = None) -> list[dict]:
    """DRF's nested error detail as a flat list of {field, index, path, message}."""
    if isinstance(detail, dict):
        errors = []
        for name, value in detail.items():
            if isinstance(name, int):  # a list's errors, keyed by the item's index
                item_index = name if index is None else index
                errors.extend(flatten_errors(value, f"{path}[{name}]", item_index))
            elif name in ("non_field_errors", "__all__"):
                errors.extend(flatten_errors(value, path, index))
            else:
                errors.extend(flatten_errors(value, f"{path}.{name}" if path else name, index))
        return errors
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            field = _field_of(path)
            return [
                {"field": field, "index": index, "path": path or None, "message": str(message)}
                for message in detail
            ]
        errors = []
        for position, item in enumerate(detail):
            if item in ({}, [], None):
                continue
            errors.extend(
                flatten_errors(item, f"{path}[{position}]", position if index is None else index)
            )
        return errors
    field = _field_of(path)
    return [{"field": field, "index": index, "path": path or None, "message": str(detail)}]


def validation_error_response(detail, *, status_code: int = 400) -> Response:
    errors = flatten_errors(detail)
    first = errors[0] if errors else {"path": None, "message": "Invalid input."}
    summary = f"{first['path']}: {first['message']}" if first["path"] else first["message"]
    return Response({"detail": summary, "code": "invalid", "errors": errors}, status=status_code)


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, exceptions.ValidationError):
        return validation_error_response(exc.detail, status_code=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", "")
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    response.data = {"detail": str(detail), "code": code if isinstance(code, str) else "error"}
    if isinstance(exc, Busy):
        response["Retry-After"] = str(exc.retry_after)
    return response
