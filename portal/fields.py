"""Model fields for personal data: encrypted text and its blind index, the only way models store it.

Typical use::

    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = BlindIndexField(source="id_number", normaliser=normalise_id_number, unique=True,
                                     null=True)

    Worker.objects.filter(id_number_hash=Worker._meta.get_field("id_number_hash").index_for(raw))

An encrypted column can only be tested for NULL; exact lookups go through the blind index.

The blind index is computed in ``pre_save``, which runs for ``save()`` and ``bulk_create()`` but NOT
for ``QuerySet.update()`` or ``bulk_update()``: callers of those must set the hash themselves
(``field.index_for(value)``), and ``save(update_fields=...)`` must name the hash field together with
its source.

``dumpdata`` and other serialisers write the decrypted value: do not dump these models anywhere
that personal data may not go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, Lookup
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from portal import crypto

BLIND_INDEX_LENGTH = 64


def _refusal(lhs: Any) -> FieldError:
    name = getattr(getattr(lhs, "target", None), "name", "This field")
    return FieldError(
        f"{name} is encrypted, so the database cannot compare it; filter on its BlindIndexField instead."
    )


class _NullOnlyExact(Exact):
    """filter(field=None) means IS NULL and works; any other value cannot match ciphertext."""

    def get_prep_lookup(self) -> Any:
        if self.rhs is not None:
            raise _refusal(self.lhs)
        return super().get_prep_lookup()


class _RefusedLookup(Lookup):
    def __init__(self, lhs: Any, rhs: Any) -> None:
        raise _refusal(lhs)


class EncryptedTextField(models.BinaryField):
    """Text encrypted with portal.crypto; the Python value is a str, the column holds the token."""

    description = _("Text encrypted at rest")
    if TYPE_CHECKING:
        # What the django-stubs plugin gives models and querysets for this field: text, not BinaryField's bytes.
        _pyi_private_set_type: str | None
        _pyi_private_get_type: str  # type: ignore[assignment]
    empty_values = [None, "", b""]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # BinaryField defaults to editable=False; personal data is entered through forms.
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        # Our default is the reverse of BinaryField's.
        if self.editable:
            kwargs.pop("editable", None)
        else:
            kwargs["editable"] = False
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        # django-stubs does not declare Field.db_index, which Field.__init__ sets.
        if self.unique or self.db_index:  # type: ignore[attr-defined]
            # Random nonces make equal values differ in the column, so a database index is useless.
            errors.append(
                checks.Error(
                    "An EncryptedTextField cannot be unique or indexed.",
                    hint="Add a BlindIndexField(source=...) with unique=True instead.",
                    obj=self,
                    id="portal.E101",
                )
            )
        return errors

    def _check_str_default_value(self) -> list[checks.CheckMessage]:
        # The reverse of BinaryField's rule: a bytes default would be stored as if it were a token.
        if self.has_default() and isinstance(self.default, bytes | bytearray | memoryview):
            return [
                checks.Error(
                    "An EncryptedTextField's default must be a str (it is encrypted), not bytes.",
                    obj=self,
                    id="portal.E100",
                )
            ]
        return []

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        # Only NULL tests mean anything on ciphertext; refusing the rest turns a silent empty
        # result (filter(id_number=...)) into an error that says what to do.
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NullOnlyExact
        return _RefusedLookup

    def get_default(self) -> Any:
        # BinaryField turns a "" default into b"", which would reach the database unencrypted.
        return models.Field.get_default(self)

    def to_python(self, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return self._decrypt(value)
        return str(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return self._decrypt(value)

    @staticmethod
    def _decrypt(value: bytes | bytearray | memoryview) -> str:
        # No token is empty, so an empty blob can only be a blank value written without this field.
        if len(value) == 0:
            return ""
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> bytes | None:
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        # Bytes are an existing token (the rotation command writes them): never encrypt twice.
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        if not isinstance(value, str):
            raise TypeError(f"{self.name} takes a str, not {type(value).__name__}.")
        return crypto.encrypt(value)

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        defaults: dict[str, Any] = {"max_length": self.max_length}
        if self.null:
            defaults["empty_value"] = None
        defaults.update(kwargs)
        return models.Field.formfield(
            self, form_class=form_class or forms.CharField, choices_form_class=choices_form_class, **defaults
        )


def _dotted_path(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or not qualname or "<" in qualname:
        raise ValueError(
            f"normaliser {function!r} must be a module-level function so that migrations can refer "
            "to it by its dotted path."
        )
    return f"{module}.{qualname}"


class BlindIndexField(models.CharField):
    """HMAC of the (normalised) value of another field, kept up to date in pre_save."""

    description = _("Keyed hash of another field, for exact lookups and uniqueness")

    def __init__(
        self,
        *args: Any,
        source: str,
        normaliser: str | Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_length", BLIND_INDEX_LENGTH)
        kwargs["editable"] = False
        self.source = source
        self.normaliser = _dotted_path(normaliser) if callable(normaliser) else normaliser
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normaliser is not None:
            kwargs["normaliser"] = self.normaliser
        if kwargs.get("max_length") == BLIND_INDEX_LENGTH:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        source_names = {f.attname for f in self.model._meta.concrete_fields if f is not self}
        if self.source not in source_names:
            errors.append(
                checks.Error(
                    f"BlindIndexField source {self.source!r} is not a field of {self.model.__name__}.",
                    obj=self,
                    id="portal.E102",
                )
            )
        if self.normaliser is not None:
            try:
                import_string(self.normaliser)
            except ImportError as exc:
                errors.append(
                    checks.Error(
                        f"BlindIndexField normaliser {self.normaliser!r} cannot be imported: {exc}",
                        obj=self,
                        id="portal.E103",
                    )
                )
        return errors

    def _normalise(self, value: str) -> str:
        if self.normaliser is None:
            return value
        # Imported late: the normaliser lives in an app that may import its models from here.
        return import_string(self.normaliser)(value)

    def index_for(self, value: str | None) -> str | None:
        """The blind index of a raw value, for filter(<this field>=...)."""
        if value is None:
            return None
        normalised = self._normalise(value)
        # A blank value has no index: with unique=True, two blank rows would otherwise collide.
        if normalised == "":
            return None
        return crypto.blind_index(normalised)

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        digest = self.index_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, digest)
        return digest
