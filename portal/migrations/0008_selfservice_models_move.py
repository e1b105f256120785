# The self-service models leave the portal app for the selfservice app, tables unchanged.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0007_accounts'),
        ('selfservice', '0001_initial'),
    ]

    # The self-service models now belong to the selfservice app (its 0001): the tables stay, only
    # Django's record of them leaves this app.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='bankaccountchange',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='bankaccountchange',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='bankaccountchange',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='bankaccountchange',
                    name='worker',
                ),
                migrations.RemoveField(
                    model_name='noticemarker',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='ActivationCode',
                ),
                migrations.DeleteModel(
                    name='BankAccountChange',
                ),
                migrations.DeleteModel(
                    name='NoticeMarker',
                ),
            ],
        ),
    ]
