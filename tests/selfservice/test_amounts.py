"""Amounts on the worker's pages are grouped by thousands with their fen (issue 17, item 7)."""

from decimal import Decimal

import pytest

from tests.selfservice import test_selfservice_pages as pages
from training.models import Claim
from training.services import claim_approve, claim_review

pytestmark = pytest.mark.django_db

firm = pages.firm
worker = pages.worker
worker_account = pages.worker_account
signed_in = pages.signed_in
_private_media = pages._private_media


def test_my_claims_show_amounts_with_thousands_separators(signed_in, worker):
    claim = pages.tuition_claim(worker, paid=Decimal("23456.70"))
    Claim.objects.filter(pk=claim.pk).update(amount=Decimal("12345.6"))

    overview = signed_in.get("/me/").content.decode()
    assert "12,345.60" in overview and "12345.6" not in overview

    detail = signed_in.get(f"/me/claims/{claim.pk}/").content.decode()
    assert "12,345.60" in detail and "23,456.70" in detail  # the amount and the tuition paid
    assert "12345.6" not in detail and "23456.7" not in detail


def test_a_notice_of_approval_groups_the_amount(signed_in, worker, beilun_clerk, city_clerk):
    claim = pages.tuition_claim(worker, paid=Decimal("23456.70"))
    Claim.objects.filter(pk=claim.pk).update(amount=Decimal("12345.6"))
    claim_review(by=beilun_clerk, claim_id=claim.pk)
    claim_approve(by=city_clerk, claim_id=claim.pk)
    notices = signed_in.get("/me/notices/").content.decode()
    assert "12,345.60" in notices
