"""Today's date for the campaign: the calendar day in Asia/Shanghai (DESIGN.md §9).

The one place outside the frontends that reads the clock; domain modules take dates as
parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CAMPAIGN_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, aware, in Asia/Shanghai."""
    return datetime.now(CAMPAIGN_TZ)


def today() -> date:
    """Today's date in Asia/Shanghai, whatever the server's time zone."""
    return now().date()
