from django.contrib import admin

from sync.models import Alert, Heartbeat, SyncRun


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "merchant", "cart", "state", "created_at", "finished_at")
    list_filter = ("kind", "state")
    list_select_related = ("merchant", "cart")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("title", "merchant", "severity", "last_seen_at", "resolved_at")
    list_select_related = ("merchant",)


admin.site.register(Heartbeat)
