"""Writes on warehouses, products and aliases made by people (the download writes in bulk, see
`sync.services.download`)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from merchants.models import Merchant
from warehouses.connectors import warehouse_connector_for
from warehouses.models import Alias, Product, Warehouse


def alias_add(*, product: Product, name: str, value: str) -> Alias:
    """*Add Alias Code*: give `product` the code `value` under the alias name `name`.

    An alias code identifies exactly one product of the merchant, and a product has one code per
    alias name: both are refused with a `ValidationError` that names the products involved.
    """
    name, value = name.strip(), value.strip()
    if not name:
        raise ValidationError({"name": "Enter an alias name (for example UPC)."})
    if not value:
        raise ValidationError({"value": "Enter the alias code."})
    holder = (
        Alias.objects.filter(merchant_id=product.merchant_id, value=value)
        .select_related("product")
        .first()
    )
    if holder is not None:
        raise ValidationError({"value": _duplicate_value_message(value, holder, product)})
    same_name = Alias.objects.filter(product=product, name=name).first()
    if same_name is not None:
        raise ValidationError(
            {
                "name": f"Product {product.sku} already has the {name} alias code "
                f"'{same_name.value}'; a product has one code per alias name."
            }
        )
    try:
        with transaction.atomic():
            return Alias.objects.create(
                merchant_id=product.merchant_id, product=product, name=name, value=value
            )
    except IntegrityError:
        # Added by someone else in between: report it the same way.
        holder = Alias.objects.filter(merchant_id=product.merchant_id, value=value).first()
        if holder is None:
            raise
        raise ValidationError({"value": _duplicate_value_message(value, holder, product)}) from None


def _duplicate_value_message(value: str, holder: Alias, product: Product) -> str:
    if holder.product_id == product.pk:
        return f"Product {product.sku} already has the alias code '{value}' (as {holder.name})."
    return (
        f"The alias code '{value}' already identifies product {holder.product.sku} "
        f"(as {holder.name}); it cannot also identify product {product.sku}. An alias code must "
        "identify exactly one product."
    )


def alias_delete(*, alias: Alias) -> None:
    alias.delete()


def warehouse_update(*, warehouse: Warehouse, name: str, is_enabled: bool) -> Warehouse:
    """Rename a warehouse or enable/disable it. A disabled warehouse still loads; it is only
    excluded from every total."""
    warehouse.name = name.strip()
    warehouse.is_enabled = is_enabled
    warehouse.full_clean()
    warehouse.save(update_fields=["name", "is_enabled", "updated_at"])
    return warehouse


def warehouse_connection_check(*, merchant: Merchant) -> str:
    """*Test connection* of the merchant's warehouse system: one cheap call, no writes.

    Returns what the connector reached; raises the connector's error (a `ConnectorError`).
    Never call it inside a transaction: it talks to the network.
    """
    return warehouse_connector_for(merchant).check()
