"""The admin of accounts: created and changed only by user administrators, through the account services.

Nobody types another person's password here: a new account gets a one-time link, and "Issue a password
link" replaces Django's set-password form, which is gone. Duties are check boxes on the user's page;
every change is an audit event (portal/accounts/services.py).
"""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import rights, services
from portal.choices import DISTRICT_ROLES
from portal.models import User
from portal.roles import DUTY_DESCRIPTIONS, DUTY_GROUPS

ACCOUNT_FIELDS = ["username", "first_name", "last_name", "email", "role", "district", "worker", "is_active"]


def duty_label(name: str) -> str:
    label, description = DUTY_DESCRIPTIONS.get(name, (name, ""))
    return f"{label}: {description}" if description else str(label)


class AccountForm(forms.ModelForm):
    """The account's own fields plus its duties; what the administrator may not give is not offered."""

    duties = forms.MultipleChoiceField(
        label=_("Duties"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    class Meta:
        model = User
        fields = ACCOUNT_FIELDS

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        grantable = rights.duties_grantable_by(actor) if actor is not None else []
        cast(forms.ChoiceField, self.fields["duties"]).choices = [
            (name, duty_label(name)) for name in grantable
        ]
        self.held_duties = set(rights.duty_names(self.instance)) if self.instance.pk else set()
        self.fields["duties"].initial = sorted(self.held_duties & set(grantable))
        if "role" in self.fields and actor is not None:
            allowed = set(rights.roles_grantable_by(actor))
            if self.instance.pk:
                allowed.add(self.instance.role)
            role = cast(forms.ChoiceField, self.fields["role"])
            role.choices = [(v, label) for v, label in _pairs(role) if v in allowed]
        if "worker" in self.fields:
            self.fields["worker"].widget = forms.NumberInput()  # millions of workers: no drop-down
            self.fields["worker"].help_text = _("For workers: the id of the registry record.")
        if actor is not None and actor.is_superuser:
            self.fields["is_superuser"] = forms.BooleanField(
                label=_("superuser status"),
                required=False,
                initial=self.instance.is_superuser,
                help_text=_("Every permission, and two-factor sign-in. Given and taken by a superuser only."),
            )

    def wanted_duties(self) -> set[str]:
        """Duties the account should hold: the boxes ticked, plus held ones the administrator cannot touch."""
        offered = {name for name, _label in _pairs(self.fields["duties"])}
        return set(self.cleaned_data.get("duties") or ()) | (self.held_duties - offered)

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # ModelForm.clean returns cleaned_data
        actor = self.actor
        district = cleaned.get("district")
        limited = actor is not None and not actor.is_superuser and actor.role in DISTRICT_ROLES
        if limited and district is not None and district.pk != actor.district_id:
            self.add_error("district", rights.OTHER_DISTRICT)
        return cleaned


def _pairs(field: forms.Field) -> list[tuple[str, str]]:
    """A choice field's choices: ChoiceField keeps them as a list of (value, label) pairs."""
    return cast("list[tuple[str, str]]", cast(forms.ChoiceField, field).choices)


class AccountAddForm(AccountForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "district"]


class DutyFilter(admin.SimpleListFilter):
    title = _("duty")
    parameter_name = "duty"

    def lookups(self, request, model_admin):
        return [(name, DUTY_DESCRIPTIONS.get(name, (name,))[0]) for name in DUTY_GROUPS]

    def queryset(self, request, queryset):
        if self.value() in DUTY_GROUPS:
            return queryset.filter(groups__name=self.value())
        return queryset


class UserAdmin(admin.ModelAdmin):
    form = AccountForm
    add_form = AccountAddForm
    list_display = ["username", "first_name", "last_name", "role", "district", "is_active", "two_factor"]
    list_filter = ["role", DutyFilter, "district", "is_active", "is_superuser"]
    list_select_related = ["district"]
    search_fields = ["username", "first_name", "last_name"]
    ordering = ["username"]
    actions = None
    readonly_fields = ["account_security", "last_login", "date_joined"]

    # --- Who may do what ---------------------------------------------------------------------------

    def has_add_permission(self, request):
        return rights.administers_accounts(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if not rights.administers_accounts(request.user) or not super().has_change_permission(request, obj):
            return False
        return obj is None or rights.may_change_account(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never deleted: the audit trail points at them

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .annotate(has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        )
        user = request.user
        if not user.is_superuser and user.role in DISTRICT_ROLES:
            queryset = queryset.filter(district_id=user.district_id)
        return queryset

    # --- Forms -------------------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        defaults = {"form": self.add_form if obj is None else self.form, "fields": None}
        defaults.update(kwargs)
        form_class = super().get_form(request, obj, change=change, **defaults)
        actor = request.user

        # A subclass of the class Django built for this request, which mypy cannot see as a type.
        class Form(form_class):  # type: ignore[valid-type, misc]
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=actor, **kw)

        return Form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["username", "first_name", "last_name", "email"]}),
                (_("Role and scope"), {"fields": ["role", "district"]}),
                (_("Duties"), {"fields": ["duties"]}),
            ]
        account = ["username", "first_name", "last_name", "email", "is_active"]
        if request.user.is_superuser:
            account.append("is_superuser")
        duties = ["duties"] if self.has_change_permission(request, obj) else ["duties_display"]
        return [
            (None, {"fields": account}),
            (_("Role and scope"), {"fields": ["role", "district", "worker"]}),
            (_("Duties"), {"fields": duties}),
            (_("Password and sign-in"), {"fields": ["account_security", "last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [*ACCOUNT_FIELDS, "duties_display", *self.readonly_fields]
        return [*self.readonly_fields, "duties_display"]

    @admin.display(description=_("two-factor"), boolean=True)
    def two_factor(self, user):
        return getattr(user, "has_totp", None)

    @admin.display(description=_("Duties"))
    def duties_display(self, user):
        names = sorted(rights.duty_names(user))
        if not names:
            return "—"
        return format_html_join(", ", "{}", ((str(DUTY_DESCRIPTIONS.get(n, (n,))[0]),) for n in names))

    @admin.display(description=_("Password and second factor"))
    def account_security(self, user):
        if user.pk is None:
            return ""
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return gettext("Authenticator app set up.")
        return gettext("No authenticator app yet.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        extra = {"may_administer": user is not None and rights.may_change_account(request.user, user)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    # --- Saving through the services ------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                user, code = services.account_create(
                    by=request.user,
                    username=data["username"],
                    role=data["role"],
                    district_id=data["district"].pk if data.get("district") else None,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    email=data.get("email", ""),
                    duties=form.wanted_duties(),
                )
                request._password_link_code = code
            else:
                changes = {}
                for name in form.changed_data:
                    if name in ("district", "worker"):
                        changes[f"{name}_id"] = data[name].pk if data.get(name) else None
                    elif name in ("duties",):
                        continue
                    else:
                        changes[name] = data[name]
                user = services.account_update(
                    by=request.user, user_id=obj.pk, changes=changes, duties=form.wanted_duties()
                )
        except (PermissionDenied, ValidationError) as exc:
            # The form checked what it could; a refusal that only the service sees still lands here.
            raise PermissionDenied(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        obj.pk = user.pk
        obj._state.adding = False
        obj._state.db = user._state.db

    def save_related(self, request, form, formsets, change):
        pass  # duties are saved by the service; the account has no other related rows on this page

    def response_add(self, request, obj, post_url_continue=None):
        code = getattr(request, "_password_link_code", None)
        if code is None:
            return super().response_add(request, obj, post_url_continue)
        return self._show_link(request, obj, code, created=True)

    def log_addition(self, request, obj, message):
        pass  # the portal's audit trail holds it (user.create)

    def log_change(self, request, obj, message):
        pass  # the portal's audit trail holds it (user.role_change, user.duty_grant, ...)

    # --- Password links, second factor -------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:user_id>/password/",
                self.admin_site.admin_view(self.no_password_form),
                name="{}_{}_password_change".format(*info),
            ),
            path(
                "<int:user_id>/password-link/",
                self.admin_site.admin_view(self.password_link_view),
                name="{}_{}_password_link".format(*info),
            ),
            path(
                "<int:user_id>/two-factor-reset/",
                self.admin_site.admin_view(self.two_factor_reset_view),
                name="{}_{}_two_factor_reset".format(*info),
            ),
            *super().get_urls(),
        ]

    def no_password_form(self, request, user_id):
        """Django's form for typing someone else's password is gone: passwords are set by their holder."""
        raise PermissionDenied(
            gettext(
                "Passwords are set by their holder through a one-time link; issue one on the user's page."
            )
        )

    def _target(self, request, user_id) -> User:
        user = get_object_or_404(User, pk=user_id)
        refusal = rights.account_change_refusal(request.user, user)
        if refusal is not None:
            raise PermissionDenied(refusal)
        return user

    def password_link_view(self, request, user_id):
        user = self._target(request, user_id)
        if request.method == "POST":
            try:
                code, _link = services.password_link_issue(by=request.user, user_id=user.pk)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:portal_user_change", args=[user.pk]))
            return self._show_link(request, user, code, created=False)
        return self._confirm(
            request,
            user,
            title=gettext("Issue a one-time password link"),
            text=gettext(
                "The holder of the account sets a new password with the link; earlier links stop working. "
                "The current password keeps working until then. You see the link only once."
            ),
            button=gettext("Issue the link"),
        )

    def two_factor_reset_view(self, request, user_id):
        user = self._target(request, user_id)
        if request.method == "POST":
            services.two_factor_reset(by=request.user, user_id=user.pk)
            self.message_user(
                request,
                gettext("Two-factor sign-in is reset; %(user)s sets up an authenticator at the next sign-in.")
                % {"user": user.username},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:portal_user_change", args=[user.pk]))
        return self._confirm(
            request,
            user,
            title=gettext("Reset two-factor sign-in"),
            text=gettext(
                "For a lost phone: the authenticator and recovery codes of the account are removed, and its "
                "holder sets up a new authenticator at the next sign-in. Check who is asking first."
            ),
            button=gettext("Reset"),
        )

    def _confirm(self, request, user, *, title, text, button):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "title": title,
            "text": text,
            "button": button,
        }
        return TemplateResponse(request, "admin/portal/user/confirm.html", context)

    def _show_link(self, request, user, code, *, created):
        link = request.build_absolute_uri(reverse("password-link", args=[code]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "title": gettext("One-time password link"),
            "link": link,
            "code": code,
            "created": created,
            "expires_hours": settings.STAFF_PASSWORD_LINK_HOURS,
        }
        return TemplateResponse(request, "admin/portal/user/password_link.html", context)


admin.site.register(User, UserAdmin)

# django-otp's own admin pages would let a superuser add or remove devices outside the audited services
# (its apps come before portal in INSTALLED_APPS, so they are registered by now).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
