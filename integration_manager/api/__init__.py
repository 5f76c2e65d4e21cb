"""The REST API: versioned JSON under /api/v1/ (OpenAPI at /api/schema/), and the
CartRover-compatible inventory reads under /v1/.

This package holds the plumbing shared by every endpoint (authentication by API key, the leaky
bucket rate limit, the request-size limit, tenancy, pagination, the error format); the
endpoints of each app live in its `api.py`, their shapes in its `serializers.py`.
"""
