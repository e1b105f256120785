"""FilterSets of training and money, shared by the API, the admin lists and exports.

Each filter is served by an index or narrows a list the primary-key walk of cursor pagination
already bounds; nothing matches inside text, and personal data matches only through its blind index.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from training.choices import BatchStatus, ClaimKind, ClaimStatus, EnrollmentStatus, ProgramType
from training.models import Apprenticeship, Claim, Enrollment, PaymentBatch, SubsidyRule, TrainingProgram
from training.models.claim import REFERENCE_PREFIX, claim_id_from_reference
from workers.choices import SkillLevel
from workers.filters import IntegerFilter


def _district_filters(path: str = "district"):
    # By id without loading the district row; by its GB/T 2260 code through the join.
    district = IntegerFilter(field_name=path, label=_("district"))
    district_code = django_filters.CharFilter(field_name=f"{path}__code", label=_("district code"))
    return district, district_code


class TrainingProgramFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    program_type = django_filters.ChoiceFilter(choices=ProgramType.choices)
    provider_enterprise = IntegerFilter(field_name="provider_enterprise", label=_("provider (enterprise)"))
    occupation = django_filters.CharFilter()
    target_level = django_filters.ChoiceFilter(choices=SkillLevel.choices)
    running_on = django_filters.DateFilter(method="filter_running_on", label=_("running on"))

    class Meta:
        model = TrainingProgram
        fields = []

    def filter_running_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)


class EnrollmentFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    worker = IntegerFilter(field_name="worker", label=_("worker"))
    program = IntegerFilter(field_name="program", label=_("program"))
    status = django_filters.ChoiceFilter(choices=EnrollmentStatus.choices)
    enrolled_on__gte = django_filters.DateFilter(field_name="enrolled_on", lookup_expr="gte")
    enrolled_on__lte = django_filters.DateFilter(field_name="enrolled_on", lookup_expr="lte")

    class Meta:
        model = Enrollment
        fields = []


class ApprenticeshipFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    master = IntegerFilter(field_name="master", label=_("master"))
    apprentice = IntegerFilter(field_name="apprentice", label=_("apprentice"))
    enterprise = IntegerFilter(field_name="enterprise", label=_("enterprise"))
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("active on"))

    class Meta:
        model = Apprenticeship
        fields = []

    def filter_active_on(self, queryset, name, value):
        # The same reading as the apprenticeships_active indicator: started, not ended, not terminated.
        return queryset.filter(starts_on__lte=value, ends_on__gte=value).filter(
            Q(terminated_on__isnull=True) | Q(terminated_on__gt=value)
        )


class SubsidyRuleFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ClaimKind.choices)
    # Named as on certificates and workers: one name for one ladder.
    skill_level = django_filters.ChoiceFilter(field_name="level", choices=SkillLevel.choices)
    district, district_code = _district_filters()
    in_force_on = django_filters.DateFilter(method="filter_in_force_on", label=_("in force on"))

    class Meta:
        model = SubsidyRule
        fields = []

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=value)
        )


class ClaimFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    kind = django_filters.ChoiceFilter(choices=ClaimKind.choices)
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices)
    worker = IntegerFilter(field_name="worker", label=_("worker"))
    reference = django_filters.CharFilter(method="filter_reference", label=_("claim reference"))
    submitted_online = django_filters.BooleanFilter()
    submitted_at__gte = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_at__lt = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = Claim
        fields = []

    def filter_reference(self, queryset, name, value: str):
        return claims_by_reference(queryset, value)


class PaymentBatchFilterSet(django_filters.FilterSet):
    district, district_code = _district_filters()
    city_wide = django_filters.BooleanFilter(
        field_name="district", lookup_expr="isnull", label=_("city-wide batch")
    )
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices)

    class Meta:
        model = PaymentBatch
        fields = []


def claims_by_reference(queryset, reference: str):
    """The claim a reference such as BT2025-00001234 names; a prefix of another kind matches nothing."""
    claim_id = claim_id_from_reference(reference)
    if claim_id is None:
        return queryset.none()
    queryset = queryset.filter(pk=claim_id)
    # A reference quoted with the wrong kind is a misread, not a different way to name the claim.
    head = reference.strip().upper().rsplit("-", 1)[0] if "-" in reference else ""
    prefix = head.rstrip("0123456789")
    kinds = [kind for kind, known in REFERENCE_PREFIX.items() if known == prefix]
    if prefix and not kinds:
        return queryset.none()
    return queryset.filter(kind__in=kinds) if kinds else queryset
