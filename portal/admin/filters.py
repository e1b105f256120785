"""List filters every admin uses: a text-box filter, and the districts the user may see."""

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.utils.translation import gettext_lazy as _

from portal.access import as_scope


class InputFilter(admin.SimpleListFilter):
    """A list filter with a text box, for values with too many choices to list (credit codes)."""

    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return ((),)  # Django shows a filter only if it has lookups; the template ignores them

    def choices(self, changelist):
        query = changelist.get_query_string(remove=[self.parameter_name])
        # The list's other filters and search, as hidden fields of the filter's form, so that typing a
        # value keeps them (the filter template gets no ``cl``).
        hidden = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name != self.parameter_name
            for value in values
        ]
        if changelist.query:
            hidden.append((SEARCH_VAR, changelist.query))
        yield {
            "query_string": query,
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "hidden": hidden,
        }


class ScopedDistrictFilter(admin.SimpleListFilter):
    """District choices without a query, limited to the districts the user may see."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        from portal.models import District

        scope = as_scope(request.user)
        districts = District.objects.all()
        if not scope.is_city:
            districts = districts.filter(pk=scope.district_id)
        return [(str(d.pk), d.name) for d in districts]

    def queryset(self, request, queryset):
        return queryset.filter(district_id=self.value()) if self.value() else queryset
