"""Forms of the page shell."""

from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's login form; kept as our own class so the worker's ID-number login can extend it."""
