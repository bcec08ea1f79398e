"""Writes for reminders: a user's channels, an administrator's kinds and offsets, reading notices.
Flush, never commit (the view's perform() ends the transaction)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.services import ServiceError
from app.extensions import db
from app.reminders import notices, offsets
from app.reminders.models import Channel, ChannelPreference, KindSetting, NoticeKind, ReminderOffset


def save_preferences(user, email: str | None, mail: bool, sms: bool) -> None:
    """The user's mail address and whether they want notices by mail and by SMS."""
    user.email = email or None
    for channel, wanted in ((Channel.mail, mail), (Channel.sms, sms)):
        row = db.session.get(ChannelPreference, (user.id, channel))
        if row is None:
            db.session.add(ChannelPreference(user_id=user.id, channel=channel, enabled=wanted))
        else:
            row.enabled = wanted
    db.session.flush()


def mark_read(user_id: int, notice_id: int | None = None) -> None:
    notices.mark_read(user_id, notice_id)


def set_kind_enabled(kind: str, enabled: bool) -> KindSetting:
    """Turn a kind of notice on or off for everyone (deliveries are checked when sent)."""
    if kind not in NoticeKind._value2member_map_:
        raise ServiceError(_("There is no such kind of notice."))
    row = db.session.get(KindSetting, kind) or KindSetting(kind=kind, enabled=True)
    row.enabled = enabled
    db.session.add(row)
    db.session.flush()
    return row


def set_offset(kind: str, days: int) -> ReminderOffset:
    """How many days before its event a reminder kind is due (audited: ReminderOffset is Audited).
    The earlier of two reminders about the same event must stay the earlier one."""
    if kind not in offsets.DEFAULTS:
        raise ServiceError(_("There is no such kind of notice."))
    if not offsets.FEWEST_DAYS <= days <= offsets.MOST_DAYS:
        raise ServiceError(
            _("Give a number from %(min)s to %(max)s.", min=offsets.FEWEST_DAYS, max=offsets.MOST_DAYS), "days"
        )
    current = offsets.all_days()
    for earlier, later in offsets.PAIRS:
        if (kind == earlier and days <= current[later]) or (kind == later and days >= current[earlier]):
            raise ServiceError(
                _(
                    "“%(earlier)s” must come more days before the event than “%(later)s”.",
                    earlier=NoticeKind(earlier).label,
                    later=NoticeKind(later).label,
                ),
                "days",
            )
    row = db.session.scalar(sa.select(ReminderOffset).where(ReminderOffset.kind == kind))
    row = row or ReminderOffset(kind=kind, days=days)
    row.days = days
    db.session.add(row)
    db.session.flush()
    return row
