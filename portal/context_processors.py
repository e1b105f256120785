"""Template context every page needs: the portal's name and the user's role and scope."""

from django.conf import settings

from portal.access import scope_for


def portal(request):
    user = getattr(request, "user", None)
    return {
        "portal_name": settings.PORTAL_NAME,
        "user_scope": scope_for(user) if user is not None else None,
    }
