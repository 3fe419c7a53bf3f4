"""Dates as the county sees them: China Standard Time, whatever the server's zone."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    return datetime.now(CHINA).date()


def to_china(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every one we store is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA)
