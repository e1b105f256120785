"""Mediation's cells: its choices read from labels and aliases.

The registry's readers (text, yuan, dates) are workers.importers.cells; they are offered here too, so
the case importer reads every kind of cell through one module.
"""

from __future__ import annotations

from mediation.choices import CaseSource, DisputeType
from workers.importers.cells import ChoiceReader, date, text, yuan  # noqa: F401

dispute_type = ChoiceReader(
    DisputeType,
    {
        "确认劳动关系": DisputeType.EMPLOYMENT_RELATIONSHIP, "劳动关系": DisputeType.EMPLOYMENT_RELATIONSHIP,
        "劳动合同": DisputeType.CONTRACT, "订立、履行、变更、解除和终止劳动合同": DisputeType.CONTRACT,
        "除名、辞退和辞职、离职": DisputeType.DISMISSAL, "辞退": DisputeType.DISMISSAL, "解除": DisputeType.DISMISSAL,
        "工作时间": DisputeType.WORKING_CONDITIONS, "社会保险": DisputeType.WORKING_CONDITIONS,
        "休息休假": DisputeType.WORKING_CONDITIONS, "劳动保护": DisputeType.WORKING_CONDITIONS,
        "劳动报酬": DisputeType.PAY, "工资": DisputeType.PAY, "工伤医疗费": DisputeType.PAY,
        "经济补偿": DisputeType.PAY, "赔偿金": DisputeType.PAY, "其他": DisputeType.OTHER,
    },
)  # fmt: skip
source = ChoiceReader(
    CaseSource,
    {
        "仲裁委移交": CaseSource.ARBITRATION_TRANSFER, "仲裁移交": CaseSource.ARBITRATION_TRANSFER,
        "劳动人事争议仲裁委员会移交": CaseSource.ARBITRATION_TRANSFER,
        "法院移交": CaseSource.COURT_TRANSFER, "人民法院移交": CaseSource.COURT_TRANSFER,
        "法院委派": CaseSource.COURT_TRANSFER,
    },
)  # fmt: skip
