"""Admin of training programmes, enrolments and apprenticeships: scoped, fast at city scale, writes through the services."""

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from portal.admin.bigtable import BigTableAdmin
from portal.admin.filters import filterset_filters
from portal.admin.importexport import ImportExportMixin
from portal.admin.mixins import ServiceAdminMixin, ServiceModelForm
from portal.admin.relations import ScopedRelationsMixin
from training.admin.common import field_label, pk_or_none
from training.choices import EnrollmentStatus
from training.filters import ApprenticeshipFilterSet, EnrollmentFilterSet, TrainingProgramFilterSet
from training.importers.enrollment import EnrollmentImporter
from training.importers.program import TrainingProgramImporter
from training.models import Apprenticeship, Enrollment, TrainingProgram
from training.resources import EnrollmentResource, TrainingProgramResource
from training.services.programs import apprenticeship_create, enrollment_complete, enrollment_create


@admin.register(TrainingProgram)
class TrainingProgramAdmin(ImportExportMixin, BigTableAdmin):
    resource_class = TrainingProgramResource
    importer_key = TrainingProgramImporter.key
    list_display = [
        "reference",
        "name",
        "program_type",
        "district",
        "provider",
        "starts_on",
        "ends_on",
        "capacity",
    ]
    list_select_related = ["district", "provider_enterprise"]
    list_filter = filterset_filters(TrainingProgramFilterSet, "program_type", "district", "target_level")
    search_fields = ["^name"]
    autocomplete_fields = ["provider_enterprise"]

    @admin.display(description=_("program number"), ordering="pk")
    def reference(self, obj):
        # The model's property has no name of its own: the heading would read REFERENCE.
        return obj.reference

    @admin.display(description=_("provider"))
    def provider(self, obj):
        return obj.provider_enterprise or obj.provider_school

    def has_delete_permission(self, request, obj=None):
        return False  # enrolments hang on a program: person-times must not vanish


class EnrollmentForm(ServiceModelForm):
    class Meta:
        model = Enrollment
        fields = ["worker", "program", "enrolled_on", "completed_on", "certificate"]

    def call_service(self, user, data, instance):
        if instance.pk is None:
            return enrollment_create(
                by=user,
                worker_id=data["worker"].pk,
                program_id=data["program"].pk,
                enrolled_on=data["enrolled_on"],
            )
        if data.get("completed_on"):
            return enrollment_complete(
                by=user,
                enrollment_id=instance.pk,
                completed_on=data["completed_on"],
                certificate_id=pk_or_none(data.get("certificate")),
            )
        return instance


@admin.register(Enrollment)
class EnrollmentAdmin(ImportExportMixin, ScopedRelationsMixin, ServiceAdminMixin, BigTableAdmin):
    resource_class = EnrollmentResource
    importer_key = EnrollmentImporter.key
    form = EnrollmentForm
    list_display = ["worker_name", "program", "district", "enrolled_on", "status", "completed_on"]
    list_select_related = ["program", "district"]
    list_filter = filterset_filters(EnrollmentFilterSet, "status", "district", "worker")
    autocomplete_fields = ["worker", "program", "certificate"]
    scoped_relations = ("worker", "program", "certificate")

    def get_queryset(self, request):
        # The name by a join: loading the worker row would decrypt their personal data for nothing.
        return super().get_queryset(request).annotate(worker_name=F("worker__name"))

    @admin.display(description=field_label(Enrollment, "worker"))
    def worker_name(self, obj):
        return obj.worker_name

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["worker", "program", "enrolled_on"]
        return ["worker", "program", "district", "enrolled_on", "status", "completed_on", "certificate"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["worker", "program", "district", "enrolled_on", "status"]
        # Completing is the one change an enrolment takes (enrollment_complete); then it is history.
        return fixed if obj.status == EnrollmentStatus.ENROLLED else [*fixed, "completed_on", "certificate"]

    def has_delete_permission(self, request, obj=None):
        return False


class ApprenticeshipForm(ServiceModelForm):
    class Meta:
        model = Apprenticeship
        fields = ["master", "apprentice", "occupation", "skill_target", "starts_on", "ends_on"]

    def call_service(self, user, data, instance):
        return apprenticeship_create(
            by=user,
            master_id=data["master"].pk,
            apprentice_id=data["apprentice"].pk,
            occupation=data["occupation"],
            skill_target=data["skill_target"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )


@admin.register(Apprenticeship)
class ApprenticeshipAdmin(ScopedRelationsMixin, ServiceAdminMixin, BigTableAdmin):
    form = ApprenticeshipForm
    list_display = ["master_name", "apprentice_name", "occupation", "district", "starts_on", "ends_on"]
    list_select_related = ["district"]
    list_filter = [*filterset_filters(ApprenticeshipFilterSet, "district"), "skill_target"]
    autocomplete_fields = ["master", "apprentice"]
    scoped_relations = ("master", "apprentice")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(master_name=F("master__name"), apprentice_name=F("apprentice__name"))
        )

    @admin.display(description=field_label(Apprenticeship, "master"))
    def master_name(self, obj):
        return obj.master_name

    @admin.display(description=field_label(Apprenticeship, "apprentice"))
    def apprentice_name(self, obj):
        return obj.apprentice_name

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # a pair is not edited

    def has_delete_permission(self, request, obj=None):
        return False
