"""Foreign keys on admin forms that offer, accept and name only rows in the user's scope."""

from django.contrib.admin import widgets

from portal.access import Action, restrict
from portal.admin.bases import ModelAdminMixinBase


class ScopedRawIdWidget(widgets.ForeignKeyRawIdWidget):
    """A raw-id box that names the chosen row only if it lies in the user's scope.

    Django's widget looks the typed id up without any scope; on a form shown again with an error,
    that would print the name of a record the user may not see.
    """

    def __init__(self, rel, admin_site, queryset, **kwargs):
        self.scoped = queryset
        super().__init__(rel, admin_site, **kwargs)

    def label_and_url_for_value(self, value):
        if value in (None, ""):
            return "", ""
        obj = self.scoped.filter(pk=value).first()
        if obj is None:
            return "", ""
        text, url = super().label_and_url_for_value(value)
        # Named as the related admin's pickers name it (a worker: name, masked ID number, enterprise).
        label = getattr(self.admin_site._registry.get(self.rel.model), "autocomplete_label", None)
        return (str(label(obj)) if label is not None and text else text), url


class ScopedRelationsMixin(ModelAdminMixinBase):
    """Foreign keys to records (workers, certificates…) offer and accept only rows in the user's scope."""

    scoped_relations: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.scoped_relations:
            queryset = restrict(db_field.related_model._default_manager.all(), request.user, Action.VIEW)
            kwargs["queryset"] = queryset
            if db_field.name in self.raw_id_fields:
                kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, self.admin_site, queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
