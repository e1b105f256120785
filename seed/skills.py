"""Workers' skills in the synthetic city: certificates climbing a ladder over a career, and craftsman titles.

The workers step (seed/registry.py) calls these for each worker it generates, on its own random stream,
so a worker's certificates and awards are drawn right after their career, as one pass.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Sequence

from seed.draws import cumulative_shares, draw
from workers.choices import Nomination, SkillLevel, TitleLevel
from workers.skills import SKILLED_MIN_LEVEL

REVOKED_SHARE = 0.03
# Highest certificate a worker reaches (0 = none), before revocations take a few away; calibrated so
# that about 56% are skilled (>= 初级工) and about 32% of those high-skill (>= 高级工), as in the report.
TARGET_LEVELS = (
    (0, 0.3848),
    (SkillLevel.APPRENTICE, 0.040),
    (SkillLevel.JUNIOR, 0.2055),
    (SkillLevel.INTERMEDIATE, 0.1845),
    (SkillLevel.SENIOR, 0.1295),
    (SkillLevel.TECHNICIAN, 0.0430),
    (SkillLevel.SENIOR_TECHNICIAN, 0.0117),
    (SkillLevel.PRINCIPAL_TECHNICIAN, 0.0008),
    (SkillLevel.CHIEF_TECHNICIAN, 0.0002),
)
# Chance that a worker at this level holds a craftsman title (only from 35 on: titles need 15+ years).
AWARD_CHANCE = {SkillLevel.TECHNICIAN: 0.03, SkillLevel.SENIOR_TECHNICIAN: 0.12,
                SkillLevel.PRINCIPAL_TECHNICIAN: 0.5, SkillLevel.CHIEF_TECHNICIAN: 0.7}  # fmt: skip
ISSUING_BODIES = ("宁波市职业技能鉴定指导中心", "浙江省职业技能鉴定中心", "宁波技师学院",
                  "宁波市技能人才评价管理服务中心", "企业自主评价（经备案）")  # fmt: skip
REVOKE_REASONS = ("考核中有舞弊行为，证书撤销", "申报材料不实，证书撤销", "重复发证，予以注销")

CERTIFICATE_FIELDS = ("worker_id", "level", "occupation", "number", "issuing_body", "issued_on", "revoked_on",
                      "revoke_reason")  # fmt: skip
AWARD_FIELDS = ("worker_id", "title_id", "year", "locally_trained", "nominated_by", "note")


class Skills:
    """Certificates and awards, one worker at a time; numbers certificates and counts into ``stats``."""

    def __init__(
        self,
        *,
        as_of: datetime.date,
        occupations: Sequence[str],
        occupation_cum: Sequence[float],
        stats: Counter,
    ) -> None:
        from workers.models import CraftsmanTitle

        self.as_of, self.year, self.stats = as_of.toordinal(), as_of.year, stats
        self.occupations, self.occupation_cum = occupations, occupation_cum
        self.levels, weights = zip(*((int(level), w) for level, w in TARGET_LEVELS), strict=True)
        self.level_cum = cumulative_shares(weights)
        titles = list(CraftsmanTitle.objects.filter(active=True).order_by("pk").values_list("pk", "level"))
        self.city_titles = [pk for pk, level in titles if level != TitleLevel.PROVINCE]
        self.province_titles = [pk for pk, level in titles if level == TitleLevel.PROVINCE]
        self.serial = 0

    def certificates(
        self,
        rand: Callable[[], float],
        *,
        worker_id: int,
        age: int,
        start: int,
        occupation: str,
        code: str,
        rows: list[tuple],
    ) -> tuple[int, int | None, int | None]:
        """A ladder up to a target level, issued over the career (from ``start``), a few revoked, added to
        ``rows``. Returns the target level, the level held on the reference date, and the year of the first
        certificate of 技师 or above still held."""
        as_of = self.as_of
        target = draw(rand, self.levels, self.level_cum)
        if target >= SkillLevel.TECHNICIAN and age < 28:
            target = int(SkillLevel.SENIOR)  # keeps the shares: still high-skill, but not a 25-year-old 技师
        skill_level = None
        first_top_year = None
        if target:
            ladder = [target]
            while ladder[-1] > SKILLED_MIN_LEVEL and rand() < 0.5:
                ladder.append(ladder[-1] - 1)
            window_start = min(max(start + 180, as_of - 3 * 365) if target == 1 else start + 180, as_of - 30)
            dates = sorted(window_start + int(rand() * (as_of - window_start + 1)) for _ in ladder)
            for level, issued in zip(reversed(ladder), dates, strict=True):
                revoked = (
                    issued + 30 + int(rand() * (as_of - issued - 30))
                    if as_of - issued > 60 and rand() < REVOKED_SHARE
                    else None
                )
                issued_on = datetime.date.fromordinal(issued)
                self.serial += 1
                rows.append((
                    worker_id, level, occupation if rand() < 0.9 else draw(rand, self.occupations, self.occupation_cum),
                    f"S{issued_on.year}{code}{level}{self.serial:09d}", ISSUING_BODIES[int(rand() * 5)],
                    issued_on, datetime.date.fromordinal(revoked) if revoked else None,
                    REVOKE_REASONS[int(rand() * 3)] if revoked else "",
                ))  # fmt: skip
                self.stats["certificates_revoked"] += revoked is not None
                # The rule of workers.skills.valid_on_q, on the reference date.
                if issued <= as_of and (revoked is None or revoked > as_of):
                    skill_level = level if skill_level is None else max(skill_level, level)
                    if level >= SkillLevel.TECHNICIAN and first_top_year is None:
                        first_top_year = issued_on.year
            self.stats["certificates"] += len(ladder)
        return target, skill_level, first_top_year

    def awards(
        self,
        rand: Callable[[], float],
        *,
        worker_id: int,
        age: int,
        skill_level: int | None,
        first_top_year: int | None,
        rows: list[tuple],
    ) -> None:
        """Craftsman titles for a few long-serving top-skill workers; once per title."""
        chance = AWARD_CHANCE.get(skill_level or 0, 0)
        if chance and age >= 35 and first_top_year and rand() < chance:
            first_year = max(2016, first_top_year + 1)
            if first_year <= self.year:
                year = first_year + int(rand() * (self.year - first_year + 1))
                granted = []
                if self.province_titles and skill_level >= SkillLevel.SENIOR_TECHNICIAN and rand() < 0.25:
                    granted.append((self.province_titles[int(rand() * len(self.province_titles))], year))
                    if self.city_titles and year > first_year and rand() < 0.5:
                        granted.append((self.city_titles[0], first_year + int(rand() * (year - first_year))))
                elif self.city_titles:
                    granted.append((self.city_titles[int(rand() * len(self.city_titles))], year))
                for title_id, title_year in granted:
                    roll = rand()
                    nominated = (
                        Nomination.EMPLOYER
                        if roll < 0.8
                        else Nomination.SELF
                        if roll < 0.92
                        else Nomination.PUBLIC
                    )
                    rows.append((worker_id, title_id, title_year, rand() < 0.6, nominated.value, ""))
                    self.stats["awards"] += 1
