"""Authentication by a merchant's API key: `Authorization: Bearer <key>` or `X-Api-Key: <key>`
on /api/v1/, and HTTP Basic `api_user:api_key` (or the `api_user` and `api_key` query
parameters) on the CartRover-compatible endpoints. The session of a logged-in user works on
/api/v1/ too (DRF's SessionAuthentication, with CSRF on unsafe methods).

A key authenticates as an `ApiKeyPrincipal`: not a person, no staff rights, its merchant only.
"""

import base64
import binascii
from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from merchants.models import ApiKey
from merchants.services import api_key_authenticate, api_key_used


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """Who a request authenticated by an API key is."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    is_support_agent = False
    pk = None

    @property
    def merchant_id(self) -> int:
        return self.api_key.merchant_id

    @property
    def rate_limit_identity(self) -> str:
        return f"key:{self.api_key.prefix}"

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


INVALID_KEY = "Invalid or revoked API key."


def _authenticated(api_key: ApiKey | None) -> tuple[ApiKeyPrincipal, ApiKey]:
    if api_key is None:
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    api_key_used(api_key=api_key)
    return ApiKeyPrincipal(api_key=api_key), api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` or `X-Api-Key: <key>`. No key: let the next scheme try."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            key = credentials.strip()
        else:
            key = request.META.get("HTTP_X_API_KEY", "").strip()
        if not key:
            return None
        return _authenticated(api_key_authenticate(key=key))

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class CartRoverAuthentication(authentication.BaseAuthentication):
    """The vendor's credentials: HTTP Basic `api_user:api_key`, or the query parameters
    `api_user` and `api_key`. Our `api_user` is the key's prefix, `api_key` the key."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise exceptions.AuthenticationFailed(INVALID_KEY) from None
            api_user, separator, key = decoded.partition(":")
            if not separator:
                raise exceptions.AuthenticationFailed(INVALID_KEY)
        else:
            api_user = request.query_params.get("api_user", "")
            key = request.query_params.get("api_key", "")
            if not api_user and not key:
                return None
        return _authenticated(api_key_authenticate(key=key, prefix=api_user))

    def authenticate_header(self, request) -> str:
        return 'Basic realm="CartRover API"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A merchant's API key."}


class CartRoverAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = CartRoverAuthentication
    name = "cartRoverBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "api_user (the key's prefix) and api_key (the key).",
        }
