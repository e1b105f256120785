"""Forms of the page shell."""

from django.contrib.auth.forms import AuthenticationForm
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
