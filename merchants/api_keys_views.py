"""The API keys section of the merchant page: create (the key is shown once), revoke."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from integration_manager.views import MerchantScopedMixin
from merchants.models import ApiKey
from merchants.services import api_key_create, api_key_revoke


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label="Key name", max_length=100, help_text="What will use it, e.g. “WMS push”."
    )


class ApiKeyCreateView(MerchantScopedMixin, View):
    http_method_names = ["post"]

    def post(self, request, merchant_pk: int):
        form = ApiKeyCreateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the new API key a name.")
            return redirect(_section_url(self.merchant.pk))
        new_key = api_key_create(
            merchant=self.merchant, name=form.cleaned_data["name"], created_by=request.user
        )
        # Rendered, not redirected: the key exists in clear only in this response.
        response = render(
            request,
            "merchants/api_key_created.html",
            {"merchant": self.merchant, "api_key": new_key.api_key, "key": new_key.key},
        )
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeView(MerchantScopedMixin, View):
    http_method_names = ["post"]

    def post(self, request, merchant_pk: int, pk: int):
        api_key = get_object_or_404(ApiKey.objects.filter(merchant=self.merchant), pk=pk)
        api_key_revoke(api_key=api_key)
        messages.success(request, f"API key “{api_key.name}” ({api_key.prefix}) is revoked.")
        return redirect(_section_url(self.merchant.pk))


def _section_url(merchant_pk: int) -> str:
    return reverse("merchants:detail", args=[merchant_pk]) + "#api-keys"
