"""Case numbers: readable, sequential per district and year, never given twice, even under concurrency."""

import datetime
import threading
from types import SimpleNamespace

import pytest
from django.db import connections, transaction

from mediation import numbering, services
from mediation.choices import CaseSource, DisputeType
from mediation.models import CaseNumberCounter, DisputeCase
from tests.factories import district

D = datetime.date


@pytest.mark.parametrize(
    ("name", "short"),
    [("北仑区", "北仑"), ("慈溪市", "慈溪"), ("宁海县", "宁海"), ("象山县", "象山"), ("某区", "某区")],
)
def test_district_short_names(name, short):
    assert numbering.district_short_name(name) == short


def test_the_number_format():
    assert numbering.format_number("余姚市", 2025, 42) == "余姚劳调〔2025〕0042号"
    assert numbering.format_number("余姚市", 2025, 12345) == "余姚劳调〔2025〕12345号"


def test_numbers_are_drawn_only_inside_a_transaction(db, monkeypatch):
    # Outside a transaction the counter's lock would end at once and a number could be given twice.
    outside = SimpleNamespace(get_connection=lambda: SimpleNamespace(in_atomic_block=False))
    monkeypatch.setattr(numbering, "transaction", outside)
    with pytest.raises(RuntimeError):
        numbering.numbers_draw(district=district("330206"), year=2025)


def test_a_block_of_numbers_is_consecutive(db):
    with transaction.atomic():
        first = numbering.numbers_draw(district=district("330206"), year=2025, count=3)
        second = numbering.numbers_draw(district=district("330206"), year=2025)
    assert [seq for seq, _n in first + second] == [1, 2, 3, 4]
    assert CaseNumberCounter.objects.get(district=district("330206"), year=2025).last == 4


def test_counters_catch_up_after_a_bulk_load(apply):
    case = apply(received_on=D(2025, 5, 1))
    DisputeCase.objects.filter(pk=case.pk).update(sequence=40)
    with transaction.atomic():
        assert numbering.counters_catch_up() == 1
    assert apply(received_on=D(2025, 5, 2)).sequence == 41


def _apply_many(worker_id: int, received_on: datetime.date, count: int, barrier, numbers: list, errors: list):
    try:
        barrier.wait(timeout=30)
        for _ in range(count):
            case = services.case_apply(
                by=None,
                applicant_ids=[worker_id],
                dispute_type=DisputeType.PAY,
                claim="拖欠工资",
                source=CaseSource.WALK_IN,
                received_on=received_on,
            )
            numbers.append(case.number)
    except Exception as exc:  # reported by the test, which runs in another thread
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_applications_never_share_a_number(beilun_worker):
    threads_n, per_thread = 8, 6
    # 2024 has no counter row yet, so the threads also race to create it.
    for received_on in (D(2024, 11, 5), D(2025, 5, 5)):
        barrier = threading.Barrier(threads_n)
        numbers, errors = [], []
        threads = [
            threading.Thread(
                target=_apply_many, args=(beilun_worker.pk, received_on, per_thread, barrier, numbers, errors)
            )
            for _ in range(threads_n)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        total = threads_n * per_thread
        assert len(numbers) == len(set(numbers)) == total
        year = received_on.year
        sequences = sorted(
            DisputeCase.objects.filter(year=year, district=beilun_worker.district).values_list(
                "sequence", flat=True
            )
        )
        assert sequences == list(range(1, total + 1))
        assert CaseNumberCounter.objects.get(district=beilun_worker.district, year=year).last == total
