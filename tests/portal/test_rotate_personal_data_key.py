"""Tests of the rotate_personal_data_key command: its helpers, and a rotation through a real table."""

import base64
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import isolate_apps

from portal import crypto
from portal.fields import BlindIndexField, EncryptedTextField
from portal.management.commands import rotate_personal_data_key as rotation

OLD = f"old:{base64.b64encode(b'o' * 32).decode()}"
NEW = f"new:{base64.b64encode(b'n' * 32).decode()}"
GONE = f"gone:{base64.b64encode(b'g' * 32).decode()}"
HASH_KEY = base64.b64encode(b"h" * 32).decode()


def use_keys(settings, *keys):
    settings.PERSONAL_DATA_KEYS = list(keys)
    settings.PERSONAL_DATA_HASH_KEY = HASH_KEY
    crypto.reset_keys()


@pytest.fixture(autouse=True)
def old_key_only(settings):
    use_keys(settings, OLD)
    yield
    crypto.reset_keys()


def _models():
    with isolate_apps("portal"):

        class Member(models.Model):  # noqa: DJ008 - a throwaway test model
            phone = EncryptedTextField(null=True)
            phone_hash = BlindIndexField(source="phone", null=True)
            account = EncryptedTextField(null=True)
            plain = models.CharField(max_length=10, default="")

            class Meta:
                app_label = "portal"
                db_table = "test_rotation_member"

        class Plain(models.Model):  # noqa: DJ008 - a throwaway test model
            name = models.CharField(max_length=10)

            class Meta:
                app_label = "portal"

    return Member, Plain


@pytest.fixture
def member_model(db):
    model, _ = _models()
    sql, params = connection.schema_editor().table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return model


def stored_key_ids(model, attname):
    raw = models.ExpressionWrapper(models.F(attname), output_field=models.BinaryField())
    return [
        None if token is None else crypto.key_id_of(token)
        for token in model.objects.order_by("pk").annotate(raw=raw).values_list("raw", flat=True)
    ]


# --- Helpers --------------------------------------------------------------------------------------------


def test_rotate_token_reencrypts_only_tokens_of_older_keys(settings):
    old_token = crypto.encrypt("13812345678")
    use_keys(settings, NEW, OLD)
    new_token = crypto.encrypt("13812345678")

    outcome, replacement = rotation.rotate_token(memoryview(old_token))
    assert outcome == rotation.REENCRYPTED
    assert crypto.key_id_of(replacement) == "new"
    assert crypto.decrypt(replacement) == "13812345678"

    assert rotation.rotate_token(new_token) == (rotation.CURRENT, None)
    assert rotation.rotate_token(None) == (rotation.EMPTY, None)
    assert rotation.rotate_token(b"") == (rotation.EMPTY, None)


def test_rotate_token_reports_a_token_it_cannot_decrypt_as_failed(settings):
    use_keys(settings, GONE)
    orphan = crypto.encrypt("x")
    use_keys(settings, NEW, OLD)
    assert rotation.rotate_token(orphan) == (rotation.FAILED, None)
    assert rotation.rotate_token(b"\x01\x03old" + b"\0" * 30) == (rotation.FAILED, None)


def test_only_models_with_encrypted_fields_are_found():
    member, plain = _models()
    found = rotation.models_with_encrypted_fields([member, plain])
    assert [(model, [f.name for f in fields]) for model, fields in found] == [(member, ["phone", "account"])]


# --- Through the database -------------------------------------------------------------------------------


