"""The dispute-case spreadsheet: Chinese column headers, applicants' ID numbers masked, formulas escaped.

The headers are the file format, not interface text (as in workers/resources.py): they stay Chinese in
every language.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from mediation.choices import CaseSource, CaseStatus, DisputeType
from mediation.models import DisputeCase
from portal.masking import mask_id_number
from portal.spreadsheets.columns import DATE_RULE, Column, PortalResource, choice_list

#: Between several applicants' names or masked ID numbers in one cell.
SEPARATOR = "、"


class AmountColumn(Column):
    """A sum in yuan, exported as a number so that Excel can add it up."""

    def export(self, instance, **kwargs):
        value = self.get_value(instance)
        return Decimal(value) if value is not None else ""


class DisputeCaseResource(PortalResource):
    number = Column(attribute="number", column_name="案件编号", readonly=True)
    district = Column(attribute="district__name", column_name="所在区（县、市）", readonly=True)
    enterprise_name = Column(attribute="enterprise__name", column_name="企业名称", readonly=True)
    credit_code = Column(
        attribute="enterprise__credit_code",
        column_name="企业统一社会信用代码",
        required=True,
        text=True,
        rule=_("The credit code of a registered enterprise."),
    )
    applicant_names = Column(attribute=None, column_name="申请人", readonly=True)
    applicant_id_numbers = Column(
        attribute=None,
        column_name="申请人身份证号",
        required=True,
        text=True,
        rule=_("The ID numbers of registered workers, separated by 、 when there are several."),
    )
    dispute_type = Column(
        attribute="dispute_type", column_name="争议类型", required=True, choices=DisputeType
    )
    claim = Column(
        attribute="claim", column_name="请求事项", required=True, rule=_("What the applicant asks for.")
    )
    claimed_amount = AmountColumn(
        attribute="claimed_amount",
        column_name="请求金额（元）",
        rule=_("Yuan; blank when nothing is claimed in money."),
    )
    source = Column(attribute="source", column_name="案件来源", required=True, choices=CaseSource)
    external_reference = Column(
        attribute="external_reference",
        column_name="移交机构案号",
        rule=_("The case number of the arbitration commission or court that transferred the case."),
    )
    received_on = Column(attribute="received_on", column_name="收到申请日期", required=True, rule=DATE_RULE)
    committee = Column(attribute="committee__name", column_name="调解组织", readonly=True)
    status = Column(attribute="status", column_name="状态", choices=CaseStatus, readonly=True)
    accepted_on = Column(attribute="accepted_on", column_name="受理日期", readonly=True)
    due_on = Column(attribute="due_on", column_name="调解期限", readonly=True)
    concluded_on = Column(attribute="concluded_on", column_name="办结日期", readonly=True)
    agreed_amount = AmountColumn(attribute="agreed_amount", column_name="协议金额（元）", readonly=True)
    outcome = Column(attribute="outcome", column_name="调解结果", readonly=True)
    rejection_reason = Column(attribute="rejection_reason", column_name="不予受理理由", readonly=True)
    extension_reason = Column(attribute="extension_reason", column_name="延期理由", readonly=True)

    select_related = ("district", "enterprise", "committee")

    class Meta:
        model = DisputeCase
        fields = (
            "number", "district", "enterprise_name", "credit_code", "applicant_names", "applicant_id_numbers",
            "dispute_type", "claim", "claimed_amount", "source", "external_reference", "received_on",
            "committee", "status", "accepted_on", "due_on", "concluded_on", "agreed_amount", "outcome",
            "rejection_reason", "extension_reason",
        )  # fmt: skip

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["dispute_type"].rule = choice_list(DisputeType)
        self.fields["source"].rule = choice_list(CaseSource)

    # The applicants come from the list's prefetch (mediation.selectors.applicants_prefetch): no query per row.
    def dehydrate_applicant_names(self, case: DisputeCase) -> str:
        return SEPARATOR.join(worker.name for worker in case.applicants.all())

    def dehydrate_applicant_id_numbers(self, case: DisputeCase) -> str:
        return SEPARATOR.join(mask_id_number(worker.id_number) for worker in case.applicants.all())
