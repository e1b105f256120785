"""The audit trail in words: a label for every action the code records, and its details as labelled rows.

Services record actions as codes ("claim.approve") so the log can be filtered and exported exactly;
people read them through these labels. A code without a label still shows, as itself, and
tests/portal/test_audit_admin.py fails until every action the code records has one here.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import localize
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # Claims and payments
    "claim.submit": _("Claim submitted"),
    "claim.review": _("Claim reviewed"),
    "claim.approve": _("Claim approved"),
    "claim.reject": _("Claim rejected"),
    "claim.cancel": _("Claim cancelled"),
    "claim.pay": _("Claim marked paid"),
    "claim.return": _("Payment returned by the bank"),
    "claim.account_reconfirm": _("Same bank account confirmed again for a returned claim"),
    # Payment batches and payments
    "batch.create": _("Payment batch created"),
    "batch.add_claims": _("Claims added to a payment batch"),
    "batch.remove_claims": _("Claims removed from a payment batch"),
    "batch.send": _("Payment batch sent to the bank"),
    "batch.disbursement_download": _("Disbursement file downloaded"),
    "batch.mark_paid": _("Payments of a batch marked paid"),
    "batch.reconcile": _("Bank result file reconciled"),
    "batch.close": _("Payment batch closed"),
    "payment.mark_paid": _("Payment marked paid"),
    # Subsidy rules
    "rule.create": _("Subsidy rule created"),
    "rule.revise": _("New version of a subsidy rule"),
    "rule.correct": _("Subsidy rule corrected"),
    # Mediation cases
    "case.apply": _("Mediation application registered"),
    "case.accept": _("Mediation case accepted"),
    "case.reject": _("Mediation application not accepted"),
    "case.start_mediation": _("Mediation started"),
    "case.reach_agreement": _("Mediation agreement reached"),
    "case.fail": _("Mediation ended without agreement"),
    "case.refer_to_arbitration": _("Case referred to arbitration"),
    "case.to_litigation": _("Case went to court"),
    "case.withdraw": _("Mediation case withdrawn"),
    "case.record_session": _("Mediation session recorded"),
    "case.add_note": _("Note added to a case"),
    "case.add_document": _("Document added to a case"),
    "case.extend": _("Time limit of a case extended"),
    "case.overdue_recorded": _("Case recorded as overdue"),
    # Mediation committees
    "committee.establish": _("Mediation committee established"),
    "committee.update": _("Mediation committee changed"),
    "committee.members": _("Committee members changed"),
    "committee.dissolve": _("Mediation committee dissolved"),
    # Personal data
    "personal_data.reveal": _("Personal data revealed"),
    # The registry
    "worker.register": _("Worker registered"),
    "worker.update": _("Worker's details changed"),
    "worker.change_employment": _("Worker changed employer"),
    "worker.leave": _("Worker left employment"),
    "enterprise.register": _("Enterprise registered"),
    "enterprise.update": _("Enterprise's details changed"),
    "certificate.issue": _("Skill certificate recorded"),
    "certificate.revoke": _("Skill certificate revoked"),
    "award.grant": _("Craftsman award recorded"),
    "registry.seed": _("Registry seeded with synthetic data"),
    # Training
    "enrollment.create": _("Training enrollment recorded"),
    "enrollment.complete": _("Training completion recorded"),
    "apprenticeship.create": _("Apprenticeship recorded"),
    # Staff accounts and API keys
    "user.create": _("Account created"),
    "user.update": _("Account details changed"),
    "user.role_change": _("Account's role changed"),
    "user.duty_grant": _("Duty given"),
    "user.duty_revoke": _("Duty taken away"),
    "user.password_link": _("One-time password link issued"),
    "user.password_set": _("Password set through a one-time link"),
    "user.two_factor_enrol": _("Authenticator app set up"),
    "user.recovery_codes": _("Recovery codes issued"),
    "user.two_factor_reset": _("Second factor reset"),
    "api_token.issue": _("API key issued"),
    "api_token.revoke": _("API key revoked"),
    # Worker accounts and bank accounts
    "account.activate": _("Worker account activated"),
    "account.activation_code_issue": _("Activation code issued"),
    "account.password_reset": _("Worker's password reset"),
    "bank_account_change.request": _("New bank account requested"),
    "bank_account_change.confirm": _("New bank account confirmed"),
    "bank_account_change.reject": _("New bank account not accepted"),
    # Imports (the importer's key after the dot)
    "import.workers": _("Workers imported"),
    "import.enterprises": _("Enterprises imported"),
    "import.certificates": _("Skill certificates imported"),
    "import.awards": _("Craftsman awards imported"),
    "import.programs": _("Training programmes imported"),
    "import.enrollments": _("Training enrollments imported"),
    "import.claims": _("Claims imported"),
    "import.cases": _("Mediation cases imported"),
    "import.targets": _("Indicator targets imported"),
    # Exports (the admin list's key after the dot)
    "export.workers": _("Workers exported"),
    "export.enterprises": _("Enterprises exported"),
    "export.certificates": _("Skill certificates exported"),
    "export.awards": _("Craftsman awards exported"),
    "export.programs": _("Training programmes exported"),
    "export.enrollments": _("Training enrollments exported"),
    "export.claims": _("Claims exported"),
    "export.cases": _("Mediation cases exported"),
    "export.targets": _("Indicator targets exported"),
    "export.audit_events": _("Audit log exported"),
}


def action_label(action: str) -> str:
    """The action in words; an action without a label shows as its code rather than vanish."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


