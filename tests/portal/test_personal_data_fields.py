"""Tests of portal.fields: encrypted text and blind indexes, alone and through a real table."""

import base64

import pytest
from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.db import connection, models
from django.test.utils import isolate_apps

from portal import crypto
from portal.fields import BlindIndexField, EncryptedTextField
from workers.validators import normalise_id_number

KEY = base64.b64encode(b"k" * 32).decode()
HASH_KEY = base64.b64encode(b"h" * 32).decode()
ID_NUMBER = "330206199001011234"


@pytest.fixture(autouse=True)
def keys(settings):
    settings.PERSONAL_DATA_KEYS = [f"k1:{KEY}"]
    settings.PERSONAL_DATA_HASH_KEY = HASH_KEY
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def _person_model():
    with isolate_apps("portal"):

        class Person(models.Model):  # noqa: DJ008 - a throwaway test model
            id_number = EncryptedTextField(null=True, blank=True)
            id_number_hash = BlindIndexField(
                source="id_number", normaliser=normalise_id_number, unique=True, null=True
            )
            note = EncryptedTextField(blank=True, default="")

            class Meta:
                app_label = "portal"
                db_table = "test_personal_data_person"

    return Person


@pytest.fixture
def person_model(db):
    model = _person_model()
    # DDL inside the test's transaction, so the rollback removes the table again.
    sql, params = connection.schema_editor().table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return model


def raw_column(model, pk, attname):
    value = (
        model.objects.filter(pk=pk)
        .annotate(raw=models.ExpressionWrapper(models.F(attname), output_field=models.BinaryField()))
        .values_list("raw", flat=True)
        .get()
    )
    return None if value is None else bytes(value)


# --- EncryptedTextField on its own ----------------------------------------------------------------------


def test_prepping_a_str_encrypts_it():
    token = EncryptedTextField().get_prep_value(ID_NUMBER)
    assert isinstance(token, bytes)
    assert ID_NUMBER.encode() not in token
    assert crypto.decrypt(token) == ID_NUMBER


def test_prepping_bytes_passes_an_existing_token_through_unchanged():
    field = EncryptedTextField()
    token = crypto.encrypt(ID_NUMBER)
    assert field.get_prep_value(token) == token
    assert field.get_prep_value(memoryview(token)) == token
    assert field.get_prep_value(None) is None


def test_prepping_something_other_than_text_is_an_error():
    with pytest.raises(TypeError):
        EncryptedTextField().get_prep_value(330206199001011234)


def test_values_from_the_database_are_decrypted_whatever_the_driver_returns():
    field = EncryptedTextField()
    token = crypto.encrypt(ID_NUMBER)
    assert field.from_db_value(token, None, connection) == ID_NUMBER
    assert field.from_db_value(memoryview(token), None, connection) == ID_NUMBER
    assert field.from_db_value(None, None, connection) is None
    assert field.from_db_value(b"", None, connection) == ""


def test_to_python_takes_text_as_it_is_and_decrypts_tokens():
    field = EncryptedTextField()
    assert field.to_python(ID_NUMBER) == ID_NUMBER
    assert field.to_python(crypto.encrypt(ID_NUMBER)) == ID_NUMBER
    assert field.to_python(None) is None


def test_an_encrypted_field_is_editable_in_a_char_form_field():
    field = EncryptedTextField(max_length=18)
    assert field.editable
    form_field = field.formfield()
    assert isinstance(form_field, forms.CharField)
    assert form_field.max_length == 18
    assert EncryptedTextField(null=True).formfield().empty_value is None


def test_an_encrypted_field_deconstructs_without_its_default_editable():
    _, path, _, kwargs = EncryptedTextField(null=True).deconstruct()
    assert path == "portal.fields.EncryptedTextField"
    assert kwargs == {"null": True}
    _, _, _, kwargs = EncryptedTextField(editable=False).deconstruct()
    assert kwargs == {"editable": False}
    assert not EncryptedTextField(**kwargs).editable


def test_a_blank_default_is_text_not_bytes():
    assert EncryptedTextField(blank=True).get_default() == ""
    assert EncryptedTextField(default="x").get_default() == "x"


def test_the_plaintext_length_is_validated_against_max_length():
    field = EncryptedTextField(max_length=4)
    assert field.clean("1234", None) == "1234"
    with pytest.raises(ValidationError) as excinfo:
        field.clean("12345", None)
    assert [error.code for error in excinfo.value.error_list] == ["max_length"]


def test_a_blank_value_is_refused_unless_blank_is_allowed():
    with pytest.raises(ValidationError) as excinfo:
        EncryptedTextField().clean("", None)
    assert excinfo.value.code == "blank"
    assert EncryptedTextField(blank=True).clean("", None) == ""


# --- BlindIndexField on its own -------------------------------------------------------------------------


def test_a_callable_normaliser_is_kept_as_its_dotted_path():
    field = BlindIndexField(source="id_number", normaliser=normalise_id_number)
    assert field.normaliser == "workers.validators.normalise_id_number"


def test_a_normaliser_that_migrations_could_not_import_is_refused():
    with pytest.raises(ValueError, match="module-level function"):
        BlindIndexField(source="id_number", normaliser=lambda value: value)


