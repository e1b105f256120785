"""The registry admin: scoped, masked, searchable through the hash, writes through the services."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, make_id_number, register_worker
from workers.models import Employment, Worker

CHANGELIST = "/admin/workers/worker/"


@pytest.fixture
def firms(db):
    return {
        "beilun": EnterpriseFactory(district=district("330206")),
        "haishu": EnterpriseFactory(district=district("330203")),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_list_shows_only_the_clerks_district_with_masked_values(client, beilun_clerk, firms):
    mine = register_worker(firms["beilun"], sequence=1, name="北仑职工", phone="13811112222")
    register_worker(firms["haishu"], sequence=2, name="海曙职工")
    html = login(client, beilun_clerk).get(CHANGELIST).content.decode()
    assert "北仑职工" in html and "海曙职工" not in html
    assert mine.id_number not in html and "13811112222" not in html
    assert mine.id_number_masked in html and "138****2222" in html


@pytest.mark.parametrize("how", ["exact", "lower_x_and_spaces", "phone", "name_prefix"])
def test_search_finds_by_id_number_phone_or_name_prefix(client, city_clerk, firms, how):
    number = next(n for s in range(1, 400) if (n := make_id_number("230103", "19900101", s)).endswith("X"))
    from workers.services import worker_register

    target = worker_register(
        by=None,
        name="张金达",
        id_number=number,
        enterprise_id=firms["beilun"].pk,
        hired_on=datetime.date(2019, 3, 1),
        phone="13912345678",
    )
    register_worker(firms["beilun"], sequence=3, name="李四")
    term = {
        "exact": number,
        "lower_x_and_spaces": f" {number[:6]} {number[6:].lower()} ",
        "phone": "139-1234-5678",
        "name_prefix": "张金",
    }[how]
    html = login(client, city_clerk).get(CHANGELIST, {"q": term}).content.decode()
    assert "张金达" in html and "李四" not in html
    assert f"/admin/workers/worker/{target.pk}/change/" in html


def test_the_list_query_count_does_not_grow_with_rows(client, city_clerk, firms):
    login(client, city_clerk)
    register_worker(firms["beilun"], sequence=1)
    client.get(CHANGELIST)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    for n in range(2, 40):
        register_worker(firms["beilun" if n % 2 else "haishu"], sequence=n)
    with CaptureQueriesContext(connection) as many:
        assert client.get(CHANGELIST).status_code == 200
    assert len(many) == len(few)


def test_adding_a_worker_goes_through_the_service(client, beilun_clerk, firms):
    login(client, beilun_clerk)
    number = make_id_number("330282", "19730405", 17)  # a 1988 code held since birth in 1973
    response = client.post(
        "/admin/workers/worker/add/",
        {
            "name": "王五",
            "id_number": number,
            "phone": "138 0000 1111",
            "bank_account": "",
            "enterprise": firms["beilun"].pk,
            "hired_on": "2020-05-06",
            "occupation": "焊工",
            "position": "",
            "education": "",
            "union_member": "on",
            "employments-TOTAL_FORMS": 0,
            "employments-INITIAL_FORMS": 0,
            "certificates-TOTAL_FORMS": 0,
            "certificates-INITIAL_FORMS": 0,
            "awards-TOTAL_FORMS": 0,
            "awards-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    worker = Worker.objects.get(name="王五")
    assert worker.phone == "13800001111" and worker.district == firms["beilun"].district
    assert Employment.objects.filter(worker=worker, ended_on__isnull=True).exists()
    assert AuditEvent.objects.filter(action="worker.register", actor=beilun_clerk).exists()


def test_a_bad_id_number_in_the_admin_shows_the_error_on_the_field_and_saves_nothing(
    client, beilun_clerk, firms
):
    login(client, beilun_clerk)
    good = make_id_number()
    response = client.post(
        "/admin/workers/worker/add/",
        {
            "name": "赵六",
            "id_number": good[:-1] + ("1" if good[-1] == "0" else "0"),
            "enterprise": firms["beilun"].pk,
            "hired_on": "2020-05-06",
            "employments-TOTAL_FORMS": 0,
            "employments-INITIAL_FORMS": 0,
            "certificates-TOTAL_FORMS": 0,
            "certificates-INITIAL_FORMS": 0,
            "awards-TOTAL_FORMS": 0,
            "awards-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "id_number" in response.context["adminform"].form.errors
    assert not Worker.objects.exists()


def test_a_clerk_cannot_open_another_districts_worker(client, beilun_clerk, firms):
    other = register_worker(firms["haishu"])
    response = login(client, beilun_clerk).get(f"/admin/workers/worker/{other.pk}/change/")
    assert response.status_code == 302  # "does not exist", not the record
    reveal = client.post(f"/admin/workers/worker/{other.pk}/reveal/id_number/")
    assert reveal.status_code == 404
    assert not AuditEvent.objects.filter(action="personal_data.reveal").exists()


def test_the_change_page_masks_and_reveal_is_logged(client, beilun_clerk, firms):
    worker = register_worker(firms["beilun"], phone="13855556666")
    login(client, beilun_clerk)
    page = client.get(f"/admin/workers/worker/{worker.pk}/change/").content.decode()
    assert worker.id_number not in page and "13855556666" not in page
    url = f"/admin/workers/worker/{worker.pk}/reveal/phone/"
    assert url in page
    asking = client.get(url).content.decode()  # GET only asks, for a reason
    assert "13855556666" not in asking and 'name="reason"' in asking
    shown = client.post(url, {"reason": "电话回访核实"}).content.decode()
    assert "13855556666" in shown
    event = AuditEvent.objects.get(action="personal_data.reveal")
    assert event.actor == beilun_clerk and event.data == {"field": "phone", "reason": "电话回访核实"}


def test_a_reveal_without_a_reason_asks_again_and_logs_nothing(client, beilun_clerk, firms):
    worker = register_worker(firms["beilun"], phone="13855556666")
    login(client, beilun_clerk)
    response = client.post(f"/admin/workers/worker/{worker.pk}/reveal/phone/", {"reason": "  "})
    html = response.content.decode()
    assert response.status_code == 200
    assert "13855556666" not in html and 'name="reason"' in html and "errorlist" in html
    assert not AuditEvent.objects.filter(action="personal_data.reveal").exists()


def inline_data(page) -> dict:
    """The hidden inline fields the change page rendered (read-only inlines still post their ids)."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                data[form.add_prefix(name)] = getattr(value, "pk", value) or ""
    return data


