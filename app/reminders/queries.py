"""Reads for the reminders pages: a user's channels, and the administrator's view of what went out."""

import sqlalchemy as sa

from app.extensions import db
from app.reminders.models import ChannelPreference, Delivery, DeliveryState, KindSetting, Notice


def wants(user_id: int, channel) -> bool:
    """Whether the user wants notices over this channel (no row: yes)."""
    value = db.session.scalar(
        sa.select(ChannelPreference.enabled).where(
            ChannelPreference.user_id == user_id, ChannelPreference.channel == channel
        )
    )
    return True if value is None else value


def deliveries_page(state: str, page: int, per_page: int = 50):
    """The newest deliveries first, only those in `state` when it names one."""
    query = sa.select(Delivery).join(Notice).order_by(Delivery.id.desc())
    if state in DeliveryState._value2member_map_:
        query = query.where(Delivery.state == DeliveryState(state))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def delivery_counts() -> dict:
    return dict(db.session.execute(sa.select(Delivery.state, sa.func.count()).group_by(Delivery.state)).all())


def kinds_turned_off() -> set[str]:
    return set(db.session.scalars(sa.select(KindSetting.kind).where(KindSetting.enabled.is_(False))))
