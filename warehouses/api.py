"""/api/v1/warehouses/, /products/, /aliases/, /levels/: what the warehouse system reported."""

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins

from integration_manager.api.tenancy import visible
from integration_manager.api.views import ApiGenericViewSet, int_query_param
from warehouses.models import Alias, InventoryLevel, Product, Warehouse
from warehouses.serializers import (
    AliasSerializer,
    LevelSerializer,
    ProductSerializer,
    WarehouseSerializer,
)
from warehouses.services import warehouse_default_set, warehouse_update

MERCHANT = OpenApiParameter("merchant", OpenApiTypes.INT, description="Only this merchant's.")
SKU = OpenApiParameter("sku", OpenApiTypes.STR, description="Exactly this SKU.")
ALIAS = OpenApiParameter("alias", OpenApiTypes.STR, description="Has exactly this alias code.")
WAREHOUSE = OpenApiParameter("warehouse", OpenApiTypes.INT, description="In this warehouse.")


def _filter_merchant(queryset, request, path: str):
    merchant_id = int_query_param(request, "merchant")
    return queryset if merchant_id is None else queryset.filter(**{path: merchant_id})


@extend_schema(tags=["warehouses"], parameters=[MERCHANT])
class WarehouseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ApiGenericViewSet,
):
    """Warehouses, Default first. PATCH renames (`name`), disables or enables (`is_enabled`: a
    disabled warehouse counts in no total) or makes a warehouse the Default (`is_default: true`;
    the merchant keeps exactly one)."""

    serializer_class = WarehouseSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        queryset = visible(Warehouse.objects.all(), self.request).order_by("id")
        return _filter_merchant(queryset, self.request, "merchant_id")

    def perform_update(self, serializer):
        warehouse = serializer.instance
        data = serializer.validated_data
        with transaction.atomic():
            warehouse = warehouse_update(
                warehouse=warehouse,
                name=data.get("name", warehouse.name),
                is_enabled=data.get("is_enabled", warehouse.is_enabled),
            )
            if data.get("is_default") and not warehouse.is_default:
                warehouse = warehouse_default_set(warehouse=warehouse)
        serializer.instance = warehouse


def _product_filters(queryset, request, product_path: str):
    sku = request.query_params.get("sku")
    if sku:
        queryset = queryset.filter(**{f"{product_path}sku": sku})
    alias = request.query_params.get("alias")
    if alias:
        queryset = queryset.filter(
            Exists(Alias.objects.filter(product=OuterRef(f"{product_path}pk"), value=alias))
        )
    return queryset


@extend_schema(tags=["inventory"], parameters=[MERCHANT, SKU, ALIAS, WAREHOUSE])
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    """Products with their aliases and their level in each warehouse (Add/View Products)."""

    serializer_class = ProductSerializer

    def get_queryset(self):
        queryset = visible(Product.objects.all(), self.request).prefetch_related(
            "aliases",
            Prefetch("levels", InventoryLevel.objects.select_related("warehouse").order_by("id")),
        )
        queryset = _filter_merchant(queryset, self.request, "merchant_id")
        queryset = _product_filters(queryset, self.request, "")
        warehouse_id = int_query_param(self.request, "warehouse")
        if warehouse_id is not None:
            queryset = queryset.filter(
                Exists(
                    InventoryLevel.objects.filter(product=OuterRef("pk"), warehouse=warehouse_id)
                )
            )
        return queryset


@extend_schema(tags=["inventory"], parameters=[MERCHANT, SKU, ALIAS])
class AliasViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    """Alias codes (`sku`: of this product; `alias`: this code)."""

    serializer_class = AliasSerializer

    def get_queryset(self):
        queryset = visible(Alias.objects.all(), self.request).select_related("product")
        queryset = _filter_merchant(queryset, self.request, "merchant_id")
        sku = self.request.query_params.get("sku")
        if sku:
            queryset = queryset.filter(product__sku=sku)
        alias = self.request.query_params.get("alias")
        if alias:
            queryset = queryset.filter(value=alias)
        return queryset


@extend_schema(tags=["inventory"], parameters=[MERCHANT, SKU, ALIAS, WAREHOUSE])
class LevelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    """Inventory levels, one per product and warehouse, with when each was loaded."""

    serializer_class = LevelSerializer

    def get_queryset(self):
        queryset = visible(InventoryLevel.objects.all(), self.request).select_related(
            "product", "warehouse"
        )
        queryset = _filter_merchant(queryset, self.request, "product__merchant_id")
        queryset = _product_filters(queryset, self.request, "product__")
        warehouse_id = int_query_param(self.request, "warehouse")
        if warehouse_id is not None:
            queryset = queryset.filter(warehouse_id=warehouse_id)
        return queryset
