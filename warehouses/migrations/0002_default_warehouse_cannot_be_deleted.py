"""The database refuses to delete a merchant's Default warehouse while the merchant exists.

`merchants.services.merchant_delete` lifts the flag inside its own transaction when the whole
merchant goes. A trigger, written for each supported database.
"""

from django.db import migrations

POSTGRESQL_CREATE = """
CREATE FUNCTION warehouses_forbid_default_delete() RETURNS trigger AS $$
BEGIN
    IF OLD.is_default AND EXISTS (
        SELECT 1 FROM merchants_merchant WHERE id = OLD.merchant_id
    ) THEN
        RAISE EXCEPTION 'The Default warehouse of a merchant cannot be deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER warehouses_forbid_default_delete BEFORE DELETE ON warehouses_warehouse
    FOR EACH ROW EXECUTE FUNCTION warehouses_forbid_default_delete();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS warehouses_forbid_default_delete ON warehouses_warehouse;
DROP FUNCTION IF EXISTS warehouses_forbid_default_delete();
"""

SQLITE_CREATE = """
CREATE TRIGGER warehouses_forbid_default_delete BEFORE DELETE ON warehouses_warehouse
FOR EACH ROW WHEN OLD.is_default
    AND EXISTS (SELECT 1 FROM merchants_merchant WHERE id = OLD.merchant_id)
BEGIN
    SELECT RAISE(ABORT, 'The Default warehouse of a merchant cannot be deleted');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS warehouses_forbid_default_delete;"


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    else:
        raise NotImplementedError(f"No Default-warehouse trigger for the {vendor} database")


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouses", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