def test_a_blind_index_field_deconstructs_for_migrations():
    field = BlindIndexField(source="id_number", normaliser=normalise_id_number, unique=True, null=True)
    _, path, args, kwargs = field.deconstruct()
    assert path == "portal.fields.BlindIndexField"
    assert kwargs == {
        "source": "id_number",
        "normaliser": "workers.validators.normalise_id_number",
        "unique": True,
        "null": True,
    }
    rebuilt = BlindIndexField(*args, **kwargs)
    assert (rebuilt.source, rebuilt.normaliser, rebuilt.max_length, rebuilt.editable) == (
        "id_number",
        "workers.validators.normalise_id_number",
        64,
        False,
    )


def test_index_for_normalises_then_hashes():
    field = BlindIndexField(source="id_number", normaliser=normalise_id_number)
    assert field.index_for(" 330206 19900101 123x") == crypto.blind_index("33020619900101123X")
    assert field.index_for(None) is None
    assert field.index_for("  ") is None


def test_without_a_normaliser_the_value_is_hashed_as_it_is():
    field = BlindIndexField(source="phone")
    assert field.index_for("13812345678") == crypto.blind_index("13812345678")
    assert field.index_for(" 13812345678") != crypto.blind_index("13812345678")


# --- Model checks ---------------------------------------------------------------------------------------


def _check_ids(model, name):
    return [error.id for error in model._meta.get_field(name).check()]


def test_the_sample_model_passes_its_checks():
    model = _person_model()
    assert _check_ids(model, "id_number") == []
    assert _check_ids(model, "id_number_hash") == []
    assert _check_ids(model, "note") == []


def test_checks_refuse_a_unique_encrypted_field_a_bytes_default_and_a_missing_source():
    with isolate_apps("portal"):

        class Broken(models.Model):  # noqa: DJ008 - a throwaway test model
            secret = EncryptedTextField(unique=True)
            blob = EncryptedTextField(default=b"raw")
            secret_hash = BlindIndexField(source="nothing")
            other_hash = BlindIndexField(source="secret", normaliser="workers.validators.no_such_function")

            class Meta:
                app_label = "portal"

    assert "portal.E101" in _check_ids(Broken, "secret")
    assert "portal.E100" in _check_ids(Broken, "blob")
    assert "portal.E102" in _check_ids(Broken, "secret_hash")
    assert "portal.E103" in _check_ids(Broken, "other_hash")


# --- Through the database -------------------------------------------------------------------------------


def test_a_saved_value_is_stored_encrypted_and_read_back_decrypted(person_model):
    person = person_model.objects.create(id_number=ID_NUMBER, note="夜班")
    stored = raw_column(person_model, person.pk, "id_number")
    assert ID_NUMBER.encode() not in stored
    assert crypto.key_id_of(stored) == "k1"

    again = person_model.objects.get(pk=person.pk)
    assert (again.id_number, again.note) == (ID_NUMBER, "夜班")


def test_saving_sets_the_blind_index_and_exact_lookups_go_through_it(person_model):
    person = person_model.objects.create(id_number="330206199001011234")
    assert person.id_number_hash == crypto.blind_index("330206199001011234")

    field = person_model._meta.get_field("id_number_hash")
    found = person_model.objects.get(id_number_hash=field.index_for(" 330206 199001011234 "))
    assert found.pk == person.pk


def test_the_blind_index_follows_a_change_of_value_on_save(person_model):
    person = person_model.objects.create(id_number=ID_NUMBER)
    person.id_number = "330206199001015678"
    person.save()
    assert person_model.objects.get(pk=person.pk).id_number_hash == crypto.blind_index("330206199001015678")
    person.id_number = None
    person.save()
    assert person_model.objects.get(pk=person.pk).id_number_hash is None


def test_bulk_create_sets_the_blind_index(person_model):
    person_model.objects.bulk_create([person_model(id_number=ID_NUMBER), person_model(id_number=None)])
    hashes = set(person_model.objects.values_list("id_number_hash", flat=True))
    assert hashes == {crypto.blind_index(ID_NUMBER), None}


def test_queryset_update_bypasses_the_blind_index_as_documented(person_model):
    person = person_model.objects.create(id_number=ID_NUMBER)
    person_model.objects.filter(pk=person.pk).update(id_number="330206199001015678")
    again = person_model.objects.get(pk=person.pk)
    assert again.id_number == "330206199001015678"
    assert again.id_number_hash == crypto.blind_index(ID_NUMBER)


def test_the_same_value_twice_is_stored_as_two_different_tokens(person_model):
    first = person_model.objects.create(note="same")
    second = person_model.objects.create(note="same")
    assert raw_column(person_model, first.pk, "note") != raw_column(person_model, second.pk, "note")


def test_the_unique_blind_index_refuses_a_duplicate_but_allows_many_blanks(person_model):
    from django.db import IntegrityError, transaction

    person_model.objects.create(id_number=None)
    person_model.objects.create(id_number="")
    person_model.objects.create(id_number=ID_NUMBER)
    with pytest.raises(IntegrityError), transaction.atomic():
        person_model.objects.create(id_number=" " + ID_NUMBER.lower())


def test_filtering_on_the_ciphertext_is_refused_except_for_null(person_model):
    person_model.objects.create(id_number=None)
    assert person_model.objects.filter(id_number__isnull=True).count() == 1
    assert person_model.objects.filter(id_number=None).count() == 1
    with pytest.raises(FieldError, match=r"id_number is encrypted.*BlindIndexField"):
        person_model.objects.filter(id_number=ID_NUMBER).count()
    with pytest.raises(FieldError, match="id_number is encrypted"):
        person_model.objects.filter(id_number__startswith="3302").count()
    with pytest.raises(FieldError, match="id_number is encrypted"):
        person_model.objects.filter(id_number__in=[ID_NUMBER]).count()
