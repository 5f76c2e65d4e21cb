"""Warehouse connectors: one module per warehouse system, and the registry that maps a
merchant's `connector_key` to its class. Adding a system = one new module + one line below."""

from integration_manager.connector_errors import ConfigurationError
from merchants.models import Merchant
from warehouses.connectors.base import (
    ParameterField,
    StockRecord,
    WarehouseConnector,
    WarehouseInfo,
)
from warehouses.connectors.csv_feed import CsvFeedConnector
from warehouses.connectors.extensiv_3pl import Extensiv3plConnector
from warehouses.connectors.memory import MemoryWarehouseConnector

__all__ = [
    "WAREHOUSE_CONNECTORS",
    "ParameterField",
    "StockRecord",
    "WarehouseConnector",
    "WarehouseInfo",
    "warehouse_connector_for",
]

WAREHOUSE_CONNECTORS: dict[str, type[WarehouseConnector]] = {
    MemoryWarehouseConnector.key: MemoryWarehouseConnector,
    CsvFeedConnector.key: CsvFeedConnector,
    Extensiv3plConnector.key: Extensiv3plConnector,
}


def warehouse_connector_for(merchant: Merchant) -> WarehouseConnector:
    """Build the connector of a merchant from its connection. Raises `ConfigurationError` when
    the merchant has no warehouse-system connector or an unknown one."""
    if not merchant.connector_key:
        raise ConfigurationError(f"Merchant '{merchant}' has no warehouse system configured.")
    connector_class = WAREHOUSE_CONNECTORS.get(merchant.connector_key)
    if connector_class is None:
        raise ConfigurationError(
            f"Merchant '{merchant}' uses the unknown warehouse system '{merchant.connector_key}'."
        )
    return connector_class(
        parameters=merchant.connection_parameters, secrets=merchant.get_secrets()
    )
