"""Admin actions that ask for one more value first, and the messages that say what they changed and why not."""

from collections.abc import Mapping
from typing import Protocol

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.admin.bases import ModelAdminMixinBase

#: How many references one message (or an action's confirmation page) lists before "and N more".
REFERENCES_SHOWN = 20
#: Actions that call a service once per row take at most this many rows.
MAX_ONE_BY_ONE = 500


class Outcome(Protocol):
    """What a bulk service or a one-by-one loop reports: how many rows changed, and why the others did not."""

    changed: int
    refused: Mapping[str, list[str]]  # reason -> references of the rows it kept back


def capped(references: list[str]) -> str:
    shown = ", ".join(references[:REFERENCES_SHOWN])
    more = len(references) - REFERENCES_SHOWN
    if more > 0:
        shown += " " + ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more}
    return shown


def report_refusals(request, refused: Mapping[str, list[str]]) -> None:
    """Each reason with the rows it kept back (capped, so a message stays short)."""
    for reason, references in refused.items():
        messages.warning(
            request,
            gettext("%(reason)s: %(references)s") % {"reason": reason, "references": capped(references)},
        )


def report_outcome(request, outcome: Outcome, done: str) -> None:
    """What changed, then each reason with the rows it kept back."""
    (messages.success if outcome.changed else messages.info)(request, done % {"count": outcome.changed})
    report_refusals(request, outcome.refused)


def error_text(exc) -> str:
    """A service's refusal (ValidationError or PermissionDenied) as one line for a message."""
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def selected_ids(request, queryset, limit: int) -> list[int] | None:
    """The selected rows' ids, or None (with an error message) when more than ``limit`` are selected."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: limit + 1])
    if len(ids) > limit:
        messages.error(
            request,
            gettext("Select at most %(limit)d rows for this action; nothing was changed.") % {"limit": limit},
        )
        return None
    return ids


class ActionFormMixin(ModelAdminMixinBase):
    """Actions that ask for one more value first (a reason, a bank reference), like Django's delete page."""

    action_form_template = "admin/portal/action_form.html"

    def ask_then_run(self, request, queryset, *, form_class, title, intro, submit, run):
        ids = selected_ids(request, queryset, MAX_ONE_BY_ONE)
        if ids is None:
            return None
        form = form_class(request.POST if request.POST.get("post") else None)
        if form.is_bound and form.is_valid():
            run(form.cleaned_data)
            return None  # back to the list, where the messages are shown
        shown = [str(obj) for obj in queryset.order_by("pk")[:REFERENCES_SHOWN]]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "opts": self.model._meta,
            "form": form,
            "shown": shown,
            "more": max(len(ids) - len(shown), 0),
            "selected": ids,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.action_form_template, context)


class ReasonForm(forms.Form):
    """The reason an action asks for when the person concerned reads it (a rejection, a cancellation)."""

    reason = forms.CharField(
        label=_("reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("The worker reads it."),
    )
