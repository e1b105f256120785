"""factory_boy factories shared by the whole suite."""

import factory

from portal.choices import Role
from portal.models import User
from workers.models import District


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


# --- Identifiers computed from the standards' weights, independently of the code under test ----------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_id_number(area: str = "330206", birth: str = "19900101", sequence: int = 123) -> str:
    body = f"{area}{birth}{sequence:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


def make_credit_code(serial: int) -> str:
    body = f"91330206{serial:09d}"
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


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
