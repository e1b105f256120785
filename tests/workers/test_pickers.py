"""Pickers that tell people apart: every worker suggestion and chosen worker reads name, masked ID number and
enterprise, exact names come first, and the enterprise a worker moves to is one the clerk may write to."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district, register_worker
from workers.services import worker_leave

AUTOCOMPLETE = "/admin/autocomplete/"
#: Every form of the admin that picks a worker, as (app, model, field) of its autocomplete.
WORKER_PICKERS = [
    ("training", "claim", "worker"),
    ("training", "enrollment", "worker"),
    ("training", "apprenticeship", "master"),
    ("training", "apprenticeship", "apprentice"),
    ("workers", "skillcertificate", "worker"),
    ("workers", "craftsmanaward", "worker"),
    ("mediation", "disputecase", "applicants"),
]


@pytest.fixture
def firms(db):
    return {
        "beilun": EnterpriseFactory(district=district("330206"), name="北仑港机械厂"),
        "beilun2": EnterpriseFactory(district=district("330206"), name="北仑模具厂"),
        "haishu": EnterpriseFactory(district=district("330203"), name="海曙纺织厂"),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def suggestions(client, term, app="training", model="claim", field="worker"):
    response = client.get(
        AUTOCOMPLETE, {"term": term, "app_label": app, "model_name": model, "field_name": field}
    )
    assert response.status_code == 200, response
    return [row["text"] for row in response.json()["results"]]


@pytest.mark.parametrize(("app", "model", "field"), WORKER_PICKERS)
def test_every_worker_picker_suggests_name_masked_id_number_and_enterprise(
    client, city_clerk, firms, app, model, field
):
    one = register_worker(firms["beilun"], sequence=1, name="王芳")
    two = register_worker(firms["haishu"], sequence=2, name="王芳")
    texts = suggestions(login(client, city_clerk), "王芳", app, model, field)
    assert sorted(texts) == sorted(
        [f"王芳 · {one.id_number_masked} · 北仑港机械厂", f"王芳 · {two.id_number_masked} · 海曙纺织厂"]
    )
    assert one.id_number not in "".join(texts) and two.id_number not in "".join(texts)


def test_a_worker_who_left_is_named_with_the_enterprise_they_left(client, city_clerk, firms):
    worker = register_worker(firms["beilun"], sequence=1, name="李明")
    worker_leave(by=None, worker_id=worker.pk, left_on=datetime.date(2024, 5, 1))
    assert suggestions(login(client, city_clerk), "李明") == [
        f"李明 · {worker.id_number_masked} · 北仑港机械厂（已离职）"
    ]


def test_exact_name_matches_come_before_longer_names(client, city_clerk, firms):
    # The longer names are newer (higher ids), so the default order would put them first.
    register_worker(firms["beilun"], sequence=1, name="王芳")
    register_worker(firms["beilun"], sequence=2, name="王芳华")
    register_worker(firms["beilun"], sequence=3, name="王芳芳")
    register_worker(firms["beilun"], sequence=4, name="王芳")
    register_worker(firms["beilun"], sequence=5, name="王芳丽")
    login(client, city_clerk)
    names = [text.split(" · ")[0] for text in suggestions(client, "王芳")]
    assert names == ["王芳", "王芳", "王芳丽", "王芳芳", "王芳华"]
    listed = client.get("/admin/workers/worker/", {"q": "王芳"}).context["cl"].result_list
    assert [w.name for w in listed] == ["王芳", "王芳", "王芳丽", "王芳芳", "王芳华"]


def test_a_surname_alone_keeps_the_newest_first_order_without_ranking(client, city_clerk, firms):
    for n, name in enumerate(["王芳", "王伟", "王强"], start=1):
        register_worker(firms["beilun"], sequence=n, name=name)
    login(client, city_clerk)
    with CaptureQueriesContext(connection) as queries:
        names = [text.split(" · ")[0] for text in suggestions(client, "王")]
    assert names == ["王强", "王伟", "王芳"]
    # Nobody is named just 王: no CASE ordering, so the list stays an index walk at city scale.
    assert not any("CASE WHEN" in q["sql"] for q in queries.captured_queries)


def test_the_suggestions_query_count_does_not_grow_with_the_page(client, city_clerk, firms):
    login(client, city_clerk)
    register_worker(firms["beilun"], sequence=1, name="赵一")
    suggestions(client, "赵")
    with CaptureQueriesContext(connection) as few:
        suggestions(client, "赵")
    for n in range(2, 15):
        register_worker(firms["beilun" if n % 2 else "haishu"], sequence=n, name=f"赵{n}")
    with CaptureQueriesContext(connection) as many:
        assert len(suggestions(client, "赵")) == 14
    assert len(many) == len(few)


def test_a_district_clerk_is_offered_only_workers_of_their_district(client, beilun_clerk, firms):
    register_worker(firms["beilun"], sequence=1, name="王芳")
    register_worker(firms["haishu"], sequence=2, name="王芳")
    texts = suggestions(login(client, beilun_clerk), "王芳")
    assert len(texts) == 1 and texts[0].endswith("北仑港机械厂")


def test_the_chosen_worker_on_a_form_shown_again_reads_as_the_suggestion_did(client, city_clerk, firms):
    worker = register_worker(firms["beilun"], sequence=1, name="陈师傅")
    login(client, city_clerk)
    # A claim without a kind: the form comes back with the worker still chosen.
    page = client.post("/admin/training/claim/add/", {"worker": worker.pk, "kind": ""})
    assert page.status_code == 200
    html = page.content.decode()
    assert f"陈师傅 · {worker.id_number_masked} · 北仑港机械厂" in html
    assert worker.id_number not in html


# --- The enterprise a worker moves to ------------------------------------------------------------------


def test_the_transfer_picker_searches_only_enterprises_the_clerk_may_write_to(client, beilun_clerk, firms):
    worker = register_worker(firms["beilun"], sequence=1)
    login(client, beilun_clerk)
    page = client.get(f"/admin/workers/worker/{worker.pk}/change/").content.decode()
    # A search box (the admin's autocomplete), not a list of every enterprise of the city.
    field = re.search(r'<select name="new_enterprise"[^>]*>', page)[0]
    assert "admin-autocomplete" in field and 'data-field-name="enterprise"' in field
    assert "海曙纺织厂" not in page
    offered = suggestions(client, "", "workers", "worker", "enterprise")
    assert sorted(offered) == ["北仑模具厂", "北仑港机械厂"]


def test_city_staff_may_move_a_worker_to_any_enterprise(client, city_clerk, firms):
    login(client, city_clerk)
    offered = suggestions(client, "", "workers", "worker", "enterprise")
    assert {"北仑模具厂", "北仑港机械厂", "海曙纺织厂"} <= set(offered)


def test_a_district_clerk_cannot_move_a_worker_to_another_districts_enterprise(client, beilun_clerk, firms):
    from tests.workers.test_admin import inline_data

    worker = register_worker(firms["beilun"], sequence=1)
    login(client, beilun_clerk)
    url = f"/admin/workers/worker/{worker.pk}/change/"
    form = {
        **inline_data(client.get(url)),
        "name": worker.name, "occupation": "", "position": "", "education": "", "new_phone": "",
        "new_bank_account": "", "new_position": "", "left_on": "", "new_enterprise_from": "2024-01-02",
    }  # fmt: skip
    refused = client.post(url, {**form, "new_enterprise": firms["haishu"].pk})
    assert refused.status_code == 200 and "new_enterprise" in refused.context["adminform"].form.errors
    moved = client.post(url, {**form, "new_enterprise": firms["beilun2"].pk})
    assert moved.status_code == 302
    worker.refresh_from_db()
    assert worker.enterprise == firms["beilun2"]


# --- The worker's page links to their records -----------------------------------------------------------


def test_the_workers_page_links_to_their_claims_enrolments_certificates_and_cases(client, city_clerk, firms):
    worker = register_worker(firms["beilun"], sequence=1, name="周师傅")
    login(client, city_clerk)
    html = client.get(f"/admin/workers/worker/{worker.pk}/change/").content.decode()
    for changelist in (
        "/admin/training/claim/",
        "/admin/training/enrollment/",
        "/admin/workers/skillcertificate/",
        "/admin/mediation/disputecase/",
    ):
        link = f"{changelist}?worker={worker.pk}"
        assert f'href="{link}"' in html, changelist
        page = client.get(link)
        assert page.status_code == 200, changelist
        # The list is filtered to the worker, and its sidebar names them (and can clear the filter).
        assert f"周师傅 · {worker.id_number_masked}" in page.content.decode(), changelist


def test_the_worker_filter_lists_only_that_workers_records(client, city_clerk, firms):
    from workers.services import certificate_issue

    mine, other = (register_worker(firms["beilun"], sequence=n) for n in (1, 2))
    for n, worker in enumerate((mine, other)):
        certificate_issue(
            by=None, worker_id=worker.pk, level=3, occupation="焊工", number=f"PK-{n}",
            issued_on=datetime.date(2024, 1, 1),
        )  # fmt: skip
    listed = login(client, city_clerk).get("/admin/workers/skillcertificate/", {"worker": mine.pk})
    assert [c.number for c in listed.context["cl"].result_list] == ["PK-0"]
    assert "e=1" in client.get("/admin/workers/skillcertificate/", {"worker": "x"})["Location"]
