"""Fixtures of the reliability tests: the emulators' fixtures of the connector tests, reused."""

from tests.connectors.test_extensiv_3pl import _fresh_token_cache, wms  # noqa: F401
