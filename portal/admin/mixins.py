"""Admin classes that apply the scope of portal/access.py, so no admin page can forget it."""

from typing import cast

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from portal.access import Action, as_scope, can_access, restrict
from portal.admin.bases import ModelAdminMixinBase


class ScopedAdminMixin(ModelAdminMixinBase):
    """Lists and change pages show only rows in the user's scope; writes need write scope on the row.

    A row outside the scope is not in get_queryset at all, so guessing its id in the URL gives
    the admin's "does not exist" answer, never the record.
    """

    #: Name of the district foreign key that district staff may only set to their own district.
    scope_district_field = "district"

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, Action.VIEW)

    def changelist_view(self, request, extra_context=None):
        # A list takes the page's whole width (at 1366 px the menu column would push its right-hand
        # columns out of sight); the menu is the index, one click away in the breadcrumbs.
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

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
                from portal.models import District

                districts = District.objects.all()
                kwargs["queryset"] = (
                    districts.filter(pk=scope.district_id)
                    if scope.district_id is not None
                    else districts.none()
                )
        if db_field.name in getattr(self, "writable_relations", ()):
            # The form writes through this choice: only rows the user may change, as its autocomplete.
            related = kwargs.get("queryset", db_field.related_model._default_manager.all())
            kwargs["queryset"] = restrict(related, request.user, Action.CHANGE)
        return self._labelled(db_field, super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._labelled(db_field, super().formfield_for_manytomany(db_field, request, **kwargs))

    def _labelled(self, db_field, formfield):
        """Choices named as the related admin's autocomplete names them (a worker: name, masked ID number,
        enterprise), so the chosen row reads the same in the box as in the list of suggestions."""
        related_admin = self.admin_site._registry.get(db_field.related_model)
        return label_choices(formfield, related_admin)


def label_choices(formfield, related_admin):
    """``formfield`` (a model choice field) labelling its rows with ``related_admin.autocomplete_label``."""
    label = getattr(related_admin, "autocomplete_label", None)
    if formfield is None or label is None:
        return formfield
    formfield.label_from_instance = label
    related = getattr(related_admin, "autocomplete_select_related", ())
    if related:
        formfield.queryset = formfield.queryset.select_related(*related)
    return formfield


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError on a form: each error on the field it names, the rest on the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ServiceModelForm(forms.ModelForm):
    """An admin form whose save is a service call, so the admin obeys the same rules as the API.

    Model validation is replaced by the service: it runs in ``_post_clean`` (inside the admin's
    transaction), its ValidationErrors land on the named fields, and ``save`` returns its result.
    Subclasses implement ``call_service(user, data, instance)``; ``request`` is set by the admin.
    """

    request: HttpRequest | None = None

    def call_service(self, user, data: dict, instance):
        raise NotImplementedError

    def _post_clean(self):
        if self.errors:
            return
        assert self.request is not None, "the admin sets the request (ServiceAdminMixin.get_form)"
        try:
            with transaction.atomic():
                self.instance = self.call_service(self.request.user, self.cleaned_data, self.instance)
        except ValidationError as exc:
            self._add_service_errors(exc)
        except PermissionDenied as exc:
            self.add_error(None, str(exc) or gettext("You may not change this record."))

    def _add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)

    def save(self, commit=True):
        return self.instance

    def save_m2m(self):
        pass


class ServiceAdminMixin(ScopedAdminMixin):
    """Admin whose form is a ServiceModelForm: hands the request to the form, saves nothing itself."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # modelform_factory made a fresh class (of the admin's ServiceModelForm) for this request
        cast("type[ServiceModelForm]", form).request = request
        return form

    def save_model(self, request, obj, form, change):
        pass  # the service already saved, inside the admin's transaction

    def save_related(self, request, form, formsets, change):
        # Inlines on these pages are read-only; the change message still reads what they saved.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class AllOrNothingMixin(ModelAdminMixinBase):
    """A POST that does not succeed (a form, an inline, or a service refused) leaves nothing behind.

    ServiceModelForm calls its service while the form is validated, before the admin validates the
    inlines; without this, a record could be saved while the page shows its inlines' errors.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and not _succeeded(response):
                transaction.set_rollback(True)
        return response


def _succeeded(response) -> bool:
    # A saved form redirects; one saved in a popup (the "+" beside a field) answers with popup_response.
    return response.status_code == 302 or "popup_response" in str(getattr(response, "template_name", ""))