def test_rotation_reencrypts_old_values_in_batches_and_keeps_the_plaintext(settings, member_model):
    for n in range(5):
        member_model.objects.create(phone=f"1381234567{n}", account=None if n == 2 else f"62220212345678{n}")
    use_keys(settings, NEW, OLD)
    member_model.objects.create(phone="13900000000", account="622202000000")
    hashes_before = list(member_model.objects.order_by("pk").values_list("phone_hash", flat=True))

    reports = rotation.rotate_model(member_model, rotation.encrypted_fields(member_model), batch_size=2)

    assert reports["phone"].counts == {"reencrypted": 5, "current": 1, "empty": 0, "failed": 0}
    assert reports["account"].counts == {"reencrypted": 4, "current": 1, "empty": 1, "failed": 0}
    assert stored_key_ids(member_model, "phone") == ["new"] * 6
    assert stored_key_ids(member_model, "account") == ["new", "new", None, "new", "new", "new"]
    rows = list(member_model.objects.order_by("pk").values_list("phone", "account"))
    assert rows[1] == ("13812345671", "622202123456781")
    assert rows[2] == ("13812345672", None)
    assert rows[5] == ("13900000000", "622202000000")
    assert list(member_model.objects.order_by("pk").values_list("phone_hash", flat=True)) == hashes_before

    again = rotation.rotate_model(member_model, rotation.encrypted_fields(member_model), batch_size=2)
    assert again["phone"].counts["reencrypted"] == again["account"].counts["reencrypted"] == 0


def test_a_dry_run_counts_but_writes_nothing(settings, member_model):
    member_model.objects.create(phone="13812345678")
    use_keys(settings, NEW, OLD)
    reports = rotation.rotate_model(
        member_model, rotation.encrypted_fields(member_model), batch_size=10, dry_run=True
    )
    assert reports["phone"].counts["reencrypted"] == 1
    assert stored_key_ids(member_model, "phone") == ["old"]


def test_a_value_no_key_can_decrypt_is_reported_and_left_alone(settings, member_model):
    use_keys(settings, GONE)
    orphan = member_model.objects.create(phone="13812345678")
    use_keys(settings, OLD)
    member_model.objects.create(phone="13912345678")
    use_keys(settings, NEW, OLD)

    reports = rotation.rotate_model(member_model, rotation.encrypted_fields(member_model))

    assert reports["phone"].counts["failed"] == 1
    assert reports["phone"].failed_pks == [orphan.pk]
    assert stored_key_ids(member_model, "phone") == ["gone", "new"]


def test_the_command_prints_counts_per_field(settings, member_model, monkeypatch):
    member_model.objects.create(phone="13812345678", account="622202123456")
    use_keys(settings, NEW, OLD)
    monkeypatch.setattr(
        rotation,
        "models_with_encrypted_fields",
        lambda: [(member_model, rotation.encrypted_fields(member_model))],
    )
    out = io.StringIO()
    call_command("rotate_personal_data_key", "--batch-size", "100", stdout=out)
    text = out.getvalue()
    assert "Current key: new" in text
    assert "portal.Member.phone: 1 re-encrypted, 0 already current, 0 empty, 0 failed" in text
    assert "portal.Member.account: 1 re-encrypted" in text
    assert stored_key_ids(member_model, "account") == ["new"]


def test_the_command_fails_when_a_value_could_not_be_decrypted(settings, member_model, monkeypatch):
    use_keys(settings, GONE)
    member_model.objects.create(phone="13812345678")
    use_keys(settings, NEW, OLD)
    monkeypatch.setattr(
        rotation,
        "models_with_encrypted_fields",
        lambda: [(member_model, rotation.encrypted_fields(member_model))],
    )
    with pytest.raises(CommandError, match=r"portal\.Member\.phone \(1; first pks"):
        call_command("rotate_personal_data_key", stdout=io.StringIO())


def test_the_command_dry_run_says_would(settings, member_model, monkeypatch):
    member_model.objects.create(phone="13812345678")
    use_keys(settings, NEW, OLD)
    monkeypatch.setattr(
        rotation,
        "models_with_encrypted_fields",
        lambda: [(member_model, rotation.encrypted_fields(member_model))],
    )
    out = io.StringIO()
    call_command("rotate_personal_data_key", "--dry-run", stdout=out)
    assert "1 would re-encrypt" in out.getvalue()
    assert stored_key_ids(member_model, "phone") == ["old"]


def test_the_command_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rotate_personal_data_key", "--batch-size", "0", stdout=io.StringIO())


def test_the_help_says_blind_indexes_are_not_touched():
    assert "Blind indexes" in rotation.Command.help
    assert "PERSONAL_DATA_HASH_KEY" in rotation.Command.help
