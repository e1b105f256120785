"""URLs of the dashboards, mounted at /dashboard/ (config/urls.py)."""

from django.urls import path, register_converter

from indicators import views


class DistrictCodeConverter:
    """A GB/T 2260 county-level code: six digits."""

    regex = "[0-9]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DistrictCodeConverter, "district")

urlpatterns = [
    path("", views.city_page, name="dashboard"),
    path("export.<str:fmt>", views.city_export, name="dashboard-export"),
    path("recompute/", views.recompute, name="dashboard-recompute"),
    path("<district:code>/", views.district_page, name="dashboard-district"),
    path("<district:code>/export.<str:fmt>", views.district_export, name="dashboard-district-export"),
    path("<district:code>/records/<slug:slug>/", views.drilldown_page, name="dashboard-drilldown"),
    path(
        "<district:code>/records/<slug:slug>/export.<str:fmt>",
        views.drilldown_export,
        name="dashboard-drilldown-export",
    ),
]
