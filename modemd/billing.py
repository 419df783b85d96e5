"""Cost rules: what a month of SMS parts costs, and where a month begins.

Pure domain code. The billing rule itself (DESIGN.md) is applied by the store's queries: a
message counts once the network accepted any of its parts, whatever its fate after that, and a
rejected message never counts. This module prices the counted parts and turns "2026-03" in
the practice's time zone into the UTC instants the store compares with.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class CostModel:
    """Per SMS part, or a monthly package with extra packages added automatically."""

    model: str = "per_sms"  # "per_sms" | "package"
    price_per_sms: float = 0.08
    package_size: int = 150
    package_price: float = 12.0
    currency: str = "EUR"

    def packages(self, segments: int) -> int:
        """Packages a month with `segments` billed parts needs (model "package"): at least one,
        because the package is paid whether it is used or not."""
        return max(1, math.ceil(segments / self.package_size))

    def cost(self, segments: int) -> Decimal:
        """The month's cost for `segments` billed parts, rounded to the cent."""
        if self.model == "package":
            total = Decimal(str(self.package_price)) * self.packages(segments)
        else:
            total = Decimal(str(self.price_per_sms)) * segments
        return total.quantize(_CENT, ROUND_HALF_UP)

    def share(self, segments: int, of_total: int) -> Decimal:
        """The part of the month's cost that `segments` of `of_total` billed parts carry.

        Per SMS that is simply their price; with packages the month's cost is split in
        proportion to the parts (an unused package is carried by nobody when no part is sent).
        """
        if self.model != "package":
            return self.cost(segments)
        if of_total <= 0:
            return Decimal("0.00")
        total = self.cost(of_total)
        return (total * segments / of_total).quantize(_CENT, ROUND_HALF_UP)


def parse_month(text: str) -> tuple[int, int]:
    """(year, month) of "YYYY-MM"; ValueError otherwise."""
    m = _MONTH.fullmatch(text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
    return int(m.group(1)), int(m.group(2))


def month_of(instant: datetime, tz: ZoneInfo) -> str:
    """"YYYY-MM" of `instant` in the time zone `tz`."""
    return instant.astimezone(tz).strftime("%Y-%m")


def month_window(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of `month` ("YYYY-MM") as a calendar month in `tz`.

    Midnight on the first day local time; the offset comes from the zone, so a month that
    starts in winter time and ends in summer time is 1 hour shorter, as the practice's
    calendar is.
    """
    year, mon = parse_month(month)
    nyear, nmon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    start = datetime(year, mon, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(nyear, nmon, 1, tzinfo=tz).astimezone(UTC)
    return start, end
