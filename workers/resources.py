"""The registry's spreadsheet formats: Chinese column headers, import rules, masked and escaped exports.

django-import-export's Resources define the columns (header, attribute, how a value is shown) and
serve exports and the downloadable templates. Imports do not go through its per-row machinery (far
too slow at city scale): workers/importing/ reads the same columns and runs the registry's
validators set-based.

The headers are the file format, not interface text: they stay Chinese in every language, so a file
exported or filled in by one clerk imports for any other.
"""

from __future__ import annotations

import datetime
import io

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.masking import mask_bank_account, mask_id_number, mask_phone
from workers.choices import Education, Nomination, Ownership, PilotLevel, SizeBand, SkillLevel
from workers.models import CraftsmanAward, Enterprise, SkillCertificate, Worker

# A spreadsheet cell starting with one of these is run as a formula by Excel or LibreOffice
# (CSV injection); a leading apostrophe makes it text. Tab and CR start formulas in some importers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

YES, NO = "是", "否"

MASKS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_bank_account}


def escape_formula(value: object) -> object:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)"; numbers and dates are never formulas."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class Column(fields.Field):
    """A spreadsheet column: its Chinese header, whether an import needs it, and the rule shown in templates.

    ``readonly`` columns are exported only. ``mask`` names the portal.masking rule that hides personal
    data in exports; ``choices`` exports a choice's label instead of its stored value.
    """

    def __init__(
        self,
        *,
        attribute: str,
        column_name: str,
        required: bool = False,
        rule=None,
        mask: str | None = None,
        choices: type[models.Choices] | None = None,
        text: bool = False,
        readonly: bool = False,
    ) -> None:
        super().__init__(attribute=attribute, column_name=column_name, readonly=readonly)
        self.required = required
        self.rule = rule
        self.mask = mask
        self.choices = choices
        # Long digit strings (ID numbers, accounts, codes): the template formats the column as text
        # so that Excel keeps every digit.
        self.text = text

    def export(self, instance, **kwargs):
        value = self.get_value(instance)
        if self.mask:
            return MASKS[self.mask](value)
        if value is None:
            return ""
        if self.choices is not None:
            return str(self.choices(value).label) if value != "" else ""
        if isinstance(value, bool):
            return YES if value else NO
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            # Spreadsheets hold no time zone: the local (Asia/Shanghai) wall time.
            return timezone.localtime(value).replace(tzinfo=None)
        if isinstance(value, datetime.date | int | float):
            return value
        return escape_formula(str(value))


class PortalResource(resources.ModelResource):
    """Columns declared with :class:`Column`; exports masked and formula-escaped; templates built here."""

    #: Lookups the export needs joined, so a row costs no extra query.
    select_related: tuple[str, ...] = ()
    #: Extra lines for the rules sheet of the template.
    notes: tuple = ()

    @classmethod
    def export_queryset(cls, queryset: QuerySet) -> QuerySet:
        """The admin list's rows made ready for an export: joined so that a row costs no extra query."""
        return queryset.select_related(*cls.select_related)

    def import_columns(self) -> list[Column]:
        return [f for f in self.get_export_fields() if not f.readonly]

    def export_resource(self, instance, selected_fields=None, **kwargs):
        # Every value passes the formula escape, whatever a subclass's dehydrate method returns.
        return [escape_formula(v) for v in super().export_resource(instance, selected_fields, **kwargs)]

    def template_workbook(self) -> bytes:
        """An empty XLSX with the headers (text-formatted where digits must survive) and a rules sheet."""
        book = Workbook()
        sheet = book.active
        sheet.title = str(_("Data"))
        columns = self.import_columns()
        bold = Font(bold=True)
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=index, value=column.column_name)
            cell.font = bold
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, 2 * len(column.column_name) + 4)
            if column.text:
                sheet.column_dimensions[letter].number_format = "@"
        sheet.freeze_panes = "A2"

        rules = book.create_sheet(str(_("Rules")))
        rules.append([str(_("Column")), str(_("Required")), str(_("How to fill it in"))])
        for cell in rules[1]:
            cell.font = bold
        for column in columns:
            rules.append([column.column_name, YES if column.required else NO, str(column.rule or "")])
        rules.append([])
        for note in (*COMMON_NOTES, *self.notes):
            rules.append([str(note)])
        rules.column_dimensions["A"].width = 28
        rules.column_dimensions["C"].width = 90
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def choice_list(choices: type[models.Choices]) -> str:
    return "、".join(str(label) for label in choices.labels)


