"""Account records: one-time password links and API tokens, both stored as hashes only.

An app-less module: portal/models.py imports it, so these models belong to the ``portal`` app.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PasswordLink(models.Model):
    """A one-time link (or the code in it) a user administrator hands a member of staff to set a password.

    Nobody types another person's password: the administrator only ever sees this link, once.
    """

    user = models.ForeignKey(
        "portal.User", verbose_name=_("account"), on_delete=models.CASCADE, related_name="password_links"
    )
    # The first characters of the code find the row; the SHA-256 of the whole code proves it (the code
    # has 256 random bits, so a slow hash would add nothing).
    key_prefix = models.CharField(_("code prefix"), max_length=8, unique=True)
    key_hash = models.CharField(_("code (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    created_by = models.ForeignKey(
        "portal.User", verbose_name=_("issued by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # Set when a newer link replaces this one: only the newest link of an account ever works.
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("password link")
        verbose_name_plural = _("password links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class ApiToken(models.Model):
    """A key for the REST API that its owner issued, sees masked, rotates and revokes; it expires."""

    user = models.ForeignKey(
        "portal.User", verbose_name=_("owner"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=64, help_text=_("What the token is for, e.g. the district's statistics system.")
    )
    key_prefix = models.CharField(_("key prefix"), max_length=8, unique=True)
    key_hash = models.CharField(_("key (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "expires_at"], condition=Q(revoked_at__isnull=True), name="api_token_live"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"{self.key_prefix}••••••••"

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
