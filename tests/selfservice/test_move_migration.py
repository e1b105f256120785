"""The self-service models' move from the portal app: a database of the old layout, with rows, migrates
to the new one and keeps every row, its content types (and so permissions), and its audit links."""

import datetime

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import EnterpriseFactory, district, register_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The old layout: portal owned the self-service models (main before the move).
BEFORE = [("portal", "0007_accounts"), ("selfservice", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_a_database_of_the_old_layout_keeps_every_row_and_link_after_the_move(city_clerk):
    clerk = city_clerk
    worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=7)

    old = _migrate(BEFORE)
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    change_type = ContentType.objects.get_or_create(app_label="portal", model="bankaccountchange")[0]
    permission = Permission.objects.get_or_create(
        content_type=change_type, codename="view_bankaccountchange", defaults={"name": "Can view"}
    )[0]
    change = old.get_model("portal", "BankAccountChange").objects.create(
        worker_id=worker.pk,
        district_id=worker.district_id,
        account="6222020200001234567",
        requested_by_id=clerk.pk,
    )
    code = old.get_model("portal", "ActivationCode").objects.create(
        worker_id=worker.pk, code_hash="x", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    marker = old.get_model("portal", "NoticeMarker").objects.create(user_id=clerk.pk, last_read_event_id=5)
    event = old.get_model("portal", "AuditEvent").objects.create(
        action="bank_account_change.request",
        actor_id=clerk.pk,
        object_type="portal.bankaccountchange",
        object_id=str(change.pk),
    )

    _migrate(_latest())

    from selfservice.models import ActivationCode, BankAccountChange, NoticeMarker

    moved = BankAccountChange.objects.get(pk=change.pk)
    assert moved.account == "6222020200001234567" and moved.worker_id == worker.pk
    assert ActivationCode.objects.filter(pk=code.pk, worker_id=worker.pk).exists()
    assert NoticeMarker.objects.get(pk=marker.pk).last_read_event_id == 5

    from django.contrib.auth.models import Permission as CurrentPermission
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    CurrentContentType.objects.clear_cache()
    assert CurrentContentType.objects.get_for_model(BankAccountChange).pk == change_type.pk
    assert CurrentPermission.objects.get(pk=permission.pk).content_type.app_label == "selfservice"

    from portal.models import AuditEvent

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.object_type == "selfservice.bankaccountchange"
    model = current_apps.get_model(stored.object_type)
    assert model.objects.get(pk=stored.object_id) == moved
