"""List filters every admin uses: a text-box filter, the districts the user may see, and an app's FilterSet.

An admin list filters with the same FilterSet as the API where the filters are the same (NetBox shares
one FilterSet between its pages and its API): :func:`filterset_filters` turns FilterSet filters into
sidebar filters with the API's parameter names, values and queries.
"""

from collections.abc import Sequence

import django_filters
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from portal.access import Action, as_scope, restrict
from portal.api.filters import BOOLEAN_VALUES


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


def district_choices(user) -> list[tuple[str, str]]:
    """The districts the user may see, as (id, name) choices."""
    from portal.models import District

    scope = as_scope(user)
    districts = District.objects.all()
    if not scope.is_city:
        districts = (
            districts.filter(pk=scope.district_id) if scope.district_id is not None else districts.none()
        )
    return [(str(d.pk), d.name) for d in districts]


class ScopedDistrictFilter(admin.SimpleListFilter):
    """District choices without a query, limited to the districts the user may see."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        return district_choices(request.user)

    def queryset(self, request, queryset):
        return queryset.filter(district_id=self.value()) if self.value() else queryset


class FilterSetFilter(admin.SimpleListFilter):
    """One filter of an app's FilterSet in an admin list's sidebar.

    The parameter is the FilterSet's (``?status=approved``, ``?employed=true``, as in the API), the
    value is read and applied by the FilterSet itself, and a value it refuses answers the admin's
    "incorrect filter" page instead of an unfiltered list. Made by :func:`filterset_filters`.
    """

    filterset_class: type[django_filters.FilterSet]
    parameter_name: str  # set by filterset_filters, where the base class allows None
    #: The sidebar's choices when the filter's own would not do (a boolean's "Employed" / "Left").
    choice_labels: Sequence[tuple[str, str]] | None = None

    def __init__(self, request, params, model, model_admin):
        self.filter = self.filterset_class.base_filters[self.parameter_name]
        self.model = model
        if self.title is None:
            self.title = _filter_title(self.filter, model)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        if self.choice_labels is not None:
            return self.choice_labels
        if self.parameter_name == "district" or self.filter.field_name == "district":
            return district_choices(request.user)  # the scope's districts, not every district
        if isinstance(self.filter, django_filters.BooleanFilter):
            return [("true", _("Yes")), ("false", _("No"))]
        if isinstance(self.filter, django_filters.ModelChoiceFilter):
            return [(str(obj.pk), str(obj)) for obj in self.filter.get_queryset(request)]
        choices = self.filter.extra.get("choices", ())
        choices = [(str(value), label) for value, label in (choices() if callable(choices) else choices)]
        if not choices and self.value() is not None:
            # A filter by id (a worker's claims, linked from the worker's page): no list of choices, but
            # the chosen one is named, so the sidebar shows it and can clear it (and Django applies only
            # filters that show something).
            return [(self.value(), self._chosen_label(request, model_admin))]
        return choices

    def _chosen_label(self, request, model_admin) -> str:
        """The row an id filter names, as its admin's pickers name it; the bare id outside the scope."""
        value = self.value() or ""
        try:
            field = self.model._meta.get_field(self.filter.field_name)
        except FieldDoesNotExist:
            return value
        if not field.is_relation or not value.isdigit():
            return value
        related_admin = model_admin.admin_site._registry.get(field.related_model)
        rows = restrict(field.related_model._default_manager.filter(pk=value), request.user, Action.VIEW)
        related = getattr(related_admin, "autocomplete_select_related", ())
        row = (rows.select_related(*related) if related else rows).first()
        if row is None:
            return value
        label = getattr(related_admin, "autocomplete_label", None)
        return str(label(row) if label is not None else row)

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if isinstance(self.filter, django_filters.BooleanFilter) and value.lower() not in BOOLEAN_VALUES:
            raise IncorrectLookupParameters(f"{self.parameter_name}={value}")
        data = QueryDict(mutable=True)
        data[self.parameter_name] = value
        filterset = self.filterset_class(data, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise IncorrectLookupParameters(filterset.errors)
        # Only this filter: the others are their own sidebar entries (or not in the sidebar at all).
        return filterset.filters[self.parameter_name].filter(
            queryset, filterset.form.cleaned_data[self.parameter_name]
        )


def _filter_title(filter_, model):
    """The filter's own label, else its model field's name, as Django titles a field's filter."""
    if filter_._label is not None:
        return filter_._label
    try:
        return model._meta.get_field(filter_.field_name).verbose_name
    except FieldDoesNotExist:
        return filter_.field_name.replace("_", " ")


def filterset_filter(
    filterset_class: type[django_filters.FilterSet],
    name: str,
    *,
    title=None,
    choices: Sequence[tuple[str, str]] | None = None,
) -> type[FilterSetFilter]:
    """A sidebar filter for one filter of a FilterSet; ``title`` and ``choices`` replace the derived ones."""
    if name not in filterset_class.base_filters:
        raise ValueError(f"{filterset_class.__name__} has no filter {name!r}")
    return type(
        f"{filterset_class.__name__}_{name}",
        (FilterSetFilter,),
        {
            "filterset_class": filterset_class,
            "parameter_name": name,
            "title": title,
            "choice_labels": choices,
            "__module__": filterset_class.__module__,
        },
    )


def filterset_filters(
    filterset_class: type[django_filters.FilterSet], *names: str
) -> list[type[FilterSetFilter]]:
    """Sidebar filters for the named filters of a FilterSet, in that order, for an admin's ``list_filter``."""
    return [filterset_filter(filterset_class, name) for name in names]
