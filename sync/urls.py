from django.urls import path

from sync import views

app_name = "sync"

urlpatterns = [
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/progress/", views.RunProgressView.as_view(), name="run_progress"),
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("alerts/<int:pk>/dismiss/", views.AlertDismissView.as_view(), name="alert_dismiss"),
    path("status/", views.StatusView.as_view(), name="status"),
    path("troubleshooter/", views.TroubleshooterView.as_view(), name="troubleshooter"),
]
