"""Writes of training records: the free text of an apprenticeship is cleaned like every other text."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import register_worker
from training.models import Apprenticeship
from training.services.programs import apprenticeship_create

D = datetime.date


@pytest.fixture
def pair(worker, beilun_firm):
    return worker, register_worker(beilun_firm, sequence=41, hired_on=D(2022, 1, 1))


def create(pair, occupation):
    master, apprentice = pair
    return apprenticeship_create(
        by=None, master_id=master.pk, apprentice_id=apprentice.pk, occupation=occupation, skill_target=4,
        starts_on=D(2023, 3, 1), ends_on=D(2025, 3, 1),
    )  # fmt: skip


@pytest.mark.parametrize("char", ["\u202e", "\u0001"])
def test_an_apprenticeship_occupation_with_a_control_character_is_refused(pair, char):
    with pytest.raises(ValidationError) as caught:
        create(pair, f"数控{char}车工")
    message = " ".join(caught.value.message_dict["occupation"])
    assert f"U+{ord(char):04X}" in message and message.startswith("Occupation"), message
    assert not Apprenticeship.objects.exists()


def test_an_apprenticeship_occupation_is_normalised_and_stripped(pair):
    assert create(pair, " 数控车工\n").occupation == "数控车工"
