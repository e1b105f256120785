"""`make backup` / `make restore` (scripts/backup.sh, scripts/restore.sh) against DATABASE_URL: every record
comes back into a new database, and its encrypted personal data is still readable with the portal's keys."""

import datetime
import os
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from mediation import services as mediation_services
from mediation.choices import CaseSource, DisputeType
from mediation.models import DisputeCase
from portal.crypto import blind_index, decrypt
from tests.factories import EnterpriseFactory, register_worker
from tests.integration.worker_process import ROOT, test_database_url
from training.choices import ClaimKind
from training.models import Claim
from training.services import claim_submit
from workers.models import Worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRIPT_TIMEOUT = 180


@pytest.fixture(autouse=True)
def _postgresql_client():
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the backup scripts need the PostgreSQL client "
            "(Debian: apt-get install postgresql-client-15, or the version of the server)",
            pytrace=False,
        )


def url_of(database: str) -> str:
    return urlunsplit(urlsplit(test_database_url())._replace(path="/" + database))


@pytest.fixture
def empty_database():
    """A new database of its own name on the same server, dropped at the end."""
    name = f"portal_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(test_database_url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(test_database_url(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(script: str, *args: str, database_url: str, backup_dir: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / script), *args],
        env={**os.environ, "DATABASE_URL": database_url, "BACKUP_DIR": str(backup_dir)},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def records(settings, tmp_path):
    """Workers with encrypted ID numbers, phones and accounts; their claims; a case."""
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path  # the tuition claims' receipts
    firm = EnterpriseFactory()
    workers = [
        register_worker(firm, sequence=n, bank_account=f"62220200000000{n:05d}", phone=f"139{n:08d}")
        for n in range(1, 6)
    ]
    claims = [
        claim_submit(
            by=None,
            worker_id=worker.pk,
            kind=ClaimKind.TUITION,
            tuition={
                "degree": "college",
                "institution": "宁波职业技术学院",
                "major": "机电一体化",
                "tuition_paid": Decimal("3000"),
                "paid_on": datetime.date.today() - datetime.timedelta(days=10),
                "relevant_to_job": True,
                "receipt": ContentFile(b"%%PDF-1.4 receipt %d" % worker.pk, name="receipt.pdf"),
            },
        )
        for worker in workers[:3]
    ]
    case = mediation_services.case_apply(
        by=None,
        applicant_ids=[workers[0].pk],
        dispute_type=DisputeType.PAY,
        claim="拖欠三月工资",
        source=CaseSource.ONLINE,
    )
    return {"workers": workers, "claims": claims, "case": case}


def test_a_backup_restores_into_a_new_database_with_every_record_readable(records, empty_database, tmp_path):
    backups = tmp_path / "backups"
    dumped = run("backup.sh", database_url=test_database_url(), backup_dir=backups)
    dump = Path(dumped.stdout.strip().splitlines()[-1])
    assert dump.parent == backups and dump.name.startswith("portal-") and dump.suffix == ".dump"
    assert dump.stat().st_mode & 0o077 == 0, "a dump must be readable by its owner only"

    run("restore.sh", str(dump), database_url=url_of(empty_database), backup_dir=backups)

    with psycopg.connect(url_of(empty_database)) as restored:
        workers = {
            pk: (decrypt(id_number), decrypt(phone), decrypt(account), id_hash)
            for pk, id_number, phone, account, id_hash in restored.execute(
                "SELECT id, id_number, phone, bank_account, id_number_hash FROM workers_worker"
            )
        }
        # Claims hold no account (payment attempts do); the workers' accounts above are the encrypted ones.
        claims = dict(restored.execute("SELECT id, amount FROM training_claim").fetchall())
        cases = dict(restored.execute("SELECT id, number FROM mediation_disputecase").fetchall())
        migrations = restored.execute("SELECT count(*) FROM django_migrations").fetchone()[0]

    assert workers == {
        w.pk: (w.id_number, w.phone, w.bank_account, blind_index(w.id_number)) for w in Worker.objects.all()
    }
    assert len(workers) == 5
    assert claims == dict(Claim.objects.values_list("pk", "amount")) and len(claims) == 3
    assert cases == dict(DisputeCase.objects.values_list("pk", "number"))
    assert records["case"].number in cases.values()
    assert migrations > 0  # the schema's history came along: `migrate` on newer code knows where it stands


def test_restore_refuses_a_database_that_is_not_empty(records, tmp_path):
    dumped = run("backup.sh", database_url=test_database_url(), backup_dir=tmp_path)
    dump = dumped.stdout.strip().splitlines()[-1]
    refused = subprocess.run(
        ["bash", str(ROOT / "scripts" / "restore.sh"), dump],
        env={**os.environ, "DATABASE_URL": test_database_url()},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        cwd=ROOT,
    )
    assert refused.returncode != 0
    assert "restore into an empty database" in refused.stderr
    assert Worker.objects.count() == 5  # untouched
