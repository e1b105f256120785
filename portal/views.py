"""The page shell: login, logout, the home page that sends each role where it works, health."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from portal.choices import Role
from portal.forms import LoginForm


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.is_superuser or user.role in (Role.CITY_STAFF, Role.DISTRICT_STAFF):
        return redirect("admin:index")
    if user.role == Role.DISTRICT_OFFICIAL:
        return redirect("dashboard")
    return redirect("me")


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@never_cache
@login_required
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/me.html")


@login_required
def dashboard_placeholder(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard_placeholder.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and docker-compose: the process answers and the database is reachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy", whatever the driver raised
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})
