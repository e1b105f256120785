"""The indicator API: definitions, and snapshot values with their targets, lights and run."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.helpers import forced_singular_serializer
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.response import Response

from indicators.definitions import INDICATORS
from indicators.periods import Period
from indicators.selectors import figures, latest_run
from portal.access import Level, scope_for


class StaffOrOfficial(permissions.BasePermission):
    """Aggregates are for union staff and officials; a worker has their own pages."""

    def has_permission(self, request, view):
        return scope_for(request.user).level in (Level.CITY, Level.DISTRICT)


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField()
    numerator = serializers.CharField()
    denominator = serializers.CharField(allow_null=True)
    higher_is_better = serializers.BooleanField()
    explanation = serializers.CharField()


class IndicatorViewSet(viewsets.ViewSet):
    """Every indicator the engine computes, with how it is computed."""

    permission_classes = [StaffOrOfficial]
    serializer_class = IndicatorSerializer

    def list(self, request):
        return Response(IndicatorSerializer(list(INDICATORS.values()), many=True).data)


class IndicatorValueSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code")
    period = serializers.CharField(source="value.period")
    district = serializers.CharField(source="value.district.code", allow_null=True, default=None)
    district_name = serializers.CharField(source="value.district.name", allow_null=True, default=None)
    numerator = serializers.DecimalField(source="value.numerator", max_digits=18, decimal_places=2)
    denominator = serializers.DecimalField(
        source="value.denominator", max_digits=18, decimal_places=2, allow_null=True
    )
    value = serializers.DecimalField(source="value.value", max_digits=18, decimal_places=4, allow_null=True)
    ytd_value = serializers.DecimalField(
        source="value.ytd_value", max_digits=18, decimal_places=4, allow_null=True
    )
    target = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    status = serializers.CharField(source="light")
    run = serializers.IntegerField(source="value.run_id")


class IndicatorValuesSerializer(serializers.Serializer):
    """The answer of the values list: which run the values come from, and the values."""

    period = serializers.CharField()
    run = serializers.IntegerField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    results = IndicatorValueSerializer(many=True)


class IndicatorValueViewSet(viewsets.ViewSet):
    """Values of the newest successful run of a period. Officials see every district's aggregates."""

    permission_classes = [StaffOrOfficial]
    serializer_class = IndicatorValueSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description="2025, 2025Q3 or 2025-07 (default: this year)"),
            OpenApiParameter("district", str, description="district code; 'city' for the whole city"),
            OpenApiParameter("indicator", str, description="indicator code"),
        ],
        # A list action that answers one object (the run and its values), not an array.
        responses=forced_singular_serializer(IndicatorValuesSerializer),
    )
    def list(self, request):
        code = request.query_params.get("period") or str(timezone.localdate().year)
        try:
            period = Period.parse(code)
        except ValueError as exc:
            raise exceptions.ValidationError({"period": [str(exc)]}) from None
        indicator = request.query_params.get("indicator")
        if indicator and indicator not in INDICATORS:
            raise exceptions.ValidationError({"indicator": [_("Unknown indicator.")]})
        run = latest_run(period.code)
        if run is None:
            return Response({"period": period.code, "run": None, "computed_at": None, "results": []})
        district = request.query_params.get("district")
        district_id = "any"
        if district == "city":
            district_id = None
        elif district:
            from portal.models import District

            district_id = District.objects.filter(code=district).values_list("pk", flat=True).first()
            if district_id is None:
                raise exceptions.ValidationError({"district": [_("Unknown district.")]})
        rows = figures(run, indicator=indicator, district_id=district_id)
        return Response(
            {
                "period": period.code,
                "run": run.pk,
                "computed_at": run.finished_at,
                "results": IndicatorValueSerializer(rows, many=True).data,
            }
        )
