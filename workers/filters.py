"""FilterSets of the registry, shared by the API, the admin lists and exports.

Every filter is served by an index or rides the primary-key walk of cursor pagination: names match
by prefix only (a varchar_pattern_ops index). Personal data is no filter at all, as a filter is a query
string: the API's lookup actions take it in a POST body and match it exactly through its blind index.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portal.models import District
from workers import validators
from workers.choices import Education, Nomination, Ownership, PilotLevel, SizeBand, SkillLevel
from workers.models import (
    CraftsmanAward,
    CraftsmanTitle,
    Employment,
    Enterprise,
    SkillCertificate,
    Worker,
)
from workers.skills import valid_on_q


class _Int64Field(forms.IntegerField):
    """A whole number a database column can hold: SQLite cannot bind a larger one (OverflowError, a 500)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT64)
class IntegerFilter(django_filters.NumberFilter):
    """Whole numbers, and foreign keys by id without loading the row (a ModelChoiceFilter queries)."""

    field_class = _Int64Field


def _district_filters(path: str = "district"):
    district = django_filters.ModelChoiceFilter(
        field_name=path, queryset=District.objects.all(), label=_("district")
    )
    district_code = django_filters.CharFilter(field_name=f"{path}__code", label=_("district code"))
    return district, district_code


def blind_index_lookup(queryset, hash_field: str, value: str):
    """Rows whose personal data equals ``value`` after normalisation; the ciphertext is never compared."""
    digest = Worker._meta.get_field(hash_field).index_for(value)
    if digest is None:
        return queryset.none()
    return queryset.filter(**{hash_field: digest})


class DistrictFilterSet(django_filters.FilterSet):
    class Meta:
        model = District
        fields = {"code": ["exact"], "kind": ["exact"]}


class EnterpriseFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    name__startswith = django_filters.CharFilter(
        field_name="name", lookup_expr="startswith", label=_("name starts with")
    )
    credit_code = django_filters.CharFilter(
        method="filter_credit_code", label=_("unified social credit code")
    )
    above_scale = django_filters.BooleanFilter()
    ownership = django_filters.ChoiceFilter(choices=Ownership.choices)
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices)
    pilot_level = django_filters.ChoiceFilter(choices=PilotLevel.choices)
    has_union = django_filters.BooleanFilter(method="filter_has_union", label=_("has a union"))

    class Meta:
        model = Enterprise
        fields = []

    def filter_credit_code(self, queryset, name, value: str):
        return queryset.filter(credit_code=validators.normalise_uscc(value))

    def filter_has_union(self, queryset, name, value: bool):
        return queryset.filter(union_established_on__isnull=not value)


class WorkerFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    enterprise = IntegerFilter(field_name="enterprise", label=_("enterprise"))
    name__startswith = django_filters.CharFilter(
        field_name="name", lookup_expr="startswith", label=_("name starts with")
    )
    skill_level = django_filters.ChoiceFilter(choices=SkillLevel.choices)
    skill_level__gte = django_filters.ChoiceFilter(
        field_name="skill_level",
        lookup_expr="gte",
        choices=SkillLevel.choices,
        label=_("skill level at least"),
    )
    employed = django_filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label=_("employed"))
    union_member = django_filters.BooleanFilter()
    education = django_filters.ChoiceFilter(choices=Education.choices)

    class Meta:
        model = Worker
        fields = []


class EmploymentFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    worker = IntegerFilter(field_name="worker", label=_("worker"))
    enterprise = IntegerFilter(field_name="enterprise", label=_("enterprise"))
    current = django_filters.BooleanFilter(field_name="ended_on", lookup_expr="isnull", label=_("current"))

    class Meta:
        model = Employment
        fields = []


class SkillCertificateFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters("worker__district")
    worker = IntegerFilter(field_name="worker", label=_("worker"))
    # The API calls the level skill_level, as on the worker, so one query string serves both lists.
    skill_level = django_filters.ChoiceFilter(field_name="level", choices=SkillLevel.choices)
    skill_level__gte = django_filters.ChoiceFilter(
        field_name="level", lookup_expr="gte", choices=SkillLevel.choices, label=_("skill level at least")
    )
    occupation = django_filters.CharFilter()
    number = django_filters.CharFilter()
    revoked = django_filters.BooleanFilter(method="filter_revoked", label=_("revoked"))
    issued_on__gte = django_filters.DateFilter(field_name="issued_on", lookup_expr="gte")
    issued_on__lte = django_filters.DateFilter(field_name="issued_on", lookup_expr="lte")
    valid_on = django_filters.DateFilter(method="filter_valid_on", label=_("valid on"))

    class Meta:
        model = SkillCertificate
        fields = []

    def filter_revoked(self, queryset, name, value: bool):
        return queryset.filter(revoked_on__isnull=not value)

    def filter_valid_on(self, queryset, name, value):
        # The same rule the skill levels and the indicators use, so the list agrees with the counts.
        return queryset.filter(valid_on_q(value))


class CraftsmanTitleFilterSet(django_filters.FilterSet):
    class Meta:
        model = CraftsmanTitle
        fields = {"level": ["exact"], "tier": ["exact"], "active": ["exact"]}


class CraftsmanAwardFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters("worker__district")
    worker = IntegerFilter(field_name="worker", label=_("worker"))
    title = django_filters.ModelChoiceFilter(queryset=CraftsmanTitle.objects.all())
    year = IntegerFilter(field_name="year")
    year__gte = IntegerFilter(field_name="year", lookup_expr="gte")
    year__lte = IntegerFilter(field_name="year", lookup_expr="lte")
    locally_trained = django_filters.BooleanFilter()
    nominated_by = django_filters.ChoiceFilter(choices=Nomination.choices)

    class Meta:
        model = CraftsmanAward
        fields = []
