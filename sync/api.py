"""/api/v1/runs/, the inventory push, and the requests for a download or an upload."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from carts.models import Cart
from integration_manager.api.exceptions import Busy, Conflict
from integration_manager.api.pagination import NewestFirstCursorPagination
from integration_manager.api.schema import ErrorSerializer
from integration_manager.api.tenancy import request_person, visible
from integration_manager.api.views import ApiGenericViewSet, ApiView, int_query_param
from merchants.models import Merchant
from sync.models import RunKind, RunState, SyncRun
from sync.serializers import (
    PushResultSerializer,
    PushSerializer,
    RunDetailSerializer,
    RunSerializer,
    UploadRequestSerializer,
)
from sync.services.push import PushBusy, PushNotAccepted, inventory_push
from sync.services.scheduling import download_request, upload_request
from warehouses.connectors.base import StockRecord


@extend_schema(
    tags=["runs"],
    parameters=[
        OpenApiParameter("merchant", OpenApiTypes.INT),
        OpenApiParameter("cart", OpenApiTypes.INT),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=RunKind.values),
        OpenApiParameter("state", OpenApiTypes.STR, enum=RunState.values),
    ],
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    """Sync runs, newest first; the detail has the run's log."""

    pagination_class = NewestFirstCursorPagination

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    def get_queryset(self):
        queryset = visible(SyncRun.objects.all(), self.request)
        for name in ("merchant", "cart"):
            value = int_query_param(self.request, name)
            if value is not None:
                queryset = queryset.filter(**{f"{name}_id": value})
        for name, choices in (("kind", RunKind.values), ("state", RunState.values)):
            value = self.request.query_params.get(name)
            if value:
                if value not in choices:
                    raise ValidationError({name: [f"Not a run {name}: {value!r}."]})
                queryset = queryset.filter(**{name: value})
        return queryset


def _stock_record(item: dict) -> StockRecord:
    return StockRecord(
        warehouse_code=item["warehouse_code"],
        sku=item["sku"],
        quantity_on_hand=item["quantity_on_hand"],
        quantity_available=item["quantity_available"],
        quantity_allocated=item["quantity_allocated"],
        quantity_on_hold=item["quantity_on_hold"],
        wms_updated_at=item["wms_updated_at"],
        aliases=tuple(item["aliases"].items()),
        name=item["name"],
    )


class InventoryPushView(ApiView):
    @extend_schema(
        tags=["inventory"],
        operation_id="inventory_push",
        request=PushSerializer,
        responses={
            202: PushResultSerializer,
            409: OpenApiResponse(ErrorSerializer, "The merchant is not on Automatic."),
            503: OpenApiResponse(
                ErrorSerializer, "Another download is running: retry after Retry-After."
            ),
        },
    )
    def post(self, request, merchant_pk: int):
        """Push an inventory batch (the merchant's Automatic mode).

        Every record is validated first; any invalid record answers 400 naming the field and
        the record's index, and nothing is applied. Then the batch is applied all or nothing
        (only the SKUs it names: a partial update) and the Automatic carts' uploads are queued.
        Answers 202 with the run; its `state` is `failed` (with the reason in `message`) when
        the batch could not be applied, for example an alias code of another product. The same
        `request_id` sent again answers with the same run, `is_replay` true, applying nothing.
        """
        merchant = get_object_or_404(visible(Merchant.objects.all(), request), pk=merchant_pk)
        serializer = PushSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = inventory_push(
                merchant=merchant,
                request_id=data["request_id"],
                records=[_stock_record(item) for item in data["records"]],
            )
        except PushNotAccepted as error:
            raise Conflict(str(error)) from None
        except PushBusy as error:
            raise Busy(str(error)) from None
        body = PushResultSerializer({"run": result.run, "is_replay": result.is_replay}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class DownloadRequestView(ApiView):
    @extend_schema(
        tags=["runs"], operation_id="download_request", request=None, responses={202: RunSerializer}
    )
    def post(self, request, merchant_pk: int):
        """Run inventory now: queue a download of the merchant (asking again while one is
        queued answers with that run)."""
        merchant = get_object_or_404(visible(Merchant.objects.all(), request), pk=merchant_pk)
        run = download_request(merchant=merchant, user=request_person(request))
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class UploadRequestView(ApiView):
    @extend_schema(
        tags=["runs"],
        operation_id="upload_request",
        request=UploadRequestSerializer,
        responses={202: RunSerializer},
    )
    def post(self, request, cart_pk: int):
        """Upload now: queue an upload of the cart (`reconcile`: also re-read the whole cart)."""
        cart = get_object_or_404(visible(Cart.objects.all(), request), pk=cart_pk)
        serializer = UploadRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = upload_request(
            cart=cart,
            user=request_person(request),
            reconcile=serializer.validated_data["reconcile"],
        )
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
