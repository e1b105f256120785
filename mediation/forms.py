"""Forms of the case workflow's steps: each collects one service's input (the admin uses them; pages may)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mediation import services
from mediation.models import DisputeCase
from mediation.selectors import committees_for_case
from mediation.services.cases import EXTENSION_STATES, SESSION_STATES


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _on(label=None):
    return forms.DateField(
        label=label or _("date"), required=False, widget=DateInput(), help_text=_("Default: today.")
    )


def _long_text(label, *, required=True, max_length=5000, help_text=""):
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=help_text,
    )  # fmt: skip


class StepForm(forms.Form):
    """One workflow step on one case; ``kwargs()`` is what its service takes besides case_id and by."""

    #: the service called with the form's data
    service = None
    title = ""

    def __init__(self, *args, case: DisputeCase, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)

    def kwargs(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class AcceptForm(StepForm):
    service = staticmethod(services.case_accept)
    title = _("Accept the case")

    committee = forms.ModelChoiceField(label=_("mediation committee"), queryset=None, required=False)
    on = _on(_("accepted on"))
    note = _long_text(_("note"), required=False, max_length=2000)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        # The bodies that may take this case today; the service checks again on the chosen date.
        self.fields["committee"].queryset = committees_for_case(
            district_id=case.district_id, enterprise_id=case.enterprise_id, day=timezone.localdate()
        ).order_by("kind", "name")
        self.fields["committee"].initial = case.committee_id

    def kwargs(self) -> dict:
        data = super().kwargs()
        committee = data.pop("committee", None)
        if committee is not None:
            data["committee_id"] = committee.pk
        return data


class RejectForm(StepForm):
    service = staticmethod(services.case_reject)
    title = _("Do not accept the case")

    reason = _long_text(_("reason"), max_length=255, help_text=_("The applicant reads this."))
    on = _on()


class StartMediationForm(StepForm):
    service = staticmethod(services.case_start_mediation)
    title = _("Start mediation")

    on = _on()
    note = _long_text(_("note"), required=False, max_length=2000)


class SessionForm(StepForm):
    service = staticmethod(services.case_record_session)
    title = _("Record a mediation session")

    held_on = _on(_("held on"))
    text = _long_text(_("what happened"))


class NoteForm(StepForm):
    service = staticmethod(services.case_add_note)
    title = _("Add a note")

    text = _long_text(_("note"))
    internal = forms.BooleanField(
        label=_("internal (staff only)"), required=False, help_text=_("The applicants never see it.")
    )
    on = _on()

    def kwargs(self) -> dict:
        return {**super().kwargs(), "internal": self.cleaned_data["internal"]}


class DocumentForm(StepForm):
    service = staticmethod(services.case_add_document)
    title = _("Add a document")

    file = forms.FileField(label=_("file"), help_text=_("PDF, image, Word, Excel or text; at most 10 MB."))
    text = _long_text(_("description"), required=False, max_length=2000)
    on = _on()


class ExtendForm(StepForm):
    service = staticmethod(services.case_extend)
    title = _("Extend the time limit")

    new_due_on = forms.DateField(label=_("new time limit"), widget=DateInput())
    reason = _long_text(_("reason for the extension"), max_length=255)
    agreed_by_both = forms.BooleanField(label=_("both parties agreed"), required=False)

    def kwargs(self) -> dict:
        return {**super().kwargs(), "agreed_by_both": self.cleaned_data["agreed_by_both"]}


class AgreementForm(StepForm):
    service = staticmethod(services.case_reach_agreement)
    title = _("Record the mediation agreement")

    agreed_amount = forms.DecimalField(
        label=_("amount agreed (yuan)"), min_value=Decimal("0"), max_digits=12, decimal_places=2,
        help_text=_("0 when no money is paid."),
    )  # fmt: skip
    terms = _long_text(_("terms agreed"))
    on = _on(_("concluded on"))


class FailForm(StepForm):
    service = staticmethod(services.case_fail)
    title = _("End mediation without agreement")

    reason = _long_text(_("why no agreement was reached"), max_length=2000)
    on = _on(_("concluded on"))


class ReferForm(StepForm):
    service = staticmethod(services.case_refer_to_arbitration)
    title = _("Referred to arbitration")

    on = _on()
    note = _long_text(_("note"), required=False, max_length=2000)


class LitigationForm(StepForm):
    service = staticmethod(services.case_to_litigation)
    title = _("Went to court")

    on = _on()
    note = _long_text(_("note"), required=False, max_length=2000)


class WithdrawForm(StepForm):
    service = staticmethod(services.case_withdraw)
    title = _("Withdraw the application")

    reason = _long_text(_("reason"), max_length=2000)
    on = _on()


#: URL name of each step -> its form; the transitions carry their service's name.
STEP_FORMS: dict[str, type[StepForm]] = {
    "accept": AcceptForm,
    "reject": RejectForm,
    "start_mediation": StartMediationForm,
    "record_session": SessionForm,
    "add_note": NoteForm,
    "add_document": DocumentForm,
    "extend": ExtendForm,
    "reach_agreement": AgreementForm,
    "fail": FailForm,
    "refer_to_arbitration": ReferForm,
    "to_litigation": LitigationForm,
    "withdraw": WithdrawForm,
}


def steps_for(case: DisputeCase) -> list[str]:
    """The steps a case may take now, in the order the workflow goes."""
    steps = services.allowed_transitions(case.status)
    if case.status in SESSION_STATES:
        steps.append("record_session")
    if case.status in EXTENSION_STATES:
        steps.append("extend")
    return [*steps, "add_note", "add_document"]
