"""Forms of the self-service pages: they collect input; the services decide and their errors land here."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mediation.choices import DisputeType
from portal.forms import LoginForm, NewPasswordForm, ServiceErrorsMixin
from portal.numbers import amount as format_amount
from selfservice.uploads import check_receipt
from training.choices import Degree

# Phones show a numeric keypad for these, and never "correct" or capitalise what is typed.
_ID_ATTRS = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "maxlength": "24"}
_DIGITS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}


class IdNumberLoginForm(LoginForm):
    """The shell's login form; workers type their ID number as the user name (selfservice.auth)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})


class ActivationForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=24, widget=forms.TextInput(attrs=_ID_ATTRS))
    name = forms.CharField(
        label=capfirst(pgettext_lazy("person", "name")),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        help_text=_("The number your enterprise or union gave the union for you."),
        widget=forms.TextInput(attrs={**_DIGITS, "type": "tel", "autocomplete": "tel"}),
    )


class CodeRedeemForm(NewPasswordForm):
    id_number = forms.CharField(label=_("ID number"), max_length=24, widget=forms.TextInput(attrs=_ID_ATTRS))
    code = forms.CharField(
        label=_("Activation code"),
        max_length=32,
        help_text=_("The code the union office gave you, such as ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
    )
    field_order = ["id_number", "code", "new_password1", "new_password2"]


class IssueCodeForm(forms.Form):
    id_number = forms.CharField(
        label=_("The worker's ID number"), max_length=24, widget=forms.TextInput(attrs=_ID_ATTRS)
    )


# --- Applying online ----------------------------------------------------------------------------------


class SubsidyChooseForm(ServiceErrorsMixin, forms.Form):
    certificate = forms.TypedChoiceField(
        label=_("Certificate"), coerce=int, widget=forms.RadioSelect, empty_value=None
    )

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate"].choices = [
            (
                option.certificate.pk,
                _("%(occupation)s, %(level)s, issued %(date)s: %(amount)s yuan")
                % {
                    "occupation": option.certificate.occupation,
                    "level": option.certificate.get_level_display(),
                    "date": option.certificate.issued_on.isoformat(),
                    "amount": format_amount(option.amount),
                },
            )
            for option in options
        ]


class TuitionForm(ServiceErrorsMixin, forms.Form):
    degree = forms.ChoiceField(label=_("Degree"), choices=[("", "---------"), *Degree.choices])
    institution = forms.CharField(label=_("School or university"), max_length=128)
    major = forms.CharField(label=_("Major"), max_length=128)
    tuition_paid = forms.DecimalField(
        label=_("Tuition paid (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    paid_on = forms.DateField(
        label=_("Date paid"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    relevant_to_job = forms.BooleanField(
        label=_("My major is relevant to my job"),
        required=False,
        help_text=_("Only tuition for a major relevant to the job is reimbursed."),
    )
    receipt = forms.FileField(
        label=_("Receipt"),
        help_text=_("A photo or scan of the receipt: PDF, JPEG or PNG, at most %(mb)s MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, max_mb: int = 5, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_mb
        self.fields["receipt"].help_text = self.fields["receipt"].help_text % {"mb": max_mb}

    def clean_receipt(self):
        return check_receipt(self.cleaned_data["receipt"], max_bytes=self.max_mb * 1024 * 1024)


class MediationForm(ServiceErrorsMixin, forms.Form):
    enterprise = forms.TypedChoiceField(label=_("Enterprise the dispute is with"), coerce=int)
    dispute_type = forms.ChoiceField(
        label=_("Type of dispute"), choices=[("", "---------"), *DisputeType.choices]
    )
    claim = forms.CharField(
        label=_("What you ask for, and why"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example: unpaid wages for March and April, 8,000 yuan in all."),
    )
    claimed_amount = forms.DecimalField(
        label=_("Amount claimed (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Leave empty if you do not claim money."),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, enterprises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [(e.pk, e.name) for e in enterprises]


class BankAccountForm(ServiceErrorsMixin, forms.Form):
    account = forms.CharField(
        label=_("New bank account number"),
        max_length=40,
        widget=forms.TextInput(attrs=_DIGITS),
        help_text=_("A debit card or passbook account in your own name."),
    )
    account_again = forms.CharField(
        label=_("New bank account number again"), max_length=40, widget=forms.TextInput(attrs=_DIGITS)
    )
    # The paying bank needs them on the disbursement file.
    bank_name = forms.CharField(
        label=_("Bank"), max_length=64, help_text=_("For example 中国工商银行 or 宁波银行.")
    )
    bank_branch = forms.CharField(
        label=_("Branch where the account was opened"),
        max_length=128,
        help_text=_("For example 北仑支行; it is printed on the card's sleeve or the passbook."),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("account"), cleaned.get("account_again")
        if first and second and "".join(first.split()) != "".join(second.split()):
            self.add_error("account_again", _("The two account numbers differ."))
        return cleaned


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason (the worker reads it)"), max_length=255, widget=forms.Textarea(attrs={"rows": 3})
    )
