"""What /metrics reads of the reminders (registered by the factory: core knows no domain)."""

import sqlalchemy as sa

from app.extensions import db
from app.reminders.models import Channel, Delivery, DeliveryState


def deliveries_by_state() -> dict[tuple[str, str], int]:
    """Deliveries by (state, channel), every pair present (0 when none), so an alert on
    failed or pending mail has a series to watch from the start."""
    counts = {(state.value, channel.value): 0 for state in DeliveryState for channel in Channel}
    rows = db.session.execute(
        sa.select(Delivery.state, Delivery.channel, sa.func.count()).group_by(Delivery.state, Delivery.channel)
    )
    counts.update({(state.value, channel.value): n for state, channel, n in rows})
    return counts
