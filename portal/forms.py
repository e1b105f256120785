"""Forms of the page shell, and the pieces the account and self-service forms share."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form; kept as our own class so the worker's ID-number login can extend it."""

    # Our own wording, translated in our catalogue: Django's zh-Hans text for these reads stiffly,
    # and the message must not say whether the user name exists.
    error_messages = {
        "invalid_login": _("The user name or password is incorrect. Passwords are case-sensitive."),
        "inactive": _("This account is disabled. Please contact your union office."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        # Phones otherwise capitalise or "correct" the first letter of a user name.
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class ServiceErrorsMixin(_FormBase):
    """Put a service's ValidationError on the fields it names; unknown fields go to the whole form."""

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)


class NewPasswordForm(ServiceErrorsMixin, forms.Form):
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_(
            "At least 8 characters, not only digits, and not your ID number, birth date or phone number."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        return cleaned
