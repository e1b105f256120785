"""No double reimbursement and versioned rules: an award's title on its claim, a receipt's hash on the
tuition details (unique among live claims), and a version number and predecessor on each subsidy rule."""

import hashlib

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

CLOSED = ["rejected", "cancelled"]
CHUNK = 1 << 20


def backfill(apps, schema_editor):
    Claim = apps.get_model("training", "Claim")
    CraftsmanAward = apps.get_model("workers", "CraftsmanAward")
    TuitionDetail = apps.get_model("training", "TuitionDetail")
    Claim.objects.filter(award__isnull=False).update(
        award_title=Subquery(CraftsmanAward.objects.filter(pk=OuterRef("award_id")).values("title_id")[:1])
    )
    TuitionDetail.objects.filter(claim__status__in=CLOSED).update(claim_live=False)
    # Receipts already stored get their hash, so a new claim cannot reuse one. Where two live claims already
    # share a receipt, the later keeps no hash (the constraint below would refuse it): staff look at those.
    seen = set()
    for detail in TuitionDetail.objects.exclude(receipt="").order_by("pk").iterator(chunk_size=500):
        digest = hashlib.sha256()
        try:
            with detail.receipt.open("rb") as stored:
                for chunk in iter(lambda: stored.read(CHUNK), b""):
                    digest.update(chunk)
        except OSError:
            continue  # a file missing from this machine's storage: nothing to compare
        value = digest.hexdigest()
        if detail.claim_live and value in seen:
            continue
        if detail.claim_live:
            seen.add(value)
        TuitionDetail.objects.filter(pk=detail.pk).update(receipt_sha256=value)


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0003_uploads_under_random_names"),
        ("workers", "0004_load_craftsman_titles"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="award_title",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="workers.craftsmantitle",
                verbose_name="craftsman title",
            ),
        ),
        migrations.AddField(
            model_name="tuitiondetail",
            name="receipt_sha256",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                max_length=64,
                verbose_name="receipt's SHA-256",
            ),
        ),
        migrations.AddField(
            model_name="tuitiondetail",
            name="claim_live",
            field=models.BooleanField(
                db_default=True, default=True, editable=False, verbose_name="claim still live"
            ),
        ),
        migrations.AddField(
            model_name="subsidyrule",
            name="version",
            field=models.PositiveSmallIntegerField(
                db_default=1, default=1, editable=False, verbose_name="version"
            ),
        ),
        migrations.AddField(
            model_name="subsidyrule",
            name="replaces",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replaced_by",
                to="training.subsidyrule",
                verbose_name="replaces version",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.UniqueConstraint(
                condition=Q(kind="craftsman_award") & ~Q(status__in=CLOSED),
                fields=("worker", "award_title"),
                name="claim_award_once_per_title",
                violation_error_message="An award for this title has already been claimed.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tuitiondetail",
            constraint=models.UniqueConstraint(
                condition=Q(claim_live=True) & ~Q(receipt_sha256=""),
                fields=("receipt_sha256",),
                name="tuition_receipt_backs_one_live_claim",
                violation_error_message="This receipt already backs another claim.",
            ),
        ),
    ]
