"""Base viewsets: every queryset goes through portal/access.py, so no endpoint can forget the scope."""

from rest_framework import viewsets

from portal.access import Action, restrict


class ScopedViewSetMixin:
    def get_queryset(self):
        action = Action.VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else Action.CHANGE
        return restrict(super().get_queryset(), self.request.user, action)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass
