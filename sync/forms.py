"""Forms of the sync pages: the run filters and the SKU troubleshooter."""

from django import forms

from carts.models import Cart
from merchants.models import Merchant
from sync.models import RunKind, RunState


class RunFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *RunKind.choices]
    )
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "Any state"), *RunState.choices]
    )
    merchant = forms.ModelChoiceField(
        label="Merchant",
        required=False,
        queryset=Merchant.objects.none(),
        empty_label="Any merchant",
    )
    cart = forms.ModelChoiceField(
        label="Cart", required=False, queryset=Cart.objects.none(), empty_label="Any cart"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = Merchant.objects.visible_to(user).order_by("name")
        self.fields["cart"].queryset = (
            Cart.objects.visible_to(user)
            .select_related("merchant")
            .order_by("merchant__name", "name")
        )
        self.fields["cart"].label_from_instance = lambda cart: f"{cart.merchant.name} · {cart.name}"


class TroubleshooterForm(forms.Form):
    """Merchant + cart + SKU (as the cart spells it)."""

    merchant = forms.ModelChoiceField(
        label="Merchant", queryset=Merchant.objects.none(), empty_label="Choose a merchant"
    )
    cart = forms.ModelChoiceField(
        label="Cart", queryset=Cart.objects.none(), empty_label="Choose a cart"
    )
    sku = forms.CharField(
        label="SKU",
        max_length=255,
        help_text="The SKU as the cart shows it.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        merchants = Merchant.objects.visible_to(user).order_by("name")
        self.fields["merchant"].queryset = merchants
        carts = Cart.objects.visible_to(user).order_by("name")
        merchant_id = self.data.get("merchant") if self.is_bound else self.initial.get("merchant")
        if merchant_id and str(merchant_id).isdigit():
            carts = carts.filter(merchant_id=merchant_id)
        else:
            carts = carts.none()
        self.fields["cart"].queryset = carts

    def clean(self):
        cleaned = super().clean()
        merchant, cart = cleaned.get("merchant"), cleaned.get("cart")
        if merchant and cart and cart.merchant_id != merchant.pk:
            self.add_error("cart", "This cart belongs to another merchant.")
        return cleaned
