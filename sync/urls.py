from django.urls import path

from sync import views

app_name = "sync"

urlpatterns = [
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("status/", views.StatusView.as_view(), name="status"),
]
