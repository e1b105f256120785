"""The account travels with the payment attempt; batches are sent, reconciled and closed.

Payments of batches already sent keep the account their claim was sent with (copied from the claim,
which no longer holds one); the old "exported" status is "sent".
"""

import django.db.models.deletion
import portal.fields
from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    Payment = apps.get_model("training", "Payment")
    PaymentBatch = apps.get_model("training", "PaymentBatch")
    PaymentBatch.objects.filter(status="exported").update(status="sent")
    hash_field = Payment._meta.get_field("payee_account_hash")
    sent = Payment.objects.exclude(batch__status="open").select_related("claim").order_by("pk")
    changed = []
    for payment in sent.iterator(chunk_size=2000):
        account = payment.claim.payee_account or None
        payment.payee_name, payment.payee_account = payment.claim.payee_name, account
        payment.payee_account_hash = hash_field.index_for(account)
        changed.append(payment)
        if len(changed) >= 2000:
            Payment.objects.bulk_update(changed, ["payee_name", "payee_account", "payee_account_hash"])
            changed.clear()
    Payment.objects.bulk_update(changed, ["payee_name", "payee_account", "payee_account_hash"])


def backwards(apps, schema_editor):
    PaymentBatch = apps.get_model("training", "PaymentBatch")
    PaymentBatch.objects.filter(status__in=["sent", "reconciled"]).update(status="exported")


class Migration(migrations.Migration):

    dependencies = [
        ('training', '0004_claim_rules_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(
            model_name='paymentbatch',
            old_name='exported_at',
            new_name='sent_at',
        ),
        migrations.AddField(
            model_name='payment',
            name='account_reconfirm_reason',
            field=models.CharField(blank=True, db_default='', default='', max_length=255, verbose_name='why the same account again'),
        ),
        migrations.AddField(
            model_name='payment',
            name='account_reconfirmed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='account confirmed again'),
        ),
        migrations.AddField(
            model_name='payment',
            name='account_reconfirmed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='account confirmed again by'),
        ),
        migrations.AddField(
            model_name='payment',
            name='bank_branch',
            field=models.CharField(blank=True, db_default='', default='', max_length=128, verbose_name='bank branch'),
        ),
        migrations.AddField(
            model_name='payment',
            name='bank_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name='bank'),
        ),
        migrations.AddField(
            model_name='payment',
            name='payee_account',
            field=portal.fields.EncryptedTextField(blank=True, null=True, verbose_name='payee account'),
        ),
        migrations.AddField(
            model_name='payment',
            name='payee_account_hash',
            field=portal.fields.BlindIndexField(normaliser='workers.validators.normalise_bank_account', null=True, source='payee_account'),
        ),
        migrations.AddField(
            model_name='payment',
            name='payee_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name='payee'),
        ),
        migrations.AddField(
            model_name='paymentbatch',
            name='reconciled_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='reconciled'),
        ),
        migrations.AddField(
            model_name='paymentbatch',
            name='sent_by',
            field=models.ForeignKey(blank=True, help_text='The payment staff member who produced the disbursement file.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='sent by'),
        ),
        migrations.AlterField(
            model_name='paymentbatch',
            name='status',
            field=models.CharField(choices=[('open', 'Open'), ('sent', 'Sent to the bank'), ('reconciled', 'Reconciled'), ('closed', 'Closed')], default='open', max_length=16, verbose_name='status'),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['batch', 'status'], name='payment_batch_status'),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='claim',
            name='payee_account',
        ),
        migrations.RemoveField(
            model_name='claim',
            name='payee_name',
        ),
    ]
