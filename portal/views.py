"""The page shell: login, logout, the home page that sends each role where it works, health."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portal.choices import Role
from portal.forms import LoginForm

DASHBOARD_ROLES = (Role.CITY_STAFF, Role.DISTRICT_STAFF, Role.DISTRICT_OFFICIAL)


def works_in_admin(user) -> bool:
    """Union staff keep records in the admin; the User model derives is_staff from the role."""
    return user.is_authenticated and user.is_active and user.is_staff


def sees_dashboards(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in DASHBOARD_ROLES)


def is_worker(user) -> bool:
    # A superuser made by createsuperuser keeps the default role "worker" but is no worker.
    return user.is_authenticated and user.role == Role.WORKER and not user.is_superuser and not user.is_staff


def role_required(allowed):
    """Sign-in required, then ``allowed(user)``; otherwise an explanatory 403 page in the shell."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                return render(request, "portal/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


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
    """POST signs out (Django 5); GET shows a confirmation button for people who type the address."""

    http_method_names = ["get", "post", "options"]
    template_name = "portal/logout.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            # Stored in the message cookie, so it survives the session being flushed.
            messages.success(request, _("You have signed out."))
        return response


# /me/ and the worker's other pages live in selfservice/views.py; the dashboards live in
# indicators/views.py and use the role checks above.


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and docker-compose: the process answers and the database is reachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy", whatever the driver raised
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for when a page links no icon (API responses, files): the static one."""
    return redirect(static("favicon.svg"))
