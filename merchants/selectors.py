"""Reads about merchants."""

from django.db.models import Count, QuerySet

from merchants.models import Merchant
from sync.selectors import attach_runs, latest_download_run_subquery


def merchant_list_for(user) -> list[Merchant]:
    """The merchants a user may see, each with its latest download run and its cart count."""
    merchants = list(
        Merchant.objects.visible_to(user).annotate(
            last_download_run_id=latest_download_run_subquery(),
            cart_count=Count("carts", distinct=True),
        )
    )
    return attach_runs(merchants, id_attribute="last_download_run_id", run_attribute="last_run")


def merchant_detail_queryset_for(user) -> QuerySet[Merchant]:
    return Merchant.objects.visible_to(user).annotate(
        last_download_run_id=latest_download_run_subquery()
    )
