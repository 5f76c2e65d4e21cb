"""Writes on warehouses, products and aliases made by people (the download writes in bulk, see
`sync.services.download`)."""

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from merchants.models import Merchant
from sync.services.audit import audit_changes_record, audit_record, audit_values
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


@transaction.atomic
def warehouse_update(*, warehouse: Warehouse, name: str, is_enabled: bool) -> Warehouse:
    """Rename a warehouse or enable/disable it. A disabled warehouse still loads; it is only
    excluded from every total."""
    before = audit_values(warehouse, ["name", "is_enabled"])
    warehouse.name = name.strip()
    warehouse.is_enabled = is_enabled
    warehouse.full_clean()
    warehouse.save(update_fields=["name", "is_enabled", "updated_at"])
    audit_changes_record(
        instance=warehouse,
        before=before,
        merchant=warehouse.merchant,
        prefix=f"Warehouse {warehouse.external_code or before['name']}: ",
    )
    return warehouse


def warehouse_connection_check(*, merchant: Merchant) -> str:
    """*Test connection* of the merchant's warehouse system: one cheap call, no writes.

    Returns what the connector reached; raises the connector's error (a `ConnectorError`).
    Never call it inside a transaction: it talks to the network.
    """
    return warehouse_connector_for(merchant).check()


def product_create(*, merchant: Merchant, sku: str, name: str = "") -> Product:
    """*Add/View Products*: add a product by hand (the download adds the ones the warehouse
    system reports). A SKU is unique within the merchant."""
    sku = sku.strip()
    if not sku:
        raise ValidationError({"sku": "Enter a SKU."})
    existing = Product.objects.filter(merchant=merchant, sku=sku).first()
    if existing is not None:
        raise ValidationError({"sku": f"This merchant already has a product with SKU {sku}."})
    product = Product(merchant=merchant, sku=sku, name=name.strip())
    product.full_clean()
    product.save()
    return product


@dataclass(frozen=True)
class AliasImportError:
    line: int
    message: str


@dataclass(frozen=True)
class AliasImportResult:
    created: int
    errors: tuple[AliasImportError, ...]

    @property
    def is_applied(self) -> bool:
        return not self.errors


ALIAS_IMPORT_COLUMNS = ("SKU", "Alias name", "Alias code")
ALIAS_IMPORT_MAX_LINES = 100_000


def alias_import_csv(*, merchant: Merchant, text: str) -> AliasImportResult:
    """Import aliases from CSV text with the columns `SKU, Alias name, Alias code` (a header row
    with those words is optional).

    All or nothing: every line is checked first (the SKU exists, the code is not already taken
    by another product nor by another line, the product has one code per alias name) and any
    error imports nothing; each error names its line number (the first line of the file is 1).
    A line that repeats an alias the product already has is accepted and changes nothing.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    errors: list[AliasImportError] = []
    wanted: list[tuple[int, str, str, str]] = []
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line == 1 and [c.lower() for c in cells[:3]] == [
            c.lower() for c in ALIAS_IMPORT_COLUMNS
        ]:
            continue
        if len(cells) != 3:
            errors.append(
                AliasImportError(
                    line, f"Expected 3 columns (SKU, Alias name, Alias code), found {len(cells)}."
                )
            )
            continue
        sku, name, value = cells
        if not sku or not name or not value:
            errors.append(AliasImportError(line, "SKU, Alias name and Alias code are required."))
            continue
        wanted.append((line, sku, name, value))
    if len(wanted) > ALIAS_IMPORT_MAX_LINES:
        return AliasImportResult(
            0, (AliasImportError(0, f"At most {ALIAS_IMPORT_MAX_LINES} lines per file."),)
        )

    products = dict(
        Product.objects.filter(
            merchant=merchant, sku__in={sku for _, sku, _, _ in wanted}
        ).values_list("sku", "pk")
    )
    existing = {
        value: (product_id, product_sku, name)
        for value, product_id, product_sku, name in Alias.objects.filter(
            merchant=merchant, value__in={value for *_, value in wanted}
        ).values_list("value", "product_id", "product__sku", "name")
    }
    names_taken = {
        (product_id, name): value
        for product_id, name, value in Alias.objects.filter(
            merchant=merchant, product_id__in=set(products.values())
        ).values_list("product_id", "name", "value")
    }
    in_file: dict[str, tuple[int, str]] = {}
    to_create: list[Alias] = []
    for line, sku, name, value in wanted:
        product_id = products.get(sku)
        if product_id is None:
            errors.append(AliasImportError(line, f"No product has SKU {sku}."))
            continue
        holder = existing.get(value)
        if holder is not None:
            holder_id, holder_sku, holder_name = holder
            if holder_id == product_id and holder_name == name:
                continue  # already there: nothing to do
            errors.append(
                AliasImportError(
                    line,
                    f"The alias code '{value}' already identifies product {holder_sku} (as "
                    f"{holder_name}); it cannot also identify product {sku}.",
                )
            )
            continue
        earlier = in_file.get(value)
        if earlier is not None:
            errors.append(
                AliasImportError(
                    line,
                    f"The alias code '{value}' is also on line {earlier[0]} (product "
                    f"{earlier[1]}); an alias code must identify exactly one product.",
                )
            )
            continue
        taken = names_taken.get((product_id, name))
        if taken is not None:
            errors.append(
                AliasImportError(
                    line,
                    f"Product {sku} already has the {name} alias code '{taken}'; a product has "
                    "one code per alias name.",
                )
            )
            continue
        in_file[value] = (line, sku)
        names_taken[(product_id, name)] = value
        to_create.append(Alias(merchant=merchant, product_id=product_id, name=name, value=value))
    if errors:
        return AliasImportResult(0, tuple(errors))
    try:
        with transaction.atomic():
            Alias.objects.bulk_create(to_create, batch_size=1000)
    except IntegrityError:
        # Someone added a clashing alias in between: nothing was imported; say so.
        return AliasImportResult(
            0,
            (
                AliasImportError(
                    0, "An alias code was added by someone else meanwhile; nothing was imported."
                ),
            ),
        )
    return AliasImportResult(len(to_create), ())


@transaction.atomic
def warehouse_default_set(*, warehouse: Warehouse) -> Warehouse:
    """Make `warehouse` its merchant's Default (records without a warehouse code land there).

    One transaction, the merchant's warehouses locked: the old Default loses the flag before
    the new one takes it, so the merchant has exactly one Default at every commit.
    """
    siblings = Warehouse.objects.select_for_update().filter(merchant_id=warehouse.merchant_id)
    list(siblings.order_by("pk").values_list("pk", flat=True))  # take the locks in one order
    previous = siblings.filter(is_default=True).exclude(pk=warehouse.pk).first()
    siblings.filter(is_default=True).exclude(pk=warehouse.pk).update(is_default=False)
    Warehouse.objects.filter(pk=warehouse.pk).update(is_default=True)
    warehouse.refresh_from_db()
    if previous is not None:
        audit_record(
            merchant=warehouse.merchant,
            setting="Default warehouse",
            old=previous.name,
            new=warehouse.name,
        )
    return warehouse
