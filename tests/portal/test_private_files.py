"""Uploaded files go only to users whose scope covers the owning record; names cannot escape."""

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