COMMON_NOTES = (
    _(
        "The first sheet holds the data: one header row, then one row per record. Keep the headers as they are."
    ),
    _(
        "Rows are matched on their key (ID number, credit code, certificate number): a registered record is "
        "updated, a new one is added, so importing the same file twice changes nothing."
    ),
    _("A blank optional cell keeps the value already registered."),
    _("Dates may be written 2019-03-05, 2019/3/5 or 2019年3月5日, or be Excel dates."),
    _("Yes/no columns take 是 or 否 (also Y/N, 1/0, √/×)."),
)

DATE_RULE = _("A date such as 2019-03-05, 2019/3/5 or 2019年3月5日.")
YES_NO_RULE = _("是 or 否.")


def _rule(*parts):
    return format_lazy(" ".join("{}" for _part in parts), *parts)


class EnterpriseResource(PortalResource):
    name = Column(attribute="name", column_name="企业名称", required=True, rule=_("Up to 200 characters."))
    credit_code = Column(
        attribute="credit_code",
        column_name="统一社会信用代码",
        required=True,
        text=True,
        rule=_(
            "18 characters; the key of the row. The credit code and district of a registered "
            "enterprise cannot be changed."
        ),
    )
    district = Column(
        attribute="district__name",
        column_name="所在区（县、市）",
        required=True,
        rule=_("The district's name (北仑区) or its six-digit code (330206)."),
    )
    address = Column(attribute="address", column_name="地址", rule=_("Up to 255 characters."))
    ownership = Column(
        attribute="ownership",
        column_name="所有制",
        choices=Ownership,
        rule=_("非公 or 公有; blank means 非公."),
    )
    above_scale = Column(attribute="above_scale", column_name="是否规上企业", rule=YES_NO_RULE)
    union_established_on = Column(
        attribute="union_established_on", column_name="工会成立日期", rule=DATE_RULE
    )
    size_band = Column(attribute="size_band", column_name="规模", choices=SizeBand)
    pilot_level = Column(attribute="pilot_level", column_name="产改试点", choices=PilotLevel)

    select_related = ("district",)

    class Meta:
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "district",
            "address",
            "ownership",
            "above_scale",
            "union_established_on",
            "size_band",
            "pilot_level",
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["size_band"].rule = choice_list(SizeBand)
        self.fields["pilot_level"].rule = choice_list(PilotLevel)


