"""The payment office on PostgreSQL: the whole return → new account → new batch → paid path, and races of 50
(marking paid, reconciling the same file, creating batches) that pay nothing twice and answer no 5xx."""

import datetime
import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portal.choices import Role
from portal.models import AuditEvent, User
from selfservice import selectors as me
from selfservice import services as selfservice
from tests.factories import EnterpriseFactory, UserFactory, district, register_worker
from training.choices import BatchStatus, ClaimKind, ClaimStatus, PaymentStatus
from training.models import Claim, Payment, PaymentBatch
from training.services import (
    batch_create,
    batch_disbursement_file,
    batch_reconcile_file,
    claim_approve,
    claim_pay,
    claim_review,
    claim_submit,
)
from training.services.reconciliation import COLUMNS
from workers.choices import SkillLevel
from workers.services import certificate_issue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RACERS = 50
D = datetime.date
OLD_ACCOUNT = "6222021234567890123"
NEW_ACCOUNT = "6217000011112222333"


def _staff(username, role=Role.CITY_STAFF, payment=False, **kwargs) -> User:
    user = UserFactory(username=username, role=role, **kwargs)
    if payment:
        user.user_permissions.add(Permission.objects.get(codename="export_disbursement"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def people(roles):
    beilun = district("330206")
    return {
        "clerk": _staff("beilun_clerk", Role.DISTRICT_STAFF, district=beilun),
        "reviewer": _staff("beilun_reviewer", Role.DISTRICT_STAFF, district=beilun),
        "approver": _staff("beilun_approver", Role.DISTRICT_STAFF, district=beilun),
        "maker": _staff("city_batches"),
        "sender": _staff("city_sender", payment=True),
        "reconciler": _staff("city_reconciler", payment=True),
    }


def approved_claims(people, count: int) -> list[Claim]:
    firm = EnterpriseFactory(district=district("330206"))
    claims = []
    for n in range(count):
        worker = register_worker(
            firm, sequence=40 + n, bank_account=f"62220212345678{n:05d}", hired_on=D(2015, 1, 1)
        )
        with freeze_time("2025-06-01 10:00:00+08:00"):
            certificate = certificate_issue(
                by=None, worker_id=worker.pk, level=SkillLevel.INTERMEDIATE, occupation="数控车工",
                number=f"CERT-{n}", issued_on=D(2025, 3, 1),
            )  # fmt: skip
            claim = claim_submit(
                by=people["clerk"],
                worker_id=worker.pk,
                kind=ClaimKind.SKILL_SUBSIDY,
                certificate_id=certificate.pk,
            )
        claim_review(claim_id=claim.pk, by=people["reviewer"])
        claims.append(claim_approve(claim_id=claim.pk, by=people["approver"]))
    return claims


def bank_result(batch, result="成功", reason="") -> bytes:
    lines = [",".join(header for _key, header, _required in COLUMNS)]
    for payment in Payment.objects.filter(batch=batch).select_related("batch").order_by("pk"):
        lines.append(
            ",".join(
                [
                    payment.reference,
                    payment.payee_account,
                    f"{payment.amount}",
                    result,
                    f"NB{payment.pk}",
                    reason,
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def race(work, count=RACERS) -> list:
    """Run ``work(n)`` in ``count`` threads released together; each closes its own connection."""
    outcomes, barrier = [None] * count, threading.Barrier(count)

    def run(n):
        try:
            barrier.wait()
            outcomes[n] = work(n)
        except Exception as exc:  # the outcome is what the test counts
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_returned_payment_is_paid_to_the_newly_confirmed_account(people):
    (claim,) = approved_claims(people, 1)
    worker = claim.worker
    first = batch_create(by=people["maker"])
    _name, content = batch_disbursement_file(by=people["sender"], batch_id=first.pk)
    old_account = worker.bank_account
    assert load_workbook(io.BytesIO(content))["代发明细"]["D2"].value == old_account
    outcome = batch_reconcile_file(
        by=people["reconciler"],
        batch_id=first.pk,
        stream=io.BytesIO(bank_result(first, "失败", "户名与账号不符")),
        file_name="回盘1.csv",
    )
    assert outcome.returned == 1
    worker_user = UserFactory(username="the_worker", role=Role.WORKER, worker=worker)
    notice = me.notices_for(worker_user, worker.pk)[0]  # the worker is asked to check the account
    assert notice.bad and notice.url == "/me/bank-account/" and "户名与账号不符" in notice.text

    change = selfservice.bank_account_change_request(
        by=worker_user, account=NEW_ACCOUNT, bank_name="中国建设银行", bank_branch="新碶支行"
    )
    selfservice.bank_account_change_confirm(by=people["clerk"], change_id=change.pk)
    second = batch_create(by=people["maker"])
    _name, content = batch_disbursement_file(by=people["sender"], batch_id=second.pk)
    row = [c.value for c in load_workbook(io.BytesIO(content))["代发明细"][2]]
    assert row[3:6] == [NEW_ACCOUNT, "中国建设银行", "新碶支行"]
    paid = batch_reconcile_file(
        by=people["reconciler"],
        batch_id=second.pk,
        stream=io.BytesIO(bank_result(second)),
        file_name="回盘2.csv",
    )
    assert paid.paid == 1
    attempts = list(Payment.objects.filter(claim=claim).order_by("id").values_list("status", "payee_account"))
    assert attempts == [(PaymentStatus.RETURNED, old_account), (PaymentStatus.PAID, NEW_ACCOUNT)]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PAID
    assert PaymentBatch.objects.get(pk=second.pk).status == BatchStatus.RECONCILED


def test_fifty_concurrent_mark_paid_on_one_payment_give_exactly_one_success(people):
    (claim,) = approved_claims(people, 1)
    batch = batch_create(by=people["maker"])
    batch_disbursement_file(by=people["sender"], batch_id=batch.pk)
    reconciler = people["reconciler"]

    def mark(n):
        claim_pay(
            by=User.objects.get(pk=reconciler.pk),
            claim_id=claim.pk,
            reason="银行回单",
            bank_reference=f"R{n}",
        )
        return "paid"

    outcomes = race(mark)
    assert outcomes.count("paid") == 1, outcomes
    others = [o for o in outcomes if o != "paid"]
    assert all(type(o).__name__ == "ValidationError" and claim.reference in str(o) for o in others), others
    assert Payment.objects.filter(claim=claim, status=PaymentStatus.PAID).count() == 1
    assert AuditEvent.objects.filter(action="claim.pay", object_id=str(claim.pk)).count() == 1


def test_fifty_concurrent_uploads_of_one_bank_file_pay_nothing_twice(people):
    claims = approved_claims(people, 5)
    batch = batch_create(by=people["maker"])
    batch_disbursement_file(by=people["sender"], batch_id=batch.pk)
    content = bank_result(batch)
    reconciler = people["reconciler"]

    def upload(n):
        return batch_reconcile_file(
            by=User.objects.get(pk=reconciler.pk),
            batch_id=batch.pk,
            stream=io.BytesIO(content),
            file_name=f"{n}.csv",
        )

    outcomes = race(upload)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.paid for o in outcomes) == len(claims)
    assert sorted(o.paid for o in outcomes)[-1] == len(
        claims
    )  # one upload settled all; the rest found them done
    assert sum(o.already for o in outcomes) == len(claims) * (RACERS - 1)
    assert Payment.objects.filter(batch=batch, status=PaymentStatus.PAID).count() == len(claims)
    assert AuditEvent.objects.filter(action="claim.pay").count() == len(claims)
    assert AuditEvent.objects.filter(action="batch.reconcile").count() == RACERS


def test_fifty_concurrent_batch_requests_answer_already_in_a_batch_never_a_500(people):
    claims = approved_claims(people, 3)
    maker = people["maker"]

    def create(n):
        client = APIClient()
        client.force_authenticate(User.objects.get(pk=maker.pk))
        response = client.post("/api/payment-batches/", {"claims": [c.pk for c in claims]}, format="json")
        return response.status_code, response.content.decode()

    outcomes = race(create)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    codes = [code for code, _body in outcomes]
    assert [c for c in codes if c >= 500] == [], outcomes
    assert codes.count(201) == 1, codes
    with translation.override(settings.LANGUAGE_CODE):  # the API answers in the portal's language
        already = gettext("already in a payment batch")
    assert all(code == 400 and already in body for code, body in outcomes if code != 201), outcomes
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == len(claims)
    assert PaymentBatch.objects.filter(payments__isnull=False).distinct().count() == 1


def test_fifty_concurrent_batch_creations_in_the_admin_never_give_a_500(people):
    from django.test import Client

    claims = approved_claims(people, 2)
    maker = people["maker"]

    def create(n):
        browser = Client()
        browser.force_login(User.objects.get(pk=maker.pk))
        response = browser.post("/admin/training/paymentbatch/add/", {"district": "", "note": f"n{n}"})
        return response.status_code

    codes = race(create)
    assert not [c for c in codes if isinstance(c, Exception)], codes
    assert [c for c in codes if c >= 500] == [], codes
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == len(claims)
