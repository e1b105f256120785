"""Admin of the registry."""

from django.contrib import admin

from portal.admin_mixins import ScopedAdminMixin
from workers.models import District


@admin.register(District)
class DistrictAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False  # the ten divisions are loaded by a migration

    def has_delete_permission(self, request, obj=None):
        return False
