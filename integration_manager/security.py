"""Security headers Django does not send itself, and the request behind a change (for the audit
trail).

Content-Security-Policy comes from django-csp (settings `CONTENT_SECURITY_POLICY`); X-Frame-Options,
X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-Policy and HSTS from Django's own
middleware. This adds Permissions-Policy: the pages use no camera, microphone, location or payment.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# --- The person behind a change ---------------------------------------------------------------

_current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being answered in this thread or task, if any (for the audit trail: who made
    a change). None in Celery tasks, management commands and scripts."""
    return _current_request.get()


class CurrentRequestMiddleware:
    """Makes the request known to `current_request` while it is answered. The user is read from
    it only when a change is recorded, so the API's own authentication (done in the view) is
    seen too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
