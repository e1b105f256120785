"""FilterSets of the registry, shared by the API, the admin lists and exports."""

import django_filters

from workers.models import District


class DistrictFilterSet(django_filters.FilterSet):
    class Meta:
        model = District
        fields = {"code": ["exact"], "kind": ["exact"]}