#: Names of the keys services put in an event's details.
DETAIL_LABELS = {
    "from": _("status before"),
    "to": _("status after"),
    "amount": _("amount (yuan)"),
    "total": _("total (yuan)"),
    "agreed_amount": _("agreed amount (yuan)"),
    "reference": _("reference"),
    "batch": _("payment batch"),
    "claims": pgettext_lazy("money claim", "claims"),
    "payments": _("payments"),
    "bulk": _("bulk action"),
    "field": _("field"),
    "fields": _("fields changed"),
    "reason": _("reason"),
    "rows": _("rows"),
    "format": _("file format"),
    "new": _("new rows"),
    "updated": _("updated rows"),
    "unchanged": _("unchanged rows"),
    "superseded": _("earlier requests superseded"),
    "via": _("by means of"),
    "code_id": _("activation code"),
    "committee": _("committee"),
    "kind": _("kind"),
    "before": _("before"),
    "after": _("after"),
    "on": _("on"),
    "on_time": _("within the time limit"),
    "held_on": _("held on"),
    "internal": _("internal"),
    "file": _("file"),
    "old_due_on": _("previous due date"),
    "new_due_on": _("new due date"),
    "left_on": _("left on"),
    "source": _("source"),
    "applicants": _("applicants"),
    "sha256": _("SHA-256 of the file"),
    "duty": _("duty"),
    "duties": _("duties"),
    "role": _("role"),
    "district": _("district"),
    "version": _("version"),
    "replaces": _("replaces rule"),
    "valid_from": _("valid from"),
    "previous_ends": _("previous version valid until"),
    "tokens": _("API keys"),
    "because": _("because"),
    "link": _("one-time link"),
}


def detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key


def _model(object_type: str):
    try:
        return apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        return None


def _field_name(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name) if model is not None else name
    except FieldDoesNotExist:
        return name


#: Fields whose codes an event's "from" and "to" may hold (a claim's status, an account's role).
_CODED_FIELDS = ("status", "role")


def _choice_label(model, value) -> str:
    """A status or role code in words, from the record's own field (the base imports no domain app)."""
    for name in _CODED_FIELDS if model is not None else ():
        try:
            choices = dict(model._meta.get_field(name).flatchoices)
        except FieldDoesNotExist:
            continue
        if value in choices:
            return str(choices[value])
    return str(value)


def _text(value) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "、".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_text(v)}" for k, v in value.items())
    return str(localize(value))


def detail_rows(event) -> list[tuple[str, str]]:
    """An event's details as (label, value) rows in words: statuses by name, field codes by their names."""
    model = _model(event.object_type)
    data = dict(event.data or {})
    rows = []
    if isinstance(data.get("from"), dict) and isinstance(data.get("to"), dict):
        # A change of several values (a rule's amount and window): one row per value, old → new.
        before, after = data.pop("from"), data.pop("to")
        for name in dict.fromkeys([*before, *after]):
            old = _text(before[name]) if name in before else "—"
            rows.append((_field_name(model, name), f"{old} → {_text(after.get(name))}"))
    for key, value in data.items():
        if key in ("from", "to") and isinstance(value, str):
            text = _choice_label(model, value) if value else "—"
        elif key == "field" and isinstance(value, str):
            text = _field_name(model, value)
        elif key == "fields" and isinstance(value, list):
            text = "、".join(_field_name(model, name) for name in value) or "—"
        else:
            text = _text(value)
        rows.append((detail_label(key), text))
    return rows
