"""District's move from the workers app to the portal app: a database of the old layout, with rows, migrates
to the new one and keeps every row, every foreign key to a district, its content type (and so its
permissions and the groups holding them), and its audit links."""

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from portal.choices import Role
from tests.factories import EnterpriseFactory, district, make_credit_code, register_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The old layout: workers owned District (main's leaf migrations before the move).
BEFORE = [
    ("portal", "0008_selfservice_models_move"),
    ("workers", "0005_bank_details"),
    ("training", "0005_payment_attempts"),
    ("mediation", "0002_uploads_under_random_names"),
    ("indicators", "0004_run_queued"),
    ("selfservice", "0002_move_labels"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_a_database_of_the_old_layout_keeps_every_district_row_and_link_after_the_move(city_clerk):
    worker = register_worker(EnterpriseFactory(district=district("330206")), sequence=7)

    old = _migrate(BEFORE)
    assert not any(m._meta.label_lower == "portal.district" for m in old.get_models())
    OldDistrict = old.get_model("workers", "District")
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group = old.get_model("auth", "Group")
    district_type = ContentType.objects.get_or_create(app_label="workers", model="district")[0]
    permission = Permission.objects.get_or_create(
        content_type=district_type, codename="view_district", defaults={"name": "Can view district"}
    )[0]
    group = Group.objects.create(name="district readers")
    group.permissions.add(permission)

    # A district added under the old layout, and records in two apps pointing at it.
    added = OldDistrict.objects.create(code="330299", name="测试区", name_en="Test", kind="district")
    firm = old.get_model("workers", "Enterprise").objects.create(
        name="旧布局企业", credit_code=make_credit_code(990), district_id=added.pk
    )
    user = old.get_model("portal", "User").objects.create(
        username="old_layout_clerk", role=Role.DISTRICT_STAFF, district_id=added.pk, password="!"
    )
    event = old.get_model("portal", "AuditEvent").objects.create(
        action="district.change",
        actor_id=city_clerk.pk,
        object_type="workers.district",
        object_id=str(added.pk),
        district_id=added.pk,
    )
    districts_before = set(OldDistrict.objects.values_list("pk", "code", "name"))

    _migrate(_latest())

    from django.contrib.auth.models import Group as CurrentGroup
    from django.contrib.auth.models import Permission as CurrentPermission
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from portal.models import AuditEvent, District, User
    from workers.models import Enterprise, Worker

    assert set(District.objects.values_list("pk", "code", "name")) == districts_before
    moved = District.objects.get(pk=added.pk)
    assert Enterprise.objects.get(pk=firm.pk).district == moved
    assert User.objects.get(pk=user.pk).district == moved
    assert Worker.objects.get(pk=worker.pk).district.code == "330206"
    assert moved.workers.count() == 0 and district("330206").workers.filter(pk=worker.pk).exists()

    CurrentContentType.objects.clear_cache()
    assert CurrentContentType.objects.get_for_model(District).pk == district_type.pk
    assert not CurrentContentType.objects.filter(app_label="workers", model="district").exists()
    kept = CurrentPermission.objects.get(pk=permission.pk)
    assert (kept.content_type.app_label, kept.codename) == ("portal", "view_district")
    assert CurrentGroup.objects.get(pk=group.pk).permissions.filter(pk=permission.pk).exists()
    reader = User.objects.create(username="district_reader", role=Role.CITY_STAFF)
    reader.groups.add(group.pk)
    assert User.objects.get(pk=reader.pk).has_perm("portal.view_district")

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.object_type == "portal.district" and stored.district == moved
    model = current_apps.get_model(stored.object_type)
    assert model.objects.get(pk=stored.object_id) == moved
    # The audit review page names the record and links to its admin page.
    from django.contrib import admin

    from portal.admin.audit import attach_references

    attach_references([stored], city_clerk)
    assert stored.record_reference == "测试区"
    link = admin.site.get_model_admin(AuditEvent).object_link(stored)
    assert reverse("admin:portal_district_change", args=[moved.pk]) in link
    assert f"/admin/portal/district/{moved.pk}/change/" in link
