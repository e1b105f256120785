"""Names and free text refuse control and bidirectional-override characters, whichever way they arrive.

portal/text.py is the one cleaner; the registry's and mediation's services, the imports, the API and the
worker's pages all go through it. Properties (hypothesis): whatever the text, the cleaner returns NFC text
with nothing it refuses, or raises a ValidationError with a message naming the field, never another
exception; multi-line fields keep tabs and line breaks, one-line fields refuse them.
"""

import datetime
import io
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from mediation import services as mediation_services
from mediation.choices import CaseSource, CommitteeKind, DisputeType, MemberRole
from mediation.models import CaseEvent, DisputeCase
from portal.spreadsheets import run_import
from portal.text import clean_text, first_refused
from tests.factories import EnterpriseFactory, district, make_credit_code, make_id_number, register_worker
from workers import services as worker_services
from workers.importers.worker import WorkerImporter
from workers.models import Enterprise, Worker

#: What the finding named, and their relatives: C0 and C1 controls, the bidi overrides and isolates,
#: marks, invisible format characters, a tag character, a lone surrogate, the Unicode line separators.
HOSTILE = [
    "\u0001", "\u0000", "\u001b", "\u007f", "\u0085", "\u009b",
    "\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041",
    "\ud800", "\u2028", "\u2029",
]  # fmt: skip


def refused_chars():
    return st.sampled_from(HOSTILE)


# --- The cleaner ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", HOSTILE)
def test_every_hostile_character_is_refused_in_names_and_in_multi_line_text(char):
    for multiline in (False, True):
        with pytest.raises(ValidationError) as caught:
            clean_text(f"张{char}三", field="name", label="姓名", multiline=multiline)
        assert set(caught.value.message_dict) == {"name"}
        assert caught.value.message_dict["name"][0].startswith("姓名")


def test_tabs_and_line_breaks_only_in_multi_line_fields():
    assert clean_text("第一行\r\n第二行\r第三行\t完", multiline=True) == "第一行\n第二行\n第三行\t完"
    for char in "\n\r\t":
        with pytest.raises(ValidationError, match="one line"), translation.override("en"):
            clean_text(f"张{char}三", field="name", label="name")
    # A line break at either end (a copied Excel cell, a text area) is simply dropped.
    assert clean_text("  张三\n") == "张三"


def test_text_is_stored_composed_and_joiners_stay():
    assert clean_text("Jose\u0301") == "José"
    assert clean_text("👩\u200d🔧") == "👩\u200d🔧"


def test_the_message_names_the_field_and_is_translated():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        clean_text("x\u202e", label="地址")
    assert caught.value.messages[0].startswith("地址") and "U+202E" in caught.value.messages[0]


@given(st.text(), st.booleans())
@example("张\u202e三", False)
@example("a\u0001", True)
@example("e\u0301\n", False)
@settings(max_examples=300, derandomize=True, deadline=None)
def test_any_text_is_cleaned_or_refused_with_a_message_never_another_error(value, multiline):
    try:
        cleaned = clean_text(value, field="note", label="备注", multiline=multiline)
    except ValidationError as exc:
        assert first_refused(unicodedata.normalize("NFC", value).strip(), multiline=multiline) is not None
        assert exc.message_dict["note"][0]
        return
    assert cleaned == unicodedata.normalize("NFC", cleaned)
    assert first_refused(cleaned, multiline=multiline) is None
    assert clean_text(cleaned, multiline=multiline) == cleaned, "cleaning twice changes nothing"


@given(st.text(max_size=20), refused_chars(), st.text(max_size=20), st.booleans())
@settings(max_examples=200, derandomize=True, deadline=None)
def test_a_hostile_character_anywhere_inside_is_refused(before, char, after, multiline):
    with pytest.raises(ValidationError):
        clean_text(f"x{before}{char}{after}x", multiline=multiline)


# --- Through the services, the API, imports and pages -----------------------------------------------------


@pytest.fixture
def firm(db):
    return EnterpriseFactory(district=district("330206"))


