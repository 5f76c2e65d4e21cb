from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from integration_manager.views import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="merchants:list"), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", health, name="health"),
    path("merchants/", include("merchants.urls")),
    path("merchants/<int:merchant_pk>/", include("warehouses.urls")),
    path("carts/", include("carts.urls")),
    path("", include("sync.urls")),
    path("api/", include("integration_manager.api.urls")),
    path("v1/", include("integration_manager.api.cartrover_urls")),
    path("admin/", admin.site.urls),
]
