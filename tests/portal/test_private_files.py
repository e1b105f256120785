"""Uploaded files go only to users whose scope covers the owning record; names cannot escape."""

from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile

from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, district


@pytest.fixture
def plan(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    firm = EnterpriseFactory(district=district("330206"))
    firm.policy_plan_file.save("一企一策.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)
    return firm


def test_a_clerk_in_scope_downloads_the_plan(client, beilun_clerk, plan):
    client.login(username=beilun_clerk.username, password=PASSWORD)
    response = client.get(plan.policy_plan_file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 plan"
    assert "no-cache" in response.headers["Cache-Control"] or "no-store" in response.headers["Cache-Control"]


def test_other_districts_and_anonymous_users_get_nothing(client, haishu_clerk, plan):
    assert client.get(plan.policy_plan_file.url).status_code == 302  # to the login page
    client.login(username=haishu_clerk.username, password=PASSWORD)
    assert client.get(plan.policy_plan_file.url).status_code == 404


@pytest.mark.parametrize(
    "path", ["enterprise_plans/../../settings.py", "other/x.pdf", "enterprise_plans/none.pdf"]
)
def test_unknown_or_traversing_paths_are_404(client, city_clerk, plan, path):
    client.login(username=city_clerk.username, password=PASSWORD)
    assert client.get(f"/files/{path}").status_code == 404


def test_a_receipt_goes_to_its_worker_and_clerks_in_scope_only(client, settings, tmp_path, roles):
    import datetime
    from decimal import Decimal

    from portal.choices import Role
    from tests.factories import UserFactory, register_worker
    from training.choices import ClaimKind
    from training.services import claim_submit

    settings.MEDIA_ROOT = tmp_path
    firm = EnterpriseFactory(district=district("330206"))
    owner = register_worker(firm, sequence=1, bank_account="6222020000000000011")
    other = register_worker(firm, sequence=2, bank_account="6222020000000000012")
    receipt = ContentFile(b"%PDF-1.4 receipt", name="收据.pdf")
    claim = claim_submit(
        by=None,
        worker_id=owner.pk,
        kind=ClaimKind.TUITION,
        tuition={
            "degree": "bachelor",
            "institution": "宁波大学",
            "major": "机械",
            "tuition_paid": Decimal("5000"),
            "paid_on": datetime.date(2025, 3, 1),
            "relevant_to_job": True,
            "receipt": receipt,
        },
    )
    url = claim.tuition.receipt.url
    for worker, expected in ((owner, 200), (other, 404)):
        user = UserFactory(role=Role.WORKER, worker=worker)
        client.force_login(user)
        assert client.get(url).status_code == expected
    client.force_login(UserFactory(role=Role.DISTRICT_STAFF, district=district("330203")))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(role=Role.DISTRICT_STAFF, district=district("330206")))
    assert client.get(url).status_code == 200


def test_uploads_are_stored_under_random_names_and_downloaded_under_their_own(
    client, settings, tmp_path, roles, beilun_clerk
):
    """A name like 张三身份证.pdf would otherwise be the file's URL, and so be in every access log."""
    import datetime
    from decimal import Decimal

    from mediation.choices import CaseSource, DisputeType
    from mediation.services import case_add_document, case_apply
    from tests.factories import register_worker
    from training.choices import ClaimKind
    from training.services import claim_submit

    settings.MEDIA_ROOT = tmp_path
    firm = EnterpriseFactory(district=district("330206"))
    owner = register_worker(firm, sequence=1, bank_account="6222020000000000011")
    given = "张三身份证及学费收据.pdf"
    claim = claim_submit(
        by=None,
        worker_id=owner.pk,
        kind=ClaimKind.TUITION,
        tuition={
            "degree": "bachelor", "institution": "宁波大学", "major": "机械", "tuition_paid": Decimal("5000"),
            "paid_on": datetime.date(2025, 3, 1), "relevant_to_job": True,
            "receipt": ContentFile(b"%PDF-1.4 receipt", name=given),
        },
    )  # fmt: skip
    tuition = claim.tuition
    assert "张三" not in tuition.receipt.name and tuition.receipt.name.endswith(".pdf")
    assert tuition.receipt_name == given

    case = case_apply(
        by=beilun_clerk, enterprise_id=firm.pk, applicant_ids=[owner.pk], dispute_type=DisputeType.PAY,
        claim="工资", source=CaseSource.WALK_IN,
    )  # fmt: skip
    event = case_add_document(
        by=beilun_clerk, case_id=case.pk, file=ContentFile(b"%PDF-1.4 minutes", name="张三调解笔录.pdf")
    )
    assert "张三" not in event.file.name and event.file_name == "张三调解笔录.pdf"

    client.force_login(beilun_clerk)
    for fieldfile, name in ((tuition.receipt, given), (event.file, "张三调解笔录.pdf")):
        assert "%E5%BC%A0" not in fieldfile.url  # 张, percent-encoded, is nowhere in the URL
        response = client.get(fieldfile.url)
        assert response.status_code == 200
        assert quote(name) in response["Content-Disposition"]
