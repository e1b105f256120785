"""The words on Chinese pages: Django's and third-party apps' messages, the two kinds of claim, payments,
audit actions, the craftsman titles. Each test is one thing a clerk, an official or a worker read in English.
"""

import datetime
import re

import pytest
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext

from mediation.models import DisputeCase
from portal.third_party_messages import THIRD_PARTY_MESSAGES, THIRD_PARTY_PLURALS
from tests.conftest import PASSWORD
from tests.factories import district
from training.choices import ProgramType
from training.models import Claim, Payment, TrainingProgram
from workers.models import CraftsmanTitle

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh"}


def page(client, user, url) -> str:
    client.login(username=user.username, password=PASSWORD)
    response = client.get(url, **CHINESE)
    assert response.status_code == 200
    return response.content.decode()


def test_every_third_party_message_has_a_chinese_translation():
    with translation.override("zh-hans"):
        untranslated = [m for m in THIRD_PARTY_MESSAGES if gettext(m) == m and re.search("[A-Za-z]{3}", m)]
        plurals = [str(m % 12) for m in THIRD_PARTY_PLURALS]
    assert untranslated == []
    assert all(re.search("[\u4e00-\u9fff]", text) for text in plurals)


def test_the_admin_index_reads_its_table_headings_aloud_in_chinese(client, city_clerk):
    html = page(client, city_clerk, "/admin/")
    assert "Model name" not in html and "Change or view list link" not in html
    assert '<th scope="col">模型名称</th>' in html


def test_the_password_length_message_of_django_5_2_is_chinese():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        MinimumLengthValidator(12).validate("short")
    assert error.value.messages == ["密码太短，至少需要 12 个字符。"]


def test_the_user_add_help_text_of_django_is_chinese():
    with translation.override("zh-hans"):
        text = gettext("After you’ve created a user, you’ll be able to edit more user options.")
    assert text == "创建用户后，您可以编辑更多用户选项。"


def test_task_results_and_schedules_are_chinese_for_the_staff_who_see_them(client, city_clerk):
    results = page(client, city_clerk, "/admin/django_celery_results/taskresult/")
    assert "Task results" not in results and "Completed DateTime" not in results
    assert "任务结果" in results and "完成时间" in results
    schedules = page(client, city_clerk, "/admin/django_celery_beat/periodictask/")
    assert "Task Name" not in schedules
    assert "任务名称" in schedules


def test_a_money_claim_is_an_application_and_a_dispute_claim_what_is_asked_for():
    with translation.override("zh-hans"):
        assert str(Claim._meta.verbose_name) == "申请"
        assert str(Claim._meta.verbose_name_plural) == "申请"
        assert str(Payment._meta.get_field("claim").verbose_name) == "申请"
        assert str(DisputeCase._meta.get_field("claim").verbose_name) == "请求事项"


def test_payments_are_payment_records_everywhere(client, city_clerk):
    with translation.override("zh-hans"):
        assert str(Payment._meta.verbose_name_plural) == "支付记录"
        assert gettext("payments") == "支付记录"
    html = page(client, city_clerk, "/admin/")
    assert "款项数" not in html
    assert "支付记录" in html


def test_the_craftsman_titles_are_described_in_chinese(db):
    descriptions = dict(CraftsmanTitle.objects.values_list("name", "description"))
    assert descriptions["宁波工匠"] == "宁波工匠：市级称号，列为高级人才。"
    assert not any(re.search("[A-Za-z]{3}", text) for text in descriptions.values())


def test_the_training_program_list_names_its_number_column(client, city_clerk):
    TrainingProgram.objects.create(
        name="数控车工技能提升班", program_type=ProgramType.SKILL_UPGRADE, provider_school="宁波技师学院",
        district=district("330206"), starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2025, 12, 31),
    )  # fmt: skip
    html = page(client, city_clerk, "/admin/training/trainingprogram/")
    assert "column-reference" in html
    assert ">Reference<" not in html
    assert "项目编号" in html


def test_the_audit_export_shows_the_action_in_words_and_its_code(client, city_clerk):
    from portal.audit import audit_record

    audit_record(actor=city_clerk, action="user.update", obj=city_clerk, summary="改名")
    client.login(username=city_clerk.username, password=PASSWORD)
    response = client.get("/admin/portal/auditevent/export/csv/", {"action": "user.update"}, **CHINESE)
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    header, row = text.splitlines()[:2]
    assert header.split(",")[4:6] == ["操作", "操作代码"]
    assert row.split(",")[4:6] == ["账号信息已修改", "user.update"]


def test_apps_and_fields_named_only_in_english_get_chinese_names():
    from django.apps import apps

    with translation.override("zh-hans"):
        assert str(apps.get_app_config("axes").verbose_name) == "登录失败与锁定"
        field = apps.get_model("django_celery_beat", "PeriodicTask")._meta.get_field("task")
        assert str(field.verbose_name) == "任务名称"


def test_a_records_history_leads_to_its_audit_events_in_words(client, city_clerk):
    from portal.audit import audit_record

    audit_record(actor=city_clerk, action="user.update", obj=city_clerk, summary="改名")
    history = page(client, city_clerk, f"/admin/portal/user/{city_clerk.pk}/history/")
    link = f"/admin/portal/auditevent/?q=portal.user:{city_clerk.pk}"
    assert f'href="{link}"' in history
    events = page(client, city_clerk, link)
    assert "账号信息已修改" in events
    assert ">user.update<" not in events
