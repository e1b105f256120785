"""The seed app: installed so that Django finds its management commands (seed_city, seed_demo, demo_totp)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SeedConfig(AppConfig):
    name = "seed"
    verbose_name = _("Synthetic city and demo")
