"""OpenAPI: every operation documents the error shape of `exceptions` for its 4xx answers."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    index = serializers.IntegerField(allow_null=True)
    path = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ErrorItemSerializer(many=True, required=False)


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field (and the item's index in a list).",
    "401": "No credentials, or an invalid or revoked API key.",
    "403": "Authenticated, but not allowed (for example a missing CSRF token).",
    "404": "Not found, or another merchant's.",
    "413": "The request body is too large.",
    "429": "Over the rate limit: retry after `Retry-After` seconds.",
    "4XX": "Another client error (method not allowed, unsupported media type, ...).",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error = self._get_response_for_code(ErrorSerializer, "400", direction=direction)
        for code, description in ERROR_DESCRIPTIONS.items():
            if code not in responses:
                responses[code] = {**error, "description": description}
        return responses
