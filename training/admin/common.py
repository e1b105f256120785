"""What the training admins share: a field's label, and the id of an optional choice."""


def field_label(model, field: str):
    return model._meta.get_field(field).verbose_name


def pk_or_none(obj) -> int | None:
    return obj.pk if obj is not None else None
