"""factory_boy factories shared by the whole suite."""

import factory

from portal.choices import Role
from portal.models import District, User
from seed.identifiers import demo_credit_code, demo_id_number


def district(code: str) -> District:
    return District.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.WORKER
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


# --- Identifiers built from the standards' weights (seed/identifiers.py), independent of the validators -----


def make_id_number(area: str = "330206", birth: str = "19900101", sequence: int = 123) -> str:
    return demo_id_number(area, birth, sequence)


def make_credit_code(serial: int) -> str:
    return demo_credit_code("330206", serial)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "workers.Enterprise"

    name = factory.Sequence(lambda n: f"宁波测试机械有限公司{n}")
    credit_code = factory.Sequence(make_credit_code)
    district = factory.LazyFunction(lambda: district("330206"))
    above_scale = True


def register_worker(enterprise, *, sequence: int = 1, birth: str = "19950310", hired_on=None, **kwargs):
    """A worker registered through the service, as the admin, the API and imports do it."""
    import datetime

    from workers.services import worker_register

    return worker_register(
        by=None,
        name=kwargs.pop("name", f"职工{sequence}"),
        id_number=make_id_number("230103", birth, sequence),
        enterprise_id=enterprise.pk,
        hired_on=hired_on or datetime.date(2020, 3, 1),
        phone=kwargs.pop("phone", f"138{sequence:08d}"),
        **kwargs,
    )
