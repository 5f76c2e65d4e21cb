"""The Django admin is for superusers only; it is not the product's interface."""

from django import forms
from django.contrib import admin


def _superusers_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
admin.site.site_header = "Integration Manager administration"


class ConnectionAdminForm(forms.ModelForm):
    """Adds write-only secret fields: a secret is never rendered back, blank keeps it."""

    new_secrets = forms.CharField(
        label="Set secrets",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text="One NAME=value per line. Stored encrypted; never shown again. Blank keeps "
        "the stored secrets.",
    )

    def clean_new_secrets(self) -> dict[str, str]:
        secrets = {}
        for number, line in enumerate(self.cleaned_data["new_secrets"].splitlines(), start=1):
            if not line.strip():
                continue
            name, separator, value = line.partition("=")
            if not separator or not name.strip():
                raise forms.ValidationError(f"Line {number}: expected NAME=value.")
            secrets[name.strip()] = value.strip()
        return secrets