class WorkerResource(PortalResource):
    name = Column(attribute="name", column_name="姓名", required=True, rule=_("Up to 64 characters."))
    id_number = Column(
        attribute="id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("18 characters, the key of the row. Format the column as text, or Excel rounds the number."),
    )
    phone = Column(
        attribute="phone", column_name="手机号", mask="phone", text=True, rule=_("An 11-digit mobile number.")
    )
    bank_account = Column(
        attribute="bank_account",
        column_name="银行账号",
        mask="bank_account",
        text=True,
        rule=_("Optional: 12 to 30 digits, for payouts."),
    )
    credit_code = Column(
        attribute="enterprise__credit_code",
        column_name="企业统一社会信用代码",
        required=True,
        text=True,
        rule=_(
            "The credit code of a registered enterprise. A different enterprise than the registered one "
            "moves the worker there from the hire date."
        ),
    )
    occupation = Column(attribute="occupation", column_name="职业", rule=_("Up to 64 characters."))
    position = Column(attribute="position", column_name="岗位", rule=_("Up to 64 characters."))
    education = Column(attribute="education", column_name="学历", choices=Education)
    union_member = Column(attribute="union_member", column_name="是否工会会员", rule=YES_NO_RULE)
    hired_on = Column(
        attribute="hired_on",
        column_name="入职日期",
        required=True,
        rule=_rule(DATE_RULE, _("The worker must be at least 16 on that day.")),
    )
    # Exported only: where the worker counts and what they hold.
    enterprise_name = Column(attribute="enterprise__name", column_name="企业名称", readonly=True)
    district = Column(attribute="district__name", column_name="所在区（县、市）", readonly=True)
    skill_level = Column(attribute="skill_level", column_name="技能等级", choices=SkillLevel, readonly=True)
    left_on = Column(attribute="left_on", column_name="离职日期", readonly=True)

    select_related = ("enterprise", "district")

    class Meta:
        model = Worker
        fields = (
            "name",
            "id_number",
            "phone",
            "bank_account",
            "credit_code",
            "occupation",
            "position",
            "education",
            "union_member",
            "hired_on",
            "enterprise_name",
            "district",
            "skill_level",
            "left_on",
        )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["education"].rule = choice_list(Education)


LEVEL_RULE = _("学徒工, 初级工, 中级工, 高级工, 技师, 高级技师, 特级技师 or 首席技师 (or 五级 … 一级).")


class SkillCertificateResource(PortalResource):
    id_number = Column(
        attribute="worker__id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("The ID number of a registered worker."),
    )
    worker_name = Column(attribute="worker__name", column_name="姓名", readonly=True)
    number = Column(
        attribute="number",
        column_name="证书编号",
        required=True,
        text=True,
        rule=_("Up to 64 characters; the key of the row."),
    )
    occupation = Column(
        attribute="occupation", column_name="职业", required=True, rule=_("Up to 64 characters.")
    )
    level = Column(attribute="level", column_name="等级", required=True, choices=SkillLevel, rule=LEVEL_RULE)
    issuing_body = Column(attribute="issuing_body", column_name="发证机构", rule=_("Up to 128 characters."))
    issued_on = Column(
        attribute="issued_on",
        column_name="发证日期",
        required=True,
        rule=_rule(DATE_RULE, _("Not in the future.")),
    )
    revoked_on = Column(attribute="revoked_on", column_name="撤销日期", readonly=True)

    select_related = ("worker",)
    notes = (
        _("A registered certificate is not changed by an import; revocations are recorded on its page."),
    )

    class Meta:
        model = SkillCertificate
        fields = (
            "id_number",
            "worker_name",
            "number",
            "occupation",
            "level",
            "issuing_body",
            "issued_on",
            "revoked_on",
        )


class CraftsmanAwardResource(PortalResource):
    id_number = Column(
        attribute="worker__id_number",
        column_name="身份证号",
        required=True,
        mask="id_number",
        text=True,
        rule=_("The ID number of a registered worker."),
    )
    worker_name = Column(attribute="worker__name", column_name="姓名", readonly=True)
    title = Column(
        attribute="title__name",
        column_name="称号",
        required=True,
        rule=_("A title of the registry (宁波工匠 …)."),
    )
    year = Column(
        attribute="year", column_name="年度", required=True, rule=_("The award year, such as 2021.")
    )
    locally_trained = Column(attribute="locally_trained", column_name="是否本土培养", rule=YES_NO_RULE)
    nominated_by = Column(attribute="nominated_by", column_name="推荐方式", required=True, choices=Nomination)

    select_related = ("worker", "title")
    notes = (_("A registered award is not changed by an import."),)

    class Meta:
        model = CraftsmanAward
        fields = ("id_number", "worker_name", "title", "year", "locally_trained", "nominated_by")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["nominated_by"].rule = choice_list(Nomination)
