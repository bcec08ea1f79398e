from datetime import datetime, timedelta
from decimal import Decimal

from app.core.timeutil import LOCAL_TZ, utcnow
from app.training import services
from app.training.models import Track


def course(title="社会工作知识普及", hours="12", threshold="80", track=Track.knowledge, level=None):
    return services.save_course(None, track, level, title, "", Decimal(hours), Decimal(threshold))


def at(day: str, hm: str) -> datetime:
    return datetime.strptime(f"{day} {hm}", "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL_TZ)


def session(c, capacity=10, meetings=None, district_id=None, venue="区社工站", opens=None, closes=None, allowed=None):
    now = utcnow()
    meetings = meetings or [
        (now + timedelta(days=10), now + timedelta(days=10, hours=2)),
        (now + timedelta(days=11), now + timedelta(days=11, hours=2)),
    ]
    data = services.SessionData(
        name="第一期",
        venue=venue,
        capacity=capacity,
        district_id=district_id,
        enrol_opens=opens or now - timedelta(days=1),
        enrol_closes=closes or now + timedelta(days=5),
        meetings=meetings,
    )
    return services.create_session(c, data, allowed)
