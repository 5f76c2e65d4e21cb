"""API shapes of sync runs, inventory pushes and run requests."""

from rest_framework import serializers

from sync.models import SyncRun
from sync.services.download import (
    ALIAS_NAME_MAX_LENGTH,
    ALIAS_VALUE_MAX_LENGTH,
    MAX_QUANTITY,
    PRODUCT_NAME_MAX_LENGTH,
    SKU_MAX_LENGTH,
    WAREHOUSE_CODE_MAX_LENGTH,
)

MAX_PUSH_RECORDS = 10_000


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id",
            "kind",
            "merchant",
            "cart",
            "trigger",
            "state",
            "created_at",
            "started_at",
            "finished_at",
            "records_read",
            "records_changed",
            "items_sent",
            "items_skipped",
            "items_failed",
            "message",
        ]


class RunDetailSerializer(RunSerializer):
    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "log"]


class AwareDateTimeField(serializers.DateTimeField):
    """A timestamp that must say its time zone (a warehouse system's local time is ambiguous)."""

    def enforce_timezone(self, value):
        if value.tzinfo is None:
            raise serializers.ValidationError("Give a time zone (for example +00:00).")
        return super().enforce_timezone(value)


def _quantity(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY, **kwargs)


class PushRecordSerializer(serializers.Serializer):
    """One product's stock in one warehouse: the fields of a warehouse system's stock record.

    `warehouse_code` "" (or absent) is the merchant's Default warehouse; a new code creates a
    warehouse. `quantity_available` absent: max(on hand - allocated - on hold, 0).
    `wms_updated_at` must carry a time zone. `aliases` maps alias names to codes.
    """

    sku = serializers.CharField(max_length=SKU_MAX_LENGTH, trim_whitespace=False)
    warehouse_code = serializers.CharField(
        max_length=WAREHOUSE_CODE_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    quantity_on_hand = _quantity()
    quantity_available = _quantity(required=False, allow_null=True, default=None)
    quantity_allocated = _quantity(required=False, allow_null=True, default=None)
    quantity_on_hold = _quantity(required=False, allow_null=True, default=None)
    wms_updated_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    name = serializers.CharField(
        max_length=PRODUCT_NAME_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    aliases = serializers.DictField(
        child=serializers.CharField(max_length=ALIAS_VALUE_MAX_LENGTH),
        required=False,
        default=dict,
    )

    def validate_sku(self, sku: str) -> str:
        if not sku.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return sku

    def validate_aliases(self, aliases: dict[str, str]) -> dict[str, str]:
        for name in aliases:
            if not name.strip() or len(name) > ALIAS_NAME_MAX_LENGTH:
                raise serializers.ValidationError(
                    f"Alias names are 1 to {ALIAS_NAME_MAX_LENGTH} characters ({name[:40]!r})."
                )
        return aliases


class PushSerializer(serializers.Serializer):
    """An inventory batch: applied all or nothing, once per `request_id`."""

    request_id = serializers.CharField(
        max_length=255,
        help_text="The client's id for this batch: sending it again answers with the same run "
        "instead of applying the batch twice.",
    )
    records = PushRecordSerializer(many=True, allow_empty=False, max_length=MAX_PUSH_RECORDS)

    def validate_records(self, records: list[dict]) -> list[dict]:
        seen: dict[tuple[str, str], int] = {}
        for index, record in enumerate(records):
            key = (record["warehouse_code"].strip(), record["sku"])
            if key in seen:
                raise serializers.ValidationError(
                    [{}] * index
                    + [
                        {
                            "sku": [
                                f"SKU {record['sku']!r} is already given for warehouse "
                                f"{key[0] or 'Default'!r} by item {seen[key]}."
                            ]
                        }
                    ]
                )
            seen[key] = index
        return records


class PushResultSerializer(serializers.Serializer):
    run = RunSerializer()
    is_replay = serializers.BooleanField(
        help_text="True when this request id was seen before: nothing was applied again."
    )


class UploadRequestSerializer(serializers.Serializer):
    reconcile = serializers.BooleanField(
        default=False, help_text="Also re-read the whole cart and correct what was edited in it."
    )
