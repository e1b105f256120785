"""Valid identifiers for synthetic people and firms: resident ID numbers and unified social credit codes.

The check characters are computed from the standards' weights (GB 11643, GB 32100, GB 11714), so the
validators (python-stdnum) accept them; the seed never draws a number twice.
"""

from __future__ import annotations

import datetime
import random

from seed.draws import years_before

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714, the organisation code inside a credit code

# Odd sequence numbers are men, even ones women: 499 of each per birth date (001-997, 002-998).
SEQUENCES_PER_DAY = 499


def credit_code(area: str, serial: int) -> str:
    """A valid unified social credit code: 91 (enterprise) + area + organisation code + check character.

    The organisation code's 8 digits are a bijection of serial (the multiplier is coprime with 9*10^7),
    so codes are unique without remembering them, and never start with 0 (demo codes do).
    """
    body8 = f"{10_000_000 + (serial * 48_271 + 7_919) % 90_000_000:08d}"
    org_check = 11 - sum(int(c) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True)) % 11
    body = f"91{area}{body8}" + {10: "X", 11: "0"}.get(org_check, str(org_check))
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def demo_id_number(area: str, birth: str, sequence: int) -> str:
    body = f"{area}{birth}{sequence:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def demo_credit_code(area: str, serial: int) -> str:
    body = f"91{area}{serial:09d}"[:17]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


class IdNumbers:
    """Unique resident ID numbers: one counter per (birth date, gender) hands out sequence numbers.

    The sequence part is unique per birth date whatever the area code, so numbers never repeat, and the
    memory is two small counters per day of the 43 working-age years, not one entry per worker.
    """

    def __init__(self, rng: random.Random, as_of: datetime.date):
        self.first_day = years_before(as_of, 62).toordinal()
        self.last_day = years_before(as_of, 18).toordinal()
        self.counters = bytearray(2 * (self.last_day - self.first_day + 1) * 2)
        self.order = list(range(SEQUENCES_PER_DAY))
        rng.shuffle(self.order)  # the sequence digits look random, not 001, 003, 005 ...
        self.dates: dict[int, tuple[str, int, datetime.date]] = {}
        self.area_sums = {}
        self.sequence_sums = [sum(int(d) * w for d, w in zip(f"{s:03d}", ID_WEIGHTS[14:], strict=True))
                              for s in range(1000)]  # fmt: skip

    def _take(self, day: int, male: bool) -> int | None:
        slot = 2 * ((day - self.first_day) * 2 + male)
        used = self.counters[slot] | self.counters[slot + 1] << 8
        if used >= SEQUENCES_PER_DAY:
            return None
        self.counters[slot], self.counters[slot + 1] = (used + 1) & 0xFF, (used + 1) >> 8
        return 2 * self.order[used] + (1 if male else 2)

    def issue(self, area: str, day: int, male: bool) -> tuple[str, int]:
        """(ID number, birth ordinal); a full birth date moves to the nearest day with room."""
        candidate, sequence = day, self._take(day, male)
        shift = 0
        while sequence is None:  # rare: only when one birth date has 499 workers of one gender
            shift = -shift if shift > 0 else 1 - shift
            if shift > self.last_day - self.first_day:
                raise ValueError("No sequence numbers left for this many workers.")
            candidate = day + shift
            if self.first_day <= candidate <= self.last_day:
                sequence = self._take(candidate, male)
        cached = self.dates.get(candidate)
        if cached is None:
            birth = datetime.date.fromordinal(candidate)
            digits = birth.strftime("%Y%m%d")
            cached = (digits, sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[6:14], strict=True)), birth)
            self.dates[candidate] = cached
        digits, date_sum, _ = cached
        area_sum = self.area_sums.get(area)
        if area_sum is None:
            area_sum = self.area_sums[area] = sum(int(d) * w for d, w in zip(area, ID_WEIGHTS, strict=False))
        check = ID_CHECK[(area_sum + date_sum + self.sequence_sums[sequence]) % 11]
        return f"{area}{digits}{sequence:03d}{check}", candidate

    def birth_date(self, day: int) -> datetime.date:
        return self.dates[day][2]
