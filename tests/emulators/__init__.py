"""Emulators of the platforms' documented APIs, served over real HTTP on loopback.

Each module is one platform (`shopify`, `woocommerce`, `bigcommerce`, ...), built on `server.py`,
and runnable on its own: `python -m tests.emulators.<name> --port N`.
"""
