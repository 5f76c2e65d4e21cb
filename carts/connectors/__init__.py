"""Cart connectors: one module per platform, and the registry that maps a cart's
`connector_key` to its class. Adding a platform = one new module + one line below."""

from carts.connectors.base import CartConnector
from carts.connectors.bigcommerce import BigCommerceCartConnector
from carts.connectors.memory import MemoryCartConnector
from carts.connectors.shopify import ShopifyCartConnector
from carts.connectors.vendure import VendureCartConnector
from carts.connectors.woocommerce import WooCommerceCartConnector
from carts.models import Cart
from integration_manager.connector_errors import ConfigurationError

CART_CONNECTORS: dict[str, type[CartConnector]] = {
    MemoryCartConnector.key: MemoryCartConnector,
    ShopifyCartConnector.key: ShopifyCartConnector,
    WooCommerceCartConnector.key: WooCommerceCartConnector,
    BigCommerceCartConnector.key: BigCommerceCartConnector,
    VendureCartConnector.key: VendureCartConnector,
}


def cart_connector_for(cart: Cart) -> CartConnector:
    """Build the connector of a cart from its connection. Raises `ConfigurationError` when the
    cart has no connector or an unknown one."""
    if not cart.connector_key:
        raise ConfigurationError(f"Cart '{cart}' has no connector configured.")
    connector_class = CART_CONNECTORS.get(cart.connector_key)
    if connector_class is None:
        raise ConfigurationError(
            f"Cart '{cart}' uses the unknown connector '{cart.connector_key}'."
        )
    return connector_class(parameters=cart.connection_parameters, secrets=cart.get_secrets())
