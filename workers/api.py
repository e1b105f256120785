"""REST endpoints of the registry."""

from rest_framework import serializers

from portal.api.viewsets import ScopedReadOnlyViewSet
from workers.filters import DistrictFilterSet
from workers.models import District


class DistrictSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = District
        fields = ["id", "code", "name", "name_en", "kind", "kind_display"]


class DistrictViewSet(ScopedReadOnlyViewSet):
    """The city's ten county-level divisions (GB/T 2260 codes)."""

    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilterSet
    search_fields = ["name", "name_en", "code"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]