@pytest.mark.parametrize("char", ["\u0001", "\u202e"])
def test_the_registry_refuses_hostile_names_of_workers_and_enterprises(firm, city_clerk, char):
    with pytest.raises(ValidationError) as caught:
        register_worker(firm, sequence=5, name=f"张{char}三")
    assert set(caught.value.message_dict) == {"name"}
    assert not Worker.objects.filter(name__contains=char).exists()

    worker = register_worker(firm, sequence=6, name="李四")
    with pytest.raises(ValidationError) as caught:
        worker_services.worker_update(by=city_clerk, worker_id=worker.pk, position=f"车工{char}")
    assert set(caught.value.message_dict) == {"position"}

    with pytest.raises(ValidationError) as caught:
        worker_services.enterprise_register(
            by=city_clerk,
            name=f"宁波{char}机械",
            credit_code=make_credit_code(77),
            district_id=firm.district_id,
        )
    assert set(caught.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as caught:
        worker_services.enterprise_update(by=city_clerk, enterprise_id=firm.pk, address=f"北仑{char}路1号")
    assert set(caught.value.message_dict) == {"address"}
    assert not Enterprise.objects.filter(address__contains=char).exists()


def test_the_registry_stores_names_composed(firm):
    worker = register_worker(firm, sequence=7, name="Jose\u0301 Li")
    assert Worker.objects.get(pk=worker.pk).name == "José Li"


def test_mediation_refuses_hostile_claims_notes_and_member_names_but_keeps_line_breaks(firm, city_clerk):
    worker = register_worker(firm, sequence=8)
    apply = {
        "by": city_clerk,
        "applicant_ids": [worker.pk],
        "dispute_type": DisputeType.PAY,
        "source": CaseSource.WALK_IN,
    }
    with pytest.raises(ValidationError) as caught:
        mediation_services.case_apply(**apply, claim="支付工资\u202e", external_reference="A\u0001")
    assert set(caught.value.message_dict) == {"claim", "external_reference"}
    assert not DisputeCase.objects.exists()

    case = mediation_services.case_apply(**apply, claim="一、支付工资\r\n二、补偿金")
    assert DisputeCase.objects.get(pk=case.pk).claim == "一、支付工资\n二、补偿金"
    with pytest.raises(ValidationError) as caught:
        mediation_services.case_add_note(case_id=case.pk, by=city_clerk, text="电话\u202e联系")
    assert set(caught.value.message_dict) == {"text"}
    with pytest.raises(ValidationError) as caught:
        mediation_services.case_reject(case_id=case.pk, by=city_clerk, reason="不属于\n劳动争议")
    assert set(caught.value.message_dict) == {"reason"}
    assert CaseEvent.objects.filter(case=case).count() == 1

    with pytest.raises(ValidationError) as caught:
        mediation_services.committee_establish(
            by=None,
            kind=CommitteeKind.STREET,
            name="街道调解中心",
            district_id=firm.district_id,
            established_on=datetime.date(2017, 1, 1),
            members=[{"name": "王\u202e主任", "role": MemberRole.CHAIR, "union_member": True}],
        )
    assert set(caught.value.message_dict) == {"members"}


def test_an_import_row_with_a_control_character_is_refused_with_its_column(firm):
    number = make_id_number("230103", "19950310", 41)
    header = "姓名,身份证号,手机号,银行账号,企业统一社会信用代码,职业,岗位,学历,是否工会会员,入职日期"
    row = f"张\u202e三,{number},13800000041,,{firm.credit_code},焊工,,高中,是,2020-03-01"
    outcome = run_import(
        WorkerImporter(), io.BytesIO(f"{header}\r\n{row}\r\n".encode()), "职工.csv", write=True
    )
    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "姓名")]
    assert "U+202E" in outcome.errors[0].message
    assert not Worker.objects.exists()


def test_the_api_refuses_a_hostile_application_with_a_field_error(firm, worker_user):
    worker_user.worker = register_worker(firm, sequence=9)
    worker_user.save()
    api = APIClient()
    api.force_authenticate(worker_user)
    response = api.post(
        "/api/mediation/applications/",
        {"dispute_type": DisputeType.PAY, "claim": "\u202e资工付支"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) == {"claim"}
    assert not DisputeCase.objects.exists()


def test_the_workers_page_refuses_a_hostile_application(client, firm, worker_user):
    worker_user.worker = register_worker(firm, sequence=10)
    worker_user.save()
    client.force_login(worker_user)
    response = client.post(
        "/me/apply/mediation/",
        {"enterprise": firm.pk, "dispute_type": DisputeType.PAY, "claim": "拖欠\u0001工资"},
    )
    assert response.status_code == 200
    assert "U+0001" in response.content.decode()
    assert not DisputeCase.objects.exists()


def test_an_id_number_still_reads_after_cleaning(firm):
    # The cleaner sits beside the identifier normalisers, not in their way.
    worker = register_worker(firm, sequence=11)
    assert worker_services.worker_by_id_number(make_id_number("230103", "19950310", 11)) == worker
