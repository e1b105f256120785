"""Writes of subsidy rules: a rule that has judged a claim is never edited in place, it gets a new version.

A claim points at the rule (the version) that judged it, and is judged by the version in force on its
reference date (training/rules.py). Changing what a used rule pays or allows therefore ends it the day
before a chosen date and starts a new version from that date; only a rule no claim used yet is
corrected in place. Every write leaves an audit event with the values before and after.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Field, Max
from django.utils.translation import gettext as _

from portal.access import require_write_scope
from portal.audit import audit_record
from portal.models import User
from training.models import Claim, SubsidyRule

#: What a new version may change: what the rule pays or allows, its name and its end.
VERSIONED = ("name", "valid_to", "amount", "rate", "cap", "window_months", "yearly_limit")
#: What decides which claims a rule covers: fixed once a claim was judged by it (a new rule instead).
MATCHING = ("kind", "level", "program_type", "district", "title", "locally_trained", "valid_from")
EDITABLE = VERSIONED + MATCHING


def _require_rule_editor(by: User | None) -> None:
    """The city union edits the rules (portal/roles.py gives everyone else view only)."""
    message = _("Only the city union changes subsidy rules.")
    require_write_scope(by, None, message=message)
    if by is not None and not by.has_perm("training.change_subsidyrule"):
        raise PermissionDenied(message)


def _plain(value) -> str | int | bool | None:
    """A value as the audit event keeps it (JSON): dates and money as text, related rows by id."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent  # a letter for NaN and infinity
        return f"{value:.2f}" if isinstance(exponent, int) and exponent >= -2 else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _field(name: str) -> Field:
    """A rule's editable field: every name in EDITABLE is a concrete field, never a relation's reverse."""
    field = SubsidyRule._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _get(rule: SubsidyRule, name: str):
    field = _field(name)
    return getattr(rule, field.attname)


def _normalise(name: str, value):
    field = _field(name)
    if getattr(value, "pk", None) is not None and field.is_relation:
        return value.pk
    if isinstance(value, (int, float, str)) and field.get_internal_type() == "DecimalField":
        return Decimal(str(value))
    return value


def _changed(rule: SubsidyRule, changes: dict) -> dict:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            _("These are not a rule's values: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    changed = {}
    for name, value in changes.items():
        value = _normalise(name, value)
        if value in ("", None) and name not in ("name", "kind"):
            value = "" if name == "program_type" else None
        if value != _get(rule, name):
            changed[name] = value
    return changed


def _apply(rule: SubsidyRule, changed: dict) -> None:
    for name, value in changed.items():
        setattr(rule, _field(name).attname, value)


def _save(rule: SubsidyRule) -> None:
    # The model's own checks (a value, a valid range), reported like the services' other refusals.
    rule.full_clean(exclude=["replaces", "version"])
    rule.save()


def _audit(by: User | None, rule: SubsidyRule, action: str, before: dict, after: dict, **extra) -> None:
    audit_record(
        actor=by,
        action=f"rule.{action}",
        obj=rule,
        district_id=rule.district_id,
        summary=rule.name,
        data={
            "from": {k: _plain(v) for k, v in before.items()},
            "to": {k: _plain(v) for k, v in after.items()},
            "version": rule.version,
            **extra,
        },
    )


@transaction.atomic
def rule_create(*, by: User | None, values: dict) -> SubsidyRule:
    """A new rule (version 1); its audit event lists the values it starts with."""
    _require_rule_editor(by)
    rule = SubsidyRule()
    _apply(rule, _changed(rule, values))
    _save(rule)
    after = {name: _get(rule, name) for name in EDITABLE if _get(rule, name) not in (None, "")}
    _audit(by, rule, "create", {}, after)
    return rule


@transaction.atomic
def rule_revise(
    *, by: User | None, rule_id: int, changes: dict, valid_from: datetime.date | None = None
) -> SubsidyRule:
    """Change a rule: in place while no claim used it, else a new version from ``valid_from``.

    Returns the rule as it now stands (the corrected one, or the new version). The new version copies the
    old one with the changes; the old one ends the day before ``valid_from``, which must fall after every
    reference date the old one judged, so each claim still points at the version in force on its date.
    """
    _require_rule_editor(by)
    rule = SubsidyRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise ValidationError(_("Unknown rule."))
    if SubsidyRule.objects.filter(replaces=rule).exists():
        raise ValidationError(
            _("Rule “%(rule)s” has a newer version already; change that one.") % {"rule": rule.name}
        )
    changed = _changed(rule, changes)
    if not changed:
        return rule
    before = {name: _get(rule, name) for name in changed}
    latest_judged = Claim.objects.filter(rule=rule).aggregate(latest=Max("reference_date"))["latest"]

    if latest_judged is None:
        # No claim was judged by it: a correction, in place (and still audited).
        _apply(rule, changed)
        _save(rule)
        _audit(by, rule, "correct", before, changed)
        return rule

    fixed = sorted(set(changed) & set(MATCHING))
    if fixed:
        labels = ", ".join(str(_field(name).verbose_name) for name in fixed)
        raise ValidationError(
            _(
                "Rule “%(rule)s” has judged claims, so what it covers (%(fields)s) stays as it is; end it and add a new rule instead."
            )
            % {"rule": rule.name, "fields": labels}
        )
    only_end = set(changed) <= {"name", "valid_to"}
    if only_end and valid_from is None:
        # Naming or ending a rule changes no claim's amount, as long as it ends after the claims it judged.
        new_end = changed.get("valid_to", rule.valid_to)
        if new_end is not None and new_end < latest_judged:
            raise ValidationError(
                {
                    "valid_to": [
                        _("The rule judged claims dated up to %(date)s; it cannot end before that.")
                        % {"date": latest_judged.isoformat()}
                    ]
                }
            )
        _apply(rule, changed)
        _save(rule)
        _audit(by, rule, "correct", before, changed)
        return rule

    earliest = max(latest_judged, rule.valid_from) + datetime.timedelta(days=1)
    if valid_from is None:
        raise ValidationError(
            {
                "valid_from": [
                    _(
                        "Rule “%(rule)s” has judged claims: give the date the new version applies from (%(date)s at the earliest)."
                    )
                    % {"rule": rule.name, "date": earliest.isoformat()}
                ]
            }
        )
    if valid_from < earliest:
        raise ValidationError(
            {
                "valid_from": [
                    _(
                        "The version in force judged claims dated up to %(latest)s; the new version can apply from %(date)s at the earliest."
                    )
                    % {"latest": latest_judged.isoformat(), "date": earliest.isoformat()}
                ]
            }
        )
    if rule.valid_to is not None and valid_from > rule.valid_to:
        raise ValidationError(
            {
                "valid_from": [
                    _("The rule ended on %(date)s; add a new rule rather than a version of this one.")
                    % {"date": rule.valid_to.isoformat()}
                ]
            }
        )

    new = SubsidyRule.objects.get(pk=rule.pk)  # a copy of every column, then the changes
    new.pk = None
    new._state.adding = True
    _apply(new, changed)
    new.valid_from, new.version, new.replaces = valid_from, rule.version + 1, rule
    rule.valid_to = valid_from - datetime.timedelta(days=1)
    _save(rule)
    _save(new)
    _audit(
        by,
        new,
        "revise",
        before,
        changed,
        replaces=rule.pk,
        valid_from=valid_from.isoformat(),
        previous_ends=rule.valid_to.isoformat(),
    )
    return new
