from django.urls import path

from merchants import views

app_name = "merchants"

urlpatterns = [
    path("", views.MerchantListView.as_view(), name="list"),
    path("<int:pk>/", views.MerchantDetailView.as_view(), name="detail"),
]
