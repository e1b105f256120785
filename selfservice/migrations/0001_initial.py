# The self-service models move from the portal app to this one, tables unchanged.

import django.db.models.deletion
import django.utils.timezone
import portal.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('workers', '0005_bank_details'),
        ('portal', '0007_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The models were the portal app's (portal/migrations/0004, 0006): their tables stay as they are,
    # only Django's record of which app owns them changes (portal 0008 removes them there).
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='NoticeMarker',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('last_read_event_id', models.BigIntegerField(default=0, verbose_name='last audit event read')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='notice_marker', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'notice marker',
                        'verbose_name_plural': 'notice markers',
                        'db_table': 'portal_noticemarker',
                    },
                ),
                migrations.CreateModel(
                    name='ActivationCode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code_hash', models.CharField(max_length=256, verbose_name='code (hashed)')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued')),
                        ('expires_at', models.DateTimeField(verbose_name='expires')),
                        ('used_at', models.DateTimeField(blank=True, null=True, verbose_name='used')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='issued by')),
                        ('worker', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activation_codes', to='workers.worker', verbose_name='worker')),
                    ],
                    options={
                        'verbose_name': 'activation code',
                        'verbose_name_plural': 'activation codes',
                        'db_table': 'portal_activationcode',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['worker', '-created_at'], name='activation_code_worker')],
                    },
                ),
                migrations.CreateModel(
                    name='BankAccountChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('account', portal.fields.EncryptedTextField(verbose_name='new bank account')),
                        ('bank_name', models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name='bank')),
                        ('bank_branch', models.CharField(blank=True, db_default='', default='', max_length=128, verbose_name='bank branch')),
                        ('status', models.CharField(choices=[('pending', 'Waiting for the union to confirm'), ('confirmed', 'Confirmed'), ('rejected', 'Not confirmed'), ('superseded', 'Replaced by a newer request')], default='pending', max_length=16, verbose_name='status')),
                        ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided')),
                        ('reason', models.CharField(blank=True, max_length=255, verbose_name='reason')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                        ('district', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='workers.district', verbose_name='district')),
                        ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
                        ('worker', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bank_account_changes', to='workers.worker', verbose_name='worker')),
                    ],
                    options={
                        'verbose_name': 'bank account change',
                        'verbose_name_plural': 'bank account changes',
                        'db_table': 'portal_bankaccountchange',
                        'ordering': ['-requested_at', '-id'],
                        'indexes': [models.Index(fields=['district', 'status', 'requested_at'], name='bank_change_inbox')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('worker',), name='bank_change_one_pending_per_worker')],
                    },
                ),
            ],
        ),
    ]
