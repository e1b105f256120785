"""Forms of the account pages: second factor, one-time password link, API tokens."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.forms import NewPasswordForm, ServiceErrorsMixin

_CODE_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "one-time-code",
    "autocapitalize": "none",
    "spellcheck": "false",
    "maxlength": "16",
}


class TwoFactorCodeForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(attrs=_CODE_ATTRS),
    )


class VerifyForm(TwoFactorCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        )
        self.fields["code"].widget.attrs["inputmode"] = "text"


class PasswordLinkForm(NewPasswordForm):
    """Redeeming a one-time link: the code (pre-filled from the link) and the new password."""

    code = forms.CharField(
        label=_("One-time code"),
        max_length=80,
        help_text=_("The code your user administrator gave you (it is also part of the link)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    field_order = ["code", "new_password1", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _(
            "At least 8 characters, not only digits, not like your user name."
        )


class ApiTokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("What is it for?"),
        max_length=64,
        help_text=_("For example the district's statistics system; you see this name in the list."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=settings.API_TOKEN_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
