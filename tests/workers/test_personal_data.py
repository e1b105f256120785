"""Personal data of real Worker rows: encrypted in the column, found through the hash, rotatable."""

import base64

import pytest
from django.core.management import call_command
from django.db import connection

from portal import crypto
from tests.factories import EnterpriseFactory, register_worker
from workers.models import Worker
from workers.services import worker_by_id_number

OLD = f"old:{base64.b64encode(b'o' * 32).decode()}"
NEW = f"new:{base64.b64encode(b'n' * 32).decode()}"
HASH_KEY = base64.b64encode(b"h" * 32).decode()


@pytest.fixture
def keys(settings):
    def use(*encryption_keys):
        settings.PERSONAL_DATA_KEYS = list(encryption_keys)
        settings.PERSONAL_DATA_HASH_KEY = HASH_KEY
        crypto.reset_keys()

    use(OLD)
    yield use
    crypto.reset_keys()


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, id_number_hash, phone, phone_hash, bank_account FROM workers_worker WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_the_columns_hold_no_plain_id_number_phone_or_account(keys, db):
    worker = register_worker(EnterpriseFactory(), phone="13812345678", bank_account="6222021234567890123")
    row = raw_row(worker.pk)
    dump = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    for secret in (worker.id_number, "13812345678", "6222021234567890123", worker.id_number[-8:]):
        assert secret.encode() not in dump
    assert len(row[1]) == 64 and row[1] != worker.id_number


def test_the_same_id_number_encrypts_differently_but_hashes_the_same(keys, db):
    firm = EnterpriseFactory()
    worker = register_worker(firm, sequence=1)
    token_before = bytes(raw_row(worker.pk)[0])
    Worker.objects.filter(pk=worker.pk).update(id_number=worker.id_number)
    assert bytes(raw_row(worker.pk)[0]) != token_before
    assert worker_by_id_number(worker.id_number.lower()) == worker


def test_uniqueness_holds_through_the_hash_in_the_database(keys, db):
    from django.db import IntegrityError, transaction

    worker = register_worker(EnterpriseFactory(), sequence=1)
    clone = Worker.objects.get(pk=worker.pk)
    clone.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_key_rotation_keeps_every_worker_readable(keys, db):
    firm = EnterpriseFactory()
    workers = [register_worker(firm, sequence=n, phone=f"1390000{n:04d}") for n in range(1, 8)]
    keys(NEW, OLD)
    call_command("rotate_personal_data_key", batch_size=3, verbosity=0)
    keys(NEW)  # the old key is gone: every value must now decrypt with the new one alone
    for worker in workers:
        fresh = Worker.objects.get(pk=worker.pk)
        assert (fresh.id_number, fresh.phone) == (worker.id_number, worker.phone)
        assert crypto.key_id_of(bytes(raw_row(worker.pk)[0])) == "new"
    assert worker_by_id_number(workers[3].id_number) == workers[3]