def test_the_change_form_moves_a_worker_to_another_enterprise(client, city_clerk, firms):
    worker = register_worker(firms["beilun"], position="机床操作工")
    login(client, city_clerk)
    url = f"/admin/workers/worker/{worker.pk}/change/"
    response = client.post(
        url,
        {
            **inline_data(client.get(url)),
            "name": worker.name,
            "occupation": "",
            "position": "机床操作工",
            "education": "",
            "new_phone": "",
            "new_bank_account": "",
            "new_enterprise": firms["haishu"].pk,
            "new_enterprise_from": "2024-01-02",
            "new_position": "车间主任",
            "left_on": "",
        },
    )
    assert response.status_code == 302, re.findall(r"errorlist[^<]*<li>([^<]*)", response.content.decode())
    worker.refresh_from_db()
    assert worker.district == firms["haishu"].district and worker.position == "车间主任"
    assert worker.employments.count() == 2


@pytest.mark.postgres
def test_big_lists_use_the_planner_estimate_instead_of_count(client, city_clerk, firms, monkeypatch):
    from portal.paginator import EstimatedCountPaginator

    for n in range(1, 30):
        register_worker(firms["beilun"], sequence=n)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE workers_worker")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 5)
    login(client, city_clerk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    sql = [q["sql"] for q in queries if "workers_worker" in q["sql"]]
    assert not any("COUNT(" in s.upper() for s in sql), sql
    assert any(s.upper().startswith("EXPLAIN") for s in sql)


def test_the_change_page_does_not_show_the_birth_date_beside_the_masked_number(client, city_clerk, firms):
    worker = register_worker(firms["beilun"], birth="19870605")
    page = login(client, city_clerk).get(f"/admin/workers/worker/{worker.pk}/change/").content.decode()
    for leak in ("1987-06-05", "1987年6月5日", "19870605", "June 5, 1987"):
        assert leak not in page


def test_typing_into_a_text_filter_keeps_the_other_filters_and_the_search(client, city_clerk, firms):
    login(client, city_clerk)
    response = client.get(
        "/admin/workers/worker/", {"district__id__exact": "2", "skill_level": "4", "q": "张"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    form = re.search(r'<form method="get" class="input-filter">(.*?)</form>', html, re.S).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    assert hidden == {"district__id__exact": "2", "skill_level": "4", "q": "张"}
    assert 'name="enterprise_code"' in form


def test_the_change_page_shows_and_changes_the_bank_and_branch_beside_the_masked_account(
    client, beilun_clerk, firms
):
    from workers.services import worker_update

    worker = register_worker(firms["beilun"], bank_account="6222021234567890123", position="焊工")
    worker_update(by=None, worker_id=worker.pk, bank_name="中国工商银行", bank_branch="北仑支行")
    login(client, beilun_clerk)
    url = f"/admin/workers/worker/{worker.pk}/change/"
    page = client.get(url)
    html = page.content.decode()
    assert "6222021234567890123" not in html
    # One row of the identity fieldset: the masked account, then the bank and the branch.
    row = html[html.index("field-masked_bank_account") :]
    row = row[: row.index('<div class="form-row')] if '<div class="form-row' in row else row
    assert "6222 **** **** 0123" in row and "中国工商银行" in row and "北仑支行" in row

    form = {
        **inline_data(page),
        "name": worker.name, "occupation": "", "position": "焊工", "education": "", "new_phone": "",
        "new_bank_account": "6217000011112222333", "bank_name": "中国建设银行", "bank_branch": "新碶支行",
        "new_enterprise": "", "new_enterprise_from": "", "new_position": "", "left_on": "",
    }  # fmt: skip
    bad = client.post(url, {**form, "bank_branch": "新碶\u202e支行"})
    assert bad.status_code == 200 and "U+202E" in bad.content.decode()
    worker.refresh_from_db()
    assert (worker.bank_account, worker.bank_branch) == ("6222021234567890123", "北仑支行")

    response = client.post(url, form)
    assert response.status_code == 302, re.findall(r"errorlist[^<]*<li>([^<]*)", response.content.decode())
    worker.refresh_from_db()
    assert (worker.bank_account, worker.bank_name, worker.bank_branch) == (
        "6217000011112222333", "中国建设银行", "新碶支行",
    )  # fmt: skip
    event = AuditEvent.objects.filter(action="worker.update", actor=beilun_clerk).get()
    assert event.data == {"fields": ["bank_account", "bank_branch", "bank_name"]}
