"""Forms of the merchant pages: Edit Setup, with the warehouse-system connection.

`ConnectionFieldsMixin` is shared with the cart's Edit Setup: the connector is chosen from its
registry, its parameter fields follow the chosen connector, and its secret fields are write-only
(a password input that is never filled back; left blank, the stored secret is kept).
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from merchants.models import Merchant
from warehouses.connectors import WAREHOUSE_CONNECTORS

PARAMETER_PREFIX = "parameter_"
SECRET_PREFIX = "secret_"  # noqa: S105 - a field-name prefix, not a password


class ConnectionFieldsMixin:
    """Adds `connector_key`, the chosen connector's parameters and its write-only secrets."""

    connector_registry: Mapping[str, Any] = {}
    connector_label = "Connector"

    def add_connection_fields(self, *, current_key: str, parameters: Mapping[str, Any]) -> None:
        registry = self.connector_registry
        choices = [("", "Not connected")] + [
            (key, connector.label) for key, connector in sorted(registry.items())
        ]
        if current_key and current_key not in registry:
            choices.append((current_key, f"{current_key} (unknown)"))
        self.fields["connector_key"] = forms.ChoiceField(
            label=self.connector_label, choices=choices, required=False
        )
        chosen = self.data.get("connector_key", current_key) if self.is_bound else current_key
        self.chosen_connector_key = chosen
        connector = registry.get(chosen)
        self.parameter_names: list[str] = []
        self.secret_names: list[str] = []
        if connector is None:
            return
        for parameter in connector.parameter_fields:
            name = f"{PARAMETER_PREFIX}{parameter.name}"
            self.fields[name] = forms.CharField(
                label=parameter.label,
                help_text=parameter.help_text,
                required=parameter.is_required,
                initial=parameters.get(parameter.name, ""),
            )
            self.parameter_names.append(name)
        for secret in getattr(connector, "secret_fields", ()):
            name = f"{SECRET_PREFIX}{secret.name}"
            self.fields[name] = forms.CharField(
                label=secret.label,
                help_text=(secret.help_text + " " if secret.help_text else "")
                + "Write-only: leave blank to keep the stored value.",
                required=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            )
            self.secret_names.append(name)

    def connection_settings(self) -> dict[str, Any]:
        """`connector_key` and `connection_parameters` from the cleaned data."""
        return {
            "connector_key": self.cleaned_data["connector_key"],
            "connection_parameters": {
                name.removeprefix(PARAMETER_PREFIX): self.cleaned_data[name]
                for name in self.parameter_names
                if self.cleaned_data[name] not in ("", None)
            },
        }

    def secrets(self) -> dict[str, str]:
        """The secrets typed in; blank ones are left out (the stored value is kept)."""
        return {
            name.removeprefix(SECRET_PREFIX): self.cleaned_data[name]
            for name in self.secret_names
            if self.cleaned_data[name]
        }

    @property
    def parameter_fields(self):
        return [self[name] for name in self.parameter_names]

    @property
    def secret_fields(self):
        return [self[name] for name in self.secret_names]


class MerchantSetupForm(ConnectionFieldsMixin, forms.ModelForm):
    """Merchants > Edit Setup."""

    connector_registry = WAREHOUSE_CONNECTORS
    connector_label = "Warehouse system"

    class Meta:
        model = Merchant
        fields = [
            "name",
            "inventory_sync_mode",
            "inventory_interval_minutes",
            "suspicious_change_percent",
        ]
        labels = {"name": "Merchant name"}
        widgets = {"inventory_sync_mode": forms.RadioSelect}

    def __init__(self, *args, connector_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_connection_fields(
            current_key=connector_key if connector_key is not None else self.instance.connector_key,
            parameters=self.instance.connection_parameters or {},
        )

    def settings(self) -> dict[str, Any]:
        """Keyword arguments for `merchant_settings_update`."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields} | (
            self.connection_settings()
        )


def validation_error_add(form: forms.Form, error: ValidationError) -> None:
    """Show a service's `ValidationError` on the form: on its field when the form has it,
    otherwise at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
