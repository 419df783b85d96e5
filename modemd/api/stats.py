"""`GET /api/v1/stats?month=YYYY-MM`: a month's messages, billed SMS parts and cost.

Every key sees the numbers of every key and the total: keys are the locations of one practice,
which shares one bill (see docs/billing.md).
"""

from __future__ import annotations

from typing import Any

import bottle

from modemd.api.base import ApiError, Routes
from modemd.store.keys import ApiKey


def install(r: Routes) -> None:
    """Register the statistics route."""
    ctx = r.ctx

    @r.route("GET", "/api/v1/stats")
    def get_stats(key: ApiKey) -> Any:
        month = bottle.request.query.get("month") or ctx.accounting.current_month()
        try:
            return ctx.accounting.stats(month)
        except ValueError:
            raise ApiError(422, "invalid_month", "month must be YYYY-MM, e.g. 2026-03",
                           "month") from None
