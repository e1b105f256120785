"""FilterSets of mediation, shared by the API, the admin lists and exports."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mediation import deadlines
from mediation.choices import TRANSFERRED_SOURCES, CaseSource, CaseStatus, CommitteeKind, DisputeType
from mediation.models import DisputeCase, MediationCommittee
from mediation.selectors import committee_exists_on_q
from portal.models import District
from workers.filters import IntegerFilter


def _district_filters():
    district = django_filters.ModelChoiceFilter(
        field_name="district", queryset=District.objects.all(), label=_("district")
    )
    district_code = django_filters.CharFilter(field_name="district__code", label=_("district code"))
    return district, district_code


def _flag(queryset, condition, value: bool):
    return queryset.filter(condition) if value else queryset.exclude(condition)


class DisputeCaseFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    number = django_filters.CharFilter(label=_("case number"))
    enterprise = IntegerFilter(field_name="enterprise", label=_("enterprise"))
    committee = IntegerFilter(field_name="committee", label=_("mediation committee"))
    worker = IntegerFilter(field_name="applicants", label=_("applicant (worker id)"))
    dispute_type = django_filters.ChoiceFilter(choices=DisputeType.choices)
    source = django_filters.ChoiceFilter(choices=CaseSource.choices)
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    transferred = django_filters.BooleanFilter(method="filter_transferred", label=_("transferred case"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open (time limit running)"))
    due_soon = django_filters.BooleanFilter(method="filter_due_soon", label=_("due within 3 days"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("past the time limit"))
    received_on__gte = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_on__lte = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    accepted_on__gte = django_filters.DateFilter(field_name="accepted_on", lookup_expr="gte")
    accepted_on__lte = django_filters.DateFilter(field_name="accepted_on", lookup_expr="lte")
    concluded_on__gte = django_filters.DateFilter(field_name="concluded_on", lookup_expr="gte")
    concluded_on__lte = django_filters.DateFilter(field_name="concluded_on", lookup_expr="lte")

    class Meta:
        model = DisputeCase
        fields = []

    def filter_transferred(self, queryset, name, value: bool):
        return _flag(queryset, Q(source__in=TRANSFERRED_SOURCES), value)

    def filter_open(self, queryset, name, value: bool):
        return _flag(queryset, deadlines.open_q(), value)

    def filter_due_soon(self, queryset, name, value: bool):
        return _flag(queryset, deadlines.due_soon_q(timezone.localdate()), value)

    def filter_overdue(self, queryset, name, value: bool):
        return _flag(queryset, deadlines.overdue_q(timezone.localdate()), value)


class MediationCommitteeFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    kind = django_filters.ChoiceFilter(choices=CommitteeKind.choices)
    enterprise = IntegerFilter(field_name="enterprise", label=_("enterprise"))
    exists_on = django_filters.DateFilter(method="filter_exists_on", label=_("exists on"))
    standing = django_filters.BooleanFilter(method="filter_standing", label=_("exists today"))

    class Meta:
        model = MediationCommittee
        fields = []

    def filter_exists_on(self, queryset, name, value):
        return queryset.filter(committee_exists_on_q(value))

    def filter_standing(self, queryset, name, value: bool):
        return _flag(queryset, committee_exists_on_q(timezone.localdate()), value)
