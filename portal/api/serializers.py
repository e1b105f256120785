"""Serializer pieces every app's API uses: masked personal data, scoped ids, strict service input."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.access import Action, restrict


@extend_schema_field(OpenApiTypes.STR)
class MaskedField(serializers.Field):
    """Personal data as the masking rule shows it; the full value never leaves through the API."""

    def __init__(self, mask, **kwargs):
        self.mask = mask
        kwargs["read_only"] = True
        # An empty value (no phone on file, an account not yet taken) comes out as null: the schema says so.
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return self.mask(value)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id among the rows the user may see: any other answers "does not exist", as a guessed URL
    answers 404, so a request body cannot probe what lies outside the scope."""

    def get_queryset(self):
        queryset = super().get_queryset()
        assert queryset is not None  # a writable related field always has one
        return restrict(queryset, self.context["request"].user, Action.VIEW)


class ServiceInputSerializer(serializers.Serializer):
    """Input of one registry operation; a key it does not take is refused (400) rather than ignored."""

    # Types only: the service checks the rules, so the API, the admin and imports agree. Refusing
    # unknown keys tells a client that sends ``district`` that this is not how a district changes.

    #: field name -> why it cannot be set here
    refused_fields: Mapping[str, str] = {}
    _ignored = frozenset({"csrfmiddlewaretoken"})  # the browsable API's forms

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields) - self._ignored)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.refused_fields.get(name, _("This field cannot be set here."))]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)
