"""Admin classes that apply the scope of portal/access.py, so no admin page can forget it."""

from portal.access import Action, as_scope, can_access, restrict


class ScopedAdminMixin:
    """Lists and change pages show only rows in the user's scope; writes need write scope on the row.

    A row outside the scope is not in get_queryset at all, so guessing its id in the URL gives
    the admin's "does not exist" answer, never the record.
    """

    #: Name of the district foreign key that district staff may only set to their own district.
    scope_district_field = "district"

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or can_access(request.user, obj, Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or can_access(request.user, obj, Action.CHANGE)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.scope_district_field:
            scope = as_scope(request.user)
            if not scope.is_city:
                from workers.models import District

                kwargs["queryset"] = District.objects.filter(pk=scope.district_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
