"""Importing workers: one row per worker, keyed on the blind index of the ID number.

Leaves what worker_register / worker_update / worker_change_employment would: a new worker with
their open employment and the enterprise's district; a registered one with changed details updated
(hash columns included); a changed enterprise closes the open employment the day the new one starts
(the row's 入职日期) and opens the new one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import crypto
from portal.masking import mask_id_number, mask_phone
from portal.spreadsheets import bulk
from portal.spreadsheets.cells import message_of
from portal.spreadsheets.pipeline import NEW, SAME, UPDATE, Importer, Planned, RowError, action_label
from portal.spreadsheets.reading import is_blank
from portal.spreadsheets.seen import FirstSeen
from workers import validators
from workers.importers import cells
from workers.importers.lookups import EnterpriseCache, district_names
from workers.models import Employment, Worker
from workers.resources import WorkerResource

BATCH = 2000

# Details a row may change on a registered worker; a blank cell keeps the registered value.
DETAIL_FIELDS = ("name", "phone", "bank_account", "occupation", "position", "education", "union_member")
_LOADED = (
    "id",
    "id_number_hash",
    "name",
    "phone",
    "bank_account",
    "enterprise_id",
    "district_id",
    "occupation",
    "position",
    "education",
    "union_member",
    "hired_on",
    "left_on",
)


# Columns of the COPY path, in the order its rows give them (bulk.check_columns guards against drift).
WORKER_COLUMNS = (
    "id", "name", "id_number", "id_number_hash", "birth_date", "gender", "phone", "phone_hash", "bank_account",
    "enterprise_id", "district_id", "occupation", "position", "education", "union_member", "hired_on", "left_on",
    "skill_level", "created_at", "updated_at",
)  # fmt: skip
EMPLOYMENT_COLUMNS = ("worker_id", "enterprise_id", "district_id", "position", "started_on", "ended_on")


class WorkerRecord(NamedTuple):
    row: int
    name: str
    id_number: str
    id_hash: str
    birth_date: datetime.date
    gender: str
    phone: str | None
    bank_account: str | None
    credit_code: str
    occupation: str | None
    position: str | None
    education: str | None
    union_member: bool | None
    hired_on: datetime.date


def short_text(limit: int, *, multiline: bool = False):
    def parse(raw: object) -> str:
        return cells.max_length(cells.text(raw, multiline=multiline), limit)

    return parse


def phone(raw: object) -> str:
    value = validators.normalise_phone(cells.digits_text(raw))
    validators.validate_phone(value)
    return value


def bank_account(raw: object) -> str:
    value = validators.normalise_bank_account(cells.digits_text(raw))
    validators.validate_bank_account(value)
    return value


class CreditCodes:
    """Normalised, validated credit codes, remembered per raw value (a file repeats its enterprises)."""

    def __init__(self) -> None:
        self.seen: dict[object, str | ValidationError] = {}

    def __call__(self, raw: object) -> str:
        found = self.seen.get(raw)
        if found is None:
            code = validators.normalise_uscc(cells.text(raw))
            try:
                validators.validate_uscc(code)
                found = code
            except ValidationError as exc:
                found = exc
            if len(self.seen) < 100_000:
                self.seen[raw] = found
        if isinstance(found, ValidationError):
            raise found
        return found


def id_number(errors: list, key: str, raw: object, today: datetime.date):
    """(number, birth date, gender) of a valid ID number, or Nones after noting the error."""
    if is_blank(raw):
        errors.append((key, _("This column is required.")))
        return None, None, None
    try:
        number = validators.id_number_from_excel(raw)
        birth_date, gender = validators.validate_id_number(number, today=today)
    except ValidationError as exc:
        errors.append((key, message_of(exc)))
        return None, None, None
    return number, birth_date, gender


class WorkerImporter(Importer):
    key = "workers"
    resource_class = WorkerResource
    audit_action = "import.workers"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.enterprises = EnterpriseCache()
        self.credit_code = CreditCodes()
        # First row of each ID number (its first 17 digits as an int: exact and small) for duplicates.
        self.seen = FirstSeen()
        self.id_index = Worker._meta.get_field("id_number_hash").index_for
        self.phone_index = Worker._meta.get_field("phone_hash").index_for
        self._names = short_text(64)
        self._districts: dict[int, str] | None = None

    def parse(self, row: int, values: dict[str, object]):
        errors: list[tuple[str, str]] = []
        take = self.take
        name = take(errors, "name", self._names, values.get("name"), required=True)
        number, birth_date, gender = id_number(errors, "id_number", values.get("id_number"), self.today)
        if number:
            first = self.seen.setdefault(int(number[:17]), row)
            if first != row:
                errors.append(
                    (
                        "id_number",
                        _("This ID number already appears in row %(row)d of the file.") % {"row": first},
                    )
                )
        phone_number = take(errors, "phone", phone, values.get("phone"))
        account = take(errors, "bank_account", bank_account, values.get("bank_account"))
        code = take(errors, "credit_code", self.credit_code, values.get("credit_code"), required=True)
        occupation = take(errors, "occupation", self._names, values.get("occupation"))
        position = take(errors, "position", self._names, values.get("position"))
        education = take(errors, "education", cells.education, values.get("education"))
        union_member = take(errors, "union_member", cells.yes_no, values.get("union_member"))
        hired_on = take(errors, "hired_on", cells.date, values.get("hired_on"), required=True)
        if hired_on is not None and birth_date is not None:
            try:
                validators.validate_hire_age(birth_date, hired_on)
            except ValidationError as exc:
                errors.append(("hired_on", message_of(exc)))
        if errors:
            return None, errors
        return (
            WorkerRecord(
                row,
                name,
                number,
                self.id_index(number),
                birth_date,
                gender,
                phone_number,
                account,
                code,
                occupation,
                position,
                education,
                union_member,
                hired_on,
            ),
            [],
        )

    def plan(self, records: list[WorkerRecord], *, lock: bool):
        if not records:
            return [], []
        self.enterprises.load({r.credit_code for r in records})
        found = Worker.objects.filter(id_number_hash__in=[r.id_hash for r in records]).only(*_LOADED)
        if lock:
            found = found.select_for_update().order_by("pk")
        existing = {w.id_number_hash: w for w in found}
        planned: list[Planned] = []
        errors: list[RowError] = []
        moving = []
        for r in records:
            enterprise = self.enterprises.get(r.credit_code)
            if enterprise is None:
                errors.append(
                    RowError(r.row, "credit_code", _("No enterprise with this credit code is registered."))
                )
                continue
            if not self.can_write_district(enterprise.district_id):
                errors.append(RowError(r.row, "credit_code", _("This enterprise is not in your district.")))
                continue
            worker = existing.get(r.id_hash)
            if worker is None:
                planned.append(Planned(r, NEW, extra=enterprise))
                continue
            if not self.can_write_district(worker.district_id):
                errors.append(
                    RowError(
                        r.row,
                        "id_number",
                        _(
                            "This worker is registered in another district; only staff of that district or "
                            "of the city may change them."
                        ),
                    )
                )
                continue
            changes = tuple(
                f
                for f in DETAIL_FIELDS
                if (value := getattr(r, f)) is not None and value != getattr(worker, f)
            )
            if enterprise.id == worker.enterprise_id and r.hired_on == worker.hired_on:
                planned.append(Planned(r, UPDATE if changes else SAME, changes, target=worker))
            elif enterprise.id == worker.enterprise_id and worker.left_on is None:
                errors.append(
                    RowError(
                        r.row,
                        "hired_on",
                        _(
                            "This worker has been employed at this enterprise since %(date)s; an import "
                            "cannot change that date."
                        )
                        % {"date": worker.hired_on.isoformat()},
                    )
                )
            else:
                moving.append((r, worker, enterprise, changes))
        if moving:
            self._plan_moves(moving, lock, planned, errors)
        return planned, errors

    def _plan_moves(self, moving, lock: bool, planned: list, errors: list) -> None:
        """The rules of worker_change_employment, for a chunk at once."""
        ids = [worker.pk for _r, worker, _e, _c in moving]
        spells = Employment.objects.filter(worker_id__in=ids, ended_on__isnull=True).only(
            "id", "worker_id", "started_on", "ended_on"
        )
        if lock:
            spells = spells.select_for_update().order_by("pk")
        current = {spell.worker_id: spell for spell in spells}
        closed = [pk for pk in ids if pk not in current]
        last_end = (
            dict(
                Employment.objects.filter(worker_id__in=closed)
                .order_by()
                .values("worker_id")
                .annotate(last=Max("ended_on"))
                .values_list("worker_id", "last")
            )
            if closed
            else {}
        )
        for r, worker, enterprise, changes in moving:
            spell = current.get(worker.pk)
            if spell is not None and r.hired_on <= spell.started_on:
                errors.append(
                    RowError(
                        r.row, "hired_on", _("The new employment must start after the current one started.")
                    )
                )
                continue
            last = last_end.get(worker.pk)
            if spell is None and last is not None and r.hired_on < last:
                errors.append(
                    RowError(
                        r.row, "hired_on", _("The new employment cannot start before the previous one ended.")
                    )
                )
                continue
            planned.append(
                Planned(r, UPDATE, (*changes, "enterprise"), target=worker, extra=(enterprise, spell))
            )

    def write(self, planned: list[Planned]) -> None:
        now = timezone.now()
        new = [item for item in planned if item.action == NEW]
        # (worker, enterprise, district, position, started on) of each employment to open
        opening: list[tuple] = []
        if new:
            ids = self._insert_workers(new, now)
            for item, pk in zip(new, ids, strict=True):
                r, enterprise = item.record, item.extra
                opening.append((pk, enterprise.id, enterprise.district_id, r.position or "", r.hired_on))

        groups: dict[tuple[str, ...], list[Worker]] = defaultdict(list)
        closing = []
        for item in planned:
            if item.action != UPDATE:
                continue
            r, worker = item.record, item.target
            fields = {"updated_at"}
            for name in item.changes:
                if name != "enterprise":
                    setattr(worker, name, getattr(r, name))
                    fields.add(name)
            if "phone" in fields:
                # bulk_update skips pre_save: the hash must be set here or lookups by phone break.
                worker.phone_hash = self.phone_index(worker.phone)
                fields.add("phone_hash")
            if "enterprise" in item.changes:
                enterprise, spell = item.extra
                if spell is not None:
                    spell.ended_on = r.hired_on
                    closing.append(spell)
                worker.enterprise_id = enterprise.id
                worker.district_id = enterprise.district_id
                worker.position = r.position or ""
                worker.hired_on = r.hired_on
                worker.left_on = None
                fields |= {"enterprise", "district", "position", "hired_on", "left_on"}
                opening.append(
                    (worker.pk, enterprise.id, enterprise.district_id, worker.position, r.hired_on)
                )
            worker.updated_at = now
            groups[tuple(sorted(fields))].append(worker)
        for fields, workers in groups.items():
            Worker.objects.bulk_update(workers, fields, batch_size=BATCH)
        # Close before opening: a worker has at most one open employment (a unique constraint).
        if closing:
            Employment.objects.bulk_update(closing, ["ended_on"], batch_size=BATCH)
        if opening:
            self._insert_employments(opening)

    def _insert_workers(self, new: list[Planned], now) -> list[int]:
        records = [item.record for item in new]
        if bulk.copy_available():
            bulk.check_columns(Worker, WORKER_COLUMNS, with_id=True)
            ids = bulk.next_ids(Worker, len(records))
            id_numbers = crypto.encrypt_many([r.id_number for r in records])
            phones = crypto.encrypt_many([r.phone for r in records])
            accounts = crypto.encrypt_many([r.bank_account for r in records])
            rows = (
                (
                    pk, r.name, id_number, r.id_hash, r.birth_date, r.gender, phone, self.phone_index(r.phone),
                    account, item.extra.id, item.extra.district_id, r.occupation or "", r.position or "",
                    r.education or "", bool(r.union_member), r.hired_on, None, None, now, now,
                )
                for pk, item, r, id_number, phone, account in zip(
                    ids, new, records, id_numbers, phones, accounts, strict=True
                )
            )  # fmt: skip
            bulk.copy_rows(Worker, WORKER_COLUMNS, rows)
            return ids
        workers = [
            Worker(
                name=r.name,
                id_number=r.id_number,
                birth_date=r.birth_date,
                gender=r.gender,
                phone=r.phone,
                bank_account=r.bank_account,
                enterprise_id=item.extra.id,
                district_id=item.extra.district_id,
                occupation=r.occupation or "",
                position=r.position or "",
                education=r.education or "",
                union_member=bool(r.union_member),
                hired_on=r.hired_on,
            )
            for item, r in zip(new, records, strict=True)
        ]
        # bulk_create runs pre_save, so the fields encrypt the personal data and fill the hashes.
        Worker.objects.bulk_create(workers, batch_size=BATCH)
        return [w.pk for w in workers]

    @staticmethod
    def _insert_employments(rows: list[tuple]) -> None:
        if bulk.copy_available():
            bulk.check_columns(Employment, EMPLOYMENT_COLUMNS, with_id=False)
            bulk.copy_rows(Employment, EMPLOYMENT_COLUMNS, ((*row, None) for row in rows))
            return
        Employment.objects.bulk_create(
            [
                Employment(worker_id=w, enterprise_id=e, district_id=d, position=p, started_on=s)
                for w, e, d, p, s in rows
            ],
            batch_size=BATCH,
        )

    # --- preview ---------------------------------------------------------------------------------------

    def preview_headers(self) -> list[str]:
        return [
            _("Row"),
            _("What happens"),
            self.header("name"),
            self.header("id_number"),
            self.header("phone"),
            _("enterprise"),
            _("district"),
            self.header("hired_on"),
            _("Changed columns"),
        ]

    def preview_row(self, item: Planned) -> list[str]:
        r = item.record
        if self._districts is None:
            self._districts = district_names()
        enterprise = self.enterprises.get(r.credit_code)
        changed = [self.header("credit_code" if c == "enterprise" else c) for c in item.changes]
        return [
            str(r.row),
            action_label(item.action),
            r.name,
            mask_id_number(r.id_number),
            mask_phone(r.phone or ""),
            enterprise.name if enterprise else "",
            self._districts.get(enterprise.district_id, "") if enterprise else "",
            r.hired_on.isoformat(),
            "、".join(changed),
        ]
