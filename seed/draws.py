"""Small deterministic helpers the generators share: weighted draws, proportional splits, days as ordinals."""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import random
from collections.abc import Callable, Sequence
from math import gcd

#: Ningbo time, in which the seed dates its moments.
CST = datetime.timezone(datetime.timedelta(hours=8))


def cumulative_shares(weights: Sequence[float]) -> list[float]:
    total = float(sum(weights))
    return [w / total for w in itertools.accumulate(weights)]


def draw(rng_random: Callable[[], float], values: Sequence, cumulative: Sequence[float]):
    """One of values, by a uniform draw against their cumulative shares (cumulative_shares)."""
    # min(): a float sum may end a hair below 1.0.
    return values[min(bisect.bisect_right(cumulative, rng_random()), len(values) - 1)]


def weighted(rng: random.Random, pairs):
    """One value of (value, weight) pairs."""
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def date_between(rng: random.Random, first: int, last: int) -> datetime.date:
    return datetime.date.fromordinal(first + int(rng.random() * (last - first + 1)))


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Integers in proportion to weights that add up to exactly total."""
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    raw = [total * w / weight_sum for w in weights]
    counts = [math.floor(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def affine(n: int, rng: random.Random) -> tuple[int, int]:
    """(a, b) with gcd(a, n) = 1, so j -> (a*j + b) % n visits 0..n-1 once each, scattered."""
    if n <= 1:
        return 1, 0
    a = rng.randrange(1, n)
    while gcd(a, n) != 1:
        a = rng.randrange(1, n)
    return a, rng.randrange(n)


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def date_of(day: int | None) -> datetime.date | None:
    """The date of a day ordinal (None stays None)."""
    return None if day is None else datetime.date.fromordinal(day)


def moment(day: int, minute: int) -> datetime.datetime:
    """Ningbo time on a day ordinal, `minute` minutes after midnight."""
    return datetime.datetime.combine(
        datetime.date.fromordinal(day), datetime.time(minute // 60, minute % 60), tzinfo=CST
    )
