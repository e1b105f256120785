"""django-filter for the API, refusing values it cannot read instead of ignoring them.

django-filter's boolean widget reads anything it does not know (``?current=maybe``) as "not given", so a
typo silently returns the unfiltered list. The API answers 400 naming the parameter, as the schema says.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

#: What django_filters.widgets.BooleanWidget reads (any case); "" is an optional filter left empty.
BOOLEAN_VALUES = frozenset({"", "true", "false", "1", "0"})


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {
                name: [_("Give true or false.")]
                for name, filter_ in filterset.filters.items()
                if isinstance(filter_, BooleanFilter)
                and any(value.lower() not in BOOLEAN_VALUES for value in request.query_params.getlist(name))
            }
            if errors:
                raise exceptions.ValidationError(errors)
        return filterset
