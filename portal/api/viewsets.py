"""Base viewsets: every queryset goes through portal/access.py, so no endpoint can forget the scope.

Nor can a query string carry personal data: URLs end up in access logs, proxies and browser history,
so ID numbers, phones and accounts travel in the body of a POST to a lookup action instead.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import generics, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.access import Action, restrict
from portal.api.filters import StrictFilterBackend

#: Query-string parameters refused everywhere in the API (400), rather than silently ignored: a client
#: still sending ?id_number= would otherwise get every row in its scope instead of one.
PERSONAL_QUERY_PARAMETERS = frozenset(
    {"id_number", "phone", "bank_account", "account", "payee_account", "worker_id_number", "worker_phone"}
)
PERSONAL_QUERY_MESSAGE = _(
    "Personal data never goes into a URL. Send it in the body of a POST to a lookup action, "
    "such as /api/workers/lookup/, and filter by the id it returns."
)


def refuse_personal_query_parameters(request) -> None:
    refused = sorted(PERSONAL_QUERY_PARAMETERS.intersection(request.query_params))
    if refused:
        raise ValidationError({name: [PERSONAL_QUERY_MESSAGE] for name in refused})


if TYPE_CHECKING:
    _ViewSetMixinBase = generics.GenericAPIView
else:
    _ViewSetMixinBase = object


class ScopedViewSetMixin(_ViewSetMixinBase):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_personal_query_parameters(request)

    def get_queryset(self):
        action = Action.VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else Action.CHANGE
        return restrict(super().get_queryset(), self.request.user, action)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ServiceViewSet(ScopedReadOnlyViewSet):
    """Reads from the scoped queryset; each write method is one service call. No PUT, no DELETE.

    Only the filters of the FilterSet apply: a search box would mean LIKE '%x%' and free ordering a
    sort of millions of rows, and cursor pagination walks the primary key.
    """

    filter_backends = [StrictFilterBackend]
    #: action -> serializer of its input; reads use serializer_class
    input_serializers: Mapping[str, type[serializers.Serializer]] = {}

    def get_serializer_class(self):
        return self.input_serializers.get(self.action, self.serializer_class)

    def service_input(self) -> dict:
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def read_back(self, obj, status_code: int = status.HTTP_200_OK) -> Response:
        # Read again as a GET would, so a write answers with exactly what a read shows.
        assert (
            self.queryset is not None and self.serializer_class is not None
        )  # every ServiceViewSet sets both
        instance = restrict(self.queryset.all(), self.request.user, Action.VIEW).get(pk=obj.pk)
        serializer = self.serializer_class(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)
