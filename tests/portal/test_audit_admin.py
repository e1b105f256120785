"""The audit review page: scoped, read-only, filtered and searched through indexes, exported, never counted."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from portal.audit import audit_record
from portal.audit_labels import ACTION_LABELS
from portal.choices import JobStatus, Role
from portal.models import AuditEvent, Job
from portal.paginator import EstimatedCountPaginator
from portal.selectors import audit_actions_recorded
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker

LIST = "/admin/portal/auditevent/"
EXPORT_HEADERS = [
    "时间",
    "操作人账号",
    "操作人",
    "操作类别",
    "操作",
    "操作代码",
    "所在区（县、市）",
    "对象类型",
    "对象编号",
    "摘要",
    "详情",
]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def events(city_clerk, beilun_clerk, haishu_clerk):
    beilun, haishu = district("330206").pk, district("330203").pk
    made = {
        "approve": audit_record(
            actor=beilun_clerk,
            action="claim.approve",
            district_id=beilun,
            summary="首笔补贴",
            data={"amount": "1500.00", "reference": "BL-1"},
        ),
        "pay": audit_record(actor=city_clerk, action="claim.pay", district_id=haishu, summary="海曙付款"),
        "reveal": audit_record(
            actor=city_clerk, action="personal_data.reveal", district_id=beilun, data={"field": "id_number"}
        ),
        "case": audit_record(
            actor=haishu_clerk, action="case.accept", district_id=haishu, summary="欠薪案件"
        ),
        "download": audit_record(actor=city_clerk, action="batch.disbursement_download", summary="批次 7"),
        "import": audit_record(actor=None, action="import.workers", district_id=beilun, data={"new": 3}),
        "formula": audit_record(
            actor=beilun_clerk,
            action="worker.update",
            district_id=beilun,
            summary='=HYPERLINK("http://x","点")',
        ),
    }
    # Give every event its own object reference, as services do.
    for n, event in enumerate(made.values(), start=1):
        AuditEvent.objects.filter(pk=event.pk).update(object_type="training.claim", object_id=str(100 + n))
    return {key: AuditEvent.objects.get(pk=event.pk) for key, event in made.items()}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def listed(client, **params) -> set[str]:
    """The actions on the page, for the given filters."""
    page = client.get(LIST, params)
    assert page.status_code == 200, page
    return {event.action for event in page.context["cl"].result_list}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Who sees what ---------------------------------------------------------------------------------------


def test_city_staff_see_every_event_and_district_staff_only_their_districts(
    client, city_clerk, beilun_clerk, events
):
    assert listed(login(client, city_clerk)) == {e.action for e in events.values()}
    client.logout()
    assert listed(login(client, beilun_clerk)) == {
        "claim.approve", "personal_data.reveal", "import.workers", "worker.update",
    }  # fmt: skip


def test_officials_and_workers_cannot_open_the_audit_log(client, beilun_official, worker_user, events):
    for user in (beilun_official, worker_user):
        client.logout()
        login(client, user)
        assert client.get(LIST).status_code == 302  # to the admin login: no admin for them
        assert client.get(f"{LIST}export/csv/").status_code == 302


def test_the_audit_log_is_read_only(client, city_clerk, events):
    login(client, city_clerk)
    event = events["pay"]
    page = client.get(f"{LIST}{event.pk}/change/")
    assert page.status_code == 200 and b'type="submit"' not in page.content.split(b'id="content"')[1]
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{event.pk}/change/", {"summary": "改"}).status_code == 403
    assert client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{LIST}import/").status_code == 403
    assert b'name="action"' not in client.get(LIST).content  # no bulk actions, no "delete selected"
    event.refresh_from_db()
    assert event.summary == "海曙付款"


# --- Filters and search ----------------------------------------------------------------------------------


def test_the_action_filter_groups_actions_by_family(client, city_clerk, events):
    login(client, city_clerk)
    assert listed(client, action="claim.*") == {"claim.approve", "claim.pay"}
    assert listed(client, action="claim.pay") == {"claim.pay"}
    assert listed(client, action="batch.*") == {"batch.disbursement_download"}
    spec = client.get(LIST).context["cl"].filter_specs[0]
    labels = [str(label) for _value, label in spec.lookup_choices]
    claims = labels.index("Claims and payments")
    assert labels[claims + 1 : claims + 3] == ["\u3000Claim approved", "\u3000Claim marked paid"]
    assert "Reveals of personal data" in labels and "Payment batches and disbursement files" in labels


def test_filters_by_actor_system_and_district(client, city_clerk, beilun_clerk, events):
    login(client, city_clerk)
    assert listed(client, actor=beilun_clerk.pk) == {"claim.approve", "worker.update"}
    assert listed(client, actor="none") == {"import.workers"}
    assert listed(client, district=district("330203").pk) == {"claim.pay", "case.accept"}
    assert listed(client, district=district("330203").pk, action="case.*") == {"case.accept"}


def test_the_actor_filter_offers_staff_in_scope_never_workers(
    client, beilun_clerk, haishu_clerk, worker_user
):
    login(client, beilun_clerk)
    page = client.get(LIST)
    actor_filter = next(spec for spec in page.context["cl"].filter_specs if spec.parameter_name == "actor")
    offered = {label for _value, label in actor_filter.lookup_choices}
    assert "beilun_clerk" in offered and "System" in offered
    assert "haishu_clerk" not in offered and "worker_zhang" not in offered


def test_the_date_range_is_in_local_days_and_inclusive(client, city_clerk, events):
    local = timezone.get_current_timezone()
    # 00:30 on 2 March in Ningbo is still 1 March in UTC.
    AuditEvent.objects.filter(pk=events["pay"].pk).update(
        created_at=datetime.datetime(2025, 3, 2, 0, 30, tzinfo=local)
    )
    AuditEvent.objects.filter(pk=events["case"].pk).update(
        created_at=datetime.datetime(2025, 3, 1, 23, 59, tzinfo=local)
    )
    login(client, city_clerk)
    assert listed(client, created_from="2025-03-02", created_to="2025-03-02") == {"claim.pay"}
    assert listed(client, created_from="2025-03-01", created_to="2025-03-02") == {"claim.pay", "case.accept"}
    assert listed(client, created_to="2025-03-01") == {"case.accept"}
    bad = client.get(LIST, {"created_from": "tomorrow"})
    assert bad.status_code == 302 and bad["Location"].endswith("?e=1")


def test_a_date_box_keeps_the_other_filters_when_submitted(client, city_clerk, events):
    changelist = (
        login(client, city_clerk).get(LIST, {"action": "claim.*", "created_to": "2025-01-01"}).context["cl"]
    )
    spec = next(s for s in changelist.filter_specs if s.parameter_name == "created_from")
    (choice,) = spec.choices(changelist)
    assert choice["hidden"] == [("action", "claim.*"), ("created_to", "2025-01-01")]


def test_search_finds_a_record_an_action_or_words_of_the_summary(client, city_clerk, events):
    login(client, city_clerk)
    pay = events["pay"]
    assert listed(client, q=f"training.claim:{pay.object_id}") == {"claim.pay"}
    assert listed(client, q=pay.object_id) == {"claim.pay"}
    assert listed(client, q="case.accept") == {"case.accept"}
    assert listed(client, q="欠薪") == {"case.accept"}


def test_the_list_links_each_event_to_its_record_and_names_the_system(client, city_clerk, events):
    html = login(client, city_clerk).get(LIST).content.decode()
    assert f'href="/admin/training/claim/{events["pay"].object_id}/change/"' in html
    assert "System" in html


# --- Exports ---------------------------------------------------------------------------------------------


def test_the_export_has_chinese_headers_escapes_formulas_and_is_itself_audited(client, city_clerk, events):
    login(client, city_clerk)
    response = client.get(f"{LIST}export/xlsx/", {"action": "worker.*"})
    assert response.status_code == 200
    rows = [
        list(r) for r in load_workbook(io.BytesIO(body(response))).worksheets[0].iter_rows(values_only=True)
    ]
    assert rows[0] == EXPORT_HEADERS
    assert len(rows) == 2
    row = dict(zip(EXPORT_HEADERS, rows[1], strict=True))
    assert row["摘要"] == '\'=HYPERLINK("http://x","点")'
    assert (row["操作人账号"], row["操作类别"], row["操作"], row["操作代码"]) == (
        "beilun_clerk",
        "Workers",
        "Worker's details changed",
        "worker.update",
    )
    local = timezone.localtime(events["formula"].created_at).replace(tzinfo=None)
    assert abs(row["时间"] - local) < datetime.timedelta(seconds=1)  # local wall time, no zone
    exported = AuditEvent.objects.get(action="export.audit_events")
    assert exported.actor == city_clerk and exported.data == {"rows": 1, "format": "xlsx"}


def test_the_csv_export_follows_the_filters_and_the_district_scope(client, beilun_clerk, events):
    login(client, beilun_clerk)
    data = body(client.get(f"{LIST}export/csv/", {"action": "claim.*"}))
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == EXPORT_HEADERS
    assert [(row[4], row[5]) for row in table[1:]] == [
        ("Claim approved", "claim.approve")
    ]  # claim.pay is Haishu's
    details = table[1][10]
    assert '"amount": "1500.00"' in details and "BL-1" in details


def test_a_large_export_of_the_log_runs_as_a_job(
    client, city_clerk, events, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 2
    login(client, city_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"{LIST}export/csv/")
    job = Job.objects.get(kind="export.audit_events")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.SUCCEEDED and job.result["rows"] == len(events)


# --- Scale: no COUNT, indexes, a constant number of queries ----------------------------------------------


def test_rows_written_in_bulk_get_their_family_too(db):
    AuditEvent.objects.bulk_create([AuditEvent(action="claim.review"), AuditEvent(action="oddity")])
    assert sorted(AuditEvent.objects.values_list("family", flat=True)) == ["claim", "oddity"]


def test_the_recorded_actions_are_listed_without_reading_the_log(events):
    assert audit_actions_recorded() == sorted({e.action for e in events.values()})


def test_the_list_costs_the_same_queries_however_many_events(
    client, city_clerk, events, django_assert_max_num_queries
):
    login(client, city_clerk)
    client.get(LIST)  # warm up: session, permissions
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(40):
        audit_record(
            actor=city_clerk, action="claim.review", district_id=district("330206").pk, summary=f"#{n}"
        )
    with django_assert_max_num_queries(len(few)):
        client.get(LIST)


@pytest.mark.postgres
def test_the_list_never_counts_the_log(client, city_clerk, events, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)  # as on a log of millions
    login(client, city_clerk)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST, {"action": "claim.*"})
    assert page.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "portal_auditevent" in q["sql"]]
    assert counts == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("condition", "index"),
    [
        ("TRUE", "audit_recent"),
        ("family = 'claim'", "audit_family_recent"),
        ("action = 'claim.pay'", "audit_action_recent"),
        ("district_id = 1", "audit_district_recent"),
        ("actor_id = 1", "audit_actor_recent"),
        ("created_at >= now() - interval '7 days'", "audit_recent"),
    ],
)
def test_an_index_serves_each_filter_in_the_lists_order(db, condition, index):
    """No sort of the log for a page: the plan walks an index in (created_at, id) descending order."""
    with connection.cursor() as cursor:
        # The test table is tiny, so the planner would read it whole; ask what the indexes can do instead.
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM portal_auditevent WHERE "  # noqa: S608 (constants above)
            + condition
            + " ORDER BY created_at DESC, id DESC LIMIT 50"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert "Sort" not in plan, plan


def test_superusers_see_the_log_like_city_staff(client, events):
    admin_user = UserFactory(username="root", role=Role.WORKER, is_superuser=True, is_staff=True)
    assert listed(login(client, admin_user)) == {e.action for e in events.values()}


# --- A readable trail: actions in words, records by reference, details as a table, local times ------------


def test_every_action_the_code_records_has_a_label_in_words():
    """Scans the apps for the action codes services record (literal and f-string families) and asks the
    label table for each: a new action without a label fails here, naming itself."""
    recorded = recorded_action_codes()
    assert {
        "claim.approve",
        "case.accept",
        "personal_data.reveal",
        "import.workers",
        "export.audit_events",
    } <= (recorded)
    missing = sorted(code for code in recorded if code not in ACTION_LABELS)
    assert missing == [], f"add these to portal/audit_labels.py ACTION_LABELS: {missing}"


def test_the_list_names_actions_in_words_and_keeps_the_code_for_search(client, city_clerk, events):
    html = login(client, city_clerk).get(LIST).content.decode()
    assert '<span title="claim.approve">Claim approved</span>' in html
    assert "Personal data revealed" in html and "Disbursement file downloaded" in html
    assert ">claim.approve<" not in html


def test_records_are_named_by_their_reference_and_linked_within_the_viewers_scope(
    client, city_clerk, beilun_clerk, haishu_clerk
):
    from workers.services import personal_data_reveal

    beilun_worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=41, name="李四")
    personal_data_reveal(by=beilun_clerk, worker_id=beilun_worker.pk, field="phone", reason="核对电话")
    event = AuditEvent.objects.get(action="personal_data.reveal")
    html = login(client, beilun_clerk).get(LIST).content.decode()
    assert f'<a href="/admin/workers/worker/{beilun_worker.pk}/change/">李四</a>' in html
    # A record outside the viewer's scope is never loaded for its name: the event's own reference shows.
    AuditEvent.objects.filter(pk=event.pk).update(district=district("330203"))
    client.logout()
    html = login(client, haishu_clerk).get(LIST).content.decode()
    assert f"workers.worker:{beilun_worker.pk}" in html and "李四" not in html


def test_an_events_page_shows_its_details_as_a_table_in_words(client, city_clerk, events):
    AuditEvent.objects.filter(pk=events["approve"].pk).update(
        data={"from": "reviewed", "to": "approved", "amount": "1500.00", "reference": "BL-1", "bulk": True}
    )
    page = login(client, city_clerk).get(f"{LIST}{events['approve'].pk}/change/").content.decode()
    table = page.split('class="audit-details"')[1].split("</table>")[0]
    rows = dict(re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table))
    assert rows == {
        "status before": "Reviewed",
        "status after": "Approved",
        "amount (yuan)": "1500.00",
        "reference": "BL-1",
        "bulk action": "yes",
    }
    assert '{"' not in page.split('id="content"')[1]  # no raw JSON


def test_the_fields_of_a_reveal_and_of_an_update_are_named(client, city_clerk, beilun_clerk):
    from workers.services import personal_data_reveal, worker_update

    worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=42)
    personal_data_reveal(by=beilun_clerk, worker_id=worker.pk, field="id_number", reason="核对身份")
    worker_update(by=beilun_clerk, worker_id=worker.pk, occupation="电工")
    login(client, city_clerk)
    for action, expected in (("personal_data.reveal", "ID number"), ("worker.update", "occupation")):
        event = AuditEvent.objects.get(action=action)
        page = client.get(f"{LIST}{event.pk}/change/").content.decode()
        table = page.split('class="audit-details"')[1].split("</table>")[0]
        assert expected in table.lower().replace("id number", "ID number"), table
    reveal = AuditEvent.objects.get(action="personal_data.reveal")
    assert "核对身份" in client.get(f"{LIST}{reveal.pk}/change/").content.decode()


def test_times_are_in_asia_shanghai_on_the_list_the_page_and_its_title(client, city_clerk, events):
    utc = datetime.datetime(2025, 3, 1, 16, 30, tzinfo=datetime.UTC)  # 00:30 on 2 March in Ningbo
    AuditEvent.objects.filter(pk=events["pay"].pk).update(created_at=utc)
    login(client, city_clerk)
    page = client.get(f"{LIST}{events['pay'].pk}/change/").content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert "2025-03-02 00:30" in title and "Claim marked paid" in title and "16:30" not in title
    assert "16:30" not in page.split('id="content"')[1]
    assert str(AuditEvent.objects.get(pk=events["pay"].pk)).startswith("2025-03-02 00:30")


def recorded_action_codes() -> set[str]:
    """Action codes recorded by the apps' code: literal ones, and the families built with f-strings
    (claim.{action}, case.{action}, export.{key}) expanded from the literals passed to their helpers."""
    root = Path(__file__).resolve().parents[2]
    codes: set[str] = set()
    for package in ("portal", "workers", "training", "mediation", "indicators"):
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            codes |= set(re.findall(r'\baction\s*=\s*"([a-z_]+\.[a-z_]+)"', text))
            codes |= set(re.findall(r'\(\s*"([a-z_]+\.[a-z_]+)"\s*,\s*\{', text))  # ("user.update", {…})
            codes |= {
                f"import.{key}" for key in re.findall(r'\baudit_action\s*=\s*"import\.([a-z_]+)"', text)
            }
            for family in re.findall(r'action=f"([a-z_]+)\.\{action\}"', text):
                # The helper's callers name the step as a literal: _audit(by, claim, "approve", …) or
                # action="approve" in the bulk transitions.
                steps = re.findall(r'_audit\(\s*by,\s*\w+,\s*"([a-z_]+)"', text)
                steps += re.findall(r'\baction="([a-z_]+)"', text)
                codes |= {f"{family}.{step}" for step in steps}
            if 'action=f"export.{key}"' in text:
                keys = set()
                for other in root.rglob("*.py"):
                    if ".venv" in other.parts or "tests" in other.parts:
                        continue
                    body = other.read_text(encoding="utf-8")
                    keys |= set(re.findall(r'\bimporter_key\s*=\s*"([a-z_]+)"', body))
                    keys |= set(re.findall(r'^\s+key\s*=\s*"([a-z_]+)"', body, re.MULTILINE))
                codes |= {f"export.{key}" for key in keys}
    return codes


def test_a_workers_own_actions_are_listed_under_their_name_not_their_hashed_account(client, city_clerk):
    worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=41, name="孙师傅")
    account = UserFactory(username="u" + "3f9a" * 6, role=Role.WORKER, worker=worker, first_name="孙师傅")
    audit_record(actor=account, action="worker.update", obj=worker, summary="银行账号变更申请")
    html = login(client, city_clerk).get(LIST).content.decode()
    assert account.username not in html
    assert "孙师傅" in html[html.index("field-actor_display") :]


def test_a_long_summary_is_clamped_on_the_list_with_the_whole_text_in_its_title(client, city_clerk):
    long = "申请人" + "所在企业未按规定缴纳社会保险，" * 12 + "请补充材料。"
    audit_record(actor=city_clerk, action="claim.reject", district_id=district("330206").pk, summary=long)
    html = login(client, city_clerk).get(LIST).content.decode()
    assert f'class="clamp" title="{long}"' in html
