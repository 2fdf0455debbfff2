"""A patch's date as people read it: in its author's time zone.

A patch stores its date as 14 digits in UTC (docs/FORMAT.md), so that dates compare
and sort as text whatever the zone; the author's zone is kept apart, as metadata
``zone`` (git's ``+HHMM`` / ``-HHMM``), by ``verfs import git`` and ``verfs record``.
These pure functions put the two back together.  A date that is not 14 digits (some
old darcs patches) is shown as it is: there is no moment to convert.

With no zone known, the ISO form ends in ``+00:00`` rather than ``Z``: the two mean
the same instant, but ``+00:00`` keeps one shape for every date (programs can slice
the offset without a special case) and it is what ``datetime.isoformat`` writes and
``datetime.fromisoformat`` reads in every Python version.
"""

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

_ZONE = re.compile(r"([+-])(\d\d)(\d\d)")


@lru_cache(maxsize=64)        # a log asks for the same few zones thousands of times
def offset(zone: str | None) -> timezone:
    """The offset a ``+HHMM`` / ``-HHMM`` zone names (UTC when none or malformed)."""
    m = _ZONE.fullmatch(zone or "")
    if m is None:
        return UTC
    minutes = int(m[2]) * 60 + int(m[3])
    if minutes >= 24 * 60:
        return UTC
    return timezone(timedelta(minutes=-minutes if m[1] == "-" else minutes))


def zone_of(moment: datetime) -> str:
    """``moment``'s offset as ``+HHMM`` / ``-HHMM`` (``+0000`` when naive)."""
    delta = moment.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def local_zone() -> str:
    """The zone of the local time now (``TZ`` and the system's setting)."""
    return zone_of(datetime.now().astimezone())


def _moment(date14: str, zone: str | None) -> datetime | None:
    if len(date14) != 14 or not date14.isdigit():
        return None
    try:        # by slices, not strptime: ten times faster, and a log shows thousands
        utc = datetime(int(date14[:4]), int(date14[4:6]), int(date14[6:8]),
                       int(date14[8:10]), int(date14[10:12]), int(date14[12:]), tzinfo=UTC)
    except ValueError:      # 20261301..., a month 13: no moment
        return None
    return utc.astimezone(offset(zone))


def iso(date14: str, zone: str | None = None) -> str:
    """ISO 8601 in the author's zone: ``2026-12-01T10:02:03-07:00``."""
    moment = _moment(date14, zone)
    return date14 if moment is None else moment.isoformat()


def text(date14: str, zone: str | None = None) -> str:
    """git's readable form in the author's zone: ``Tue Dec 1 10:02:03 2026 -0700``
    (English names whatever the locale, as git writes them)."""
    moment = _moment(date14, zone)
    return date14 if moment is None else _text(moment)


EPOCH = "1970-01-01 00:00:00.000000000 +0000"     # diff -N's time of an absent file


def diff_header(date14: str | None, zone: str | None = None) -> str:
    """GNU diff's time in a ``---``/``+++`` line, in the author's zone:
    ``2026-12-01 10:02:03.000000000 -0700`` (None, or a date with no moment: the
    epoch, as diff -N writes for an absent file)."""
    moment = _moment(date14, zone) if date14 else None
    if moment is None:
        return EPOCH
    return f"{moment.strftime('%Y-%m-%d %H:%M:%S')}.000000000 {zone_of(moment)}"


def _text(moment: datetime) -> str:
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[moment.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")[moment.month - 1]
    return (f"{day} {month} {moment.day} {moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d} {moment.year} {zone_of(moment)}")


# The reflog's own times (``2026-12-02T13:19:34Z``: UTC, when head moved on this
# machine) are shown in the same two forms: ISO with ``+00:00`` for programs, git's
# form in the local zone for people (the moves are the reader's own).

def _reflog_moment(when: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def reflog_iso(when: str) -> str:
    """A reflog time for programs: ``2026-12-02T13:19:34+00:00`` (odd text as is)."""
    moment = _reflog_moment(when)
    return when if moment is None else moment.astimezone(UTC).isoformat()


def reflog_text(when: str) -> str:
    """A reflog time for people: git's form in the local zone (odd text as is)."""
    moment = _reflog_moment(when)
    return when if moment is None else _text(moment.astimezone())
