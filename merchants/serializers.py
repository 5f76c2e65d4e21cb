"""API shapes of merchants."""

from rest_framework import serializers

from merchants.models import Merchant


class MerchantSerializer(serializers.ModelSerializer):
    """A merchant and its settings. Connection parameters and secrets are not exposed."""

    class Meta:
        model = Merchant
        fields = [
            "id",
            "name",
            "inventory_sync_mode",
            "inventory_interval_minutes",
            "suspicious_change_percent",
            "connector_key",
            "scheduling_paused_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "connector_key",
            "scheduling_paused_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "name": {"validators": []},  # uniqueness is checked by the service (full_clean)
            "inventory_interval_minutes": {"min_value": 1, "max_value": 10080},
            "suspicious_change_percent": {"min_value": 0, "max_value": 100},
        }
