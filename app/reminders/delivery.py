"""Sending deliveries: claimed in batches (so several worker processes share the work without
taking the same one), each committed as soon as it is sent, retried with backoff when the
channel is down, held back in quiet hours, and skipped when its kind is turned off or the user
opted out — checked at the moment of sending.
"""

import contextlib
import json
import secrets
import urllib.request
from datetime import datetime, time, timedelta
from time import monotonic
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_mailman import EmailMessage

from app.accounts.models import User
from app.core.timeutil import LOCAL_TZ, utcnow
from app.extensions import db, mail
from app.reminders import texts
from app.reminders.models import Channel, ChannelPreference, Delivery, DeliveryState, KindSetting, Notice

MAX_ATTEMPTS = 10


def claim_expiry() -> timedelta:
    """A sender that died lets go of its batch after this long."""
    return timedelta(seconds=current_app.config.get("REMINDER_CLAIM_EXPIRY_SECONDS", 600))


def sms_configured() -> bool:
    return bool(current_app.config.get("SMS_GATEWAY_URL"))


def quiet_hours() -> tuple[time, time] | None:
    """(start, end) in Asia/Shanghai from the QUIET_HOURS setting, e.g. "22:00-08:00"."""
    text = (current_app.config.get("QUIET_HOURS") or "").strip()
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    return start, end


def in_quiet_hours(moment: datetime) -> bool:
    hours = quiet_hours()
    if hours is None:
        return False
    start, end = hours
    local = moment.astimezone(LOCAL_TZ).time()
    return (local >= start or local < end) if start > end else start <= local < end


def quiet_hours_end(moment: datetime) -> datetime:
    _start, end = quiet_hours()
    local = moment.astimezone(LOCAL_TZ)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, LOCAL_TZ)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def claim_batch(limit: int = 200, now: datetime | None = None) -> tuple[str, list[int]]:
    """Atomically take up to `limit` due deliveries for this sender (one UPDATE; safe on
    PostgreSQL and SQLite alike: a row already claimed by another sender is not taken)."""
    now = now or utcnow()
    token = secrets.token_hex(8)
    due = (
        sa.select(Delivery.id)
        .where(
            Delivery.state == DeliveryState.pending,
            Delivery.next_attempt_at <= now,
            sa.or_(Delivery.claim.is_(None), Delivery.claimed_at < now - claim_expiry()),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        # PostgreSQL: a second sender skips rows the first is taking instead of colliding on them
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(due))
    if not ids:
        return token, []
    db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id.in_(ids),
            Delivery.state == DeliveryState.pending,
            sa.or_(Delivery.claim.is_(None), Delivery.claimed_at < now - claim_expiry()),
        )
        .values(claim=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    mine = list(db.session.scalars(sa.select(Delivery.id).where(Delivery.claim == token).order_by(Delivery.id)))
    return token, mine


def send_batch(limit: int = 200, now: datetime | None = None) -> dict:
    """Claim and send one batch; returns counts. Each delivery's outcome is committed at once."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "postponed": 0}
    renewed = monotonic()  # when this sender last made sure of its claim (the claim itself, first)
    token, ids = claim_batch(limit, now)
    if not ids:
        return counts
    # Everything the batch needs, read once as plain rows (nothing to reload after each commit).
    rows = db.session.execute(
        sa.select(
            Delivery.id,
            Delivery.channel,
            Delivery.address,
            Delivery.attempts,
            Notice.kind,
            Notice.params,
            Notice.user_id,
            User.active,
            User.locale,
        )
        .join(Notice, Notice.id == Delivery.notice_id)
        .join(User, User.id == Notice.user_id)
        .where(Delivery.id.in_(ids), Delivery.claim == token, Delivery.state == DeliveryState.pending)
        .order_by(Delivery.id)
    ).all()
    disabled = set(db.session.scalars(sa.select(KindSetting.kind).where(KindSetting.enabled.is_(False))))
    opted_out = set(
        db.session.execute(
            sa.select(ChannelPreference.user_id, ChannelPreference.channel).where(
                ChannelPreference.enabled.is_(False), ChannelPreference.user_id.in_({r.user_id for r in rows})
            )
        ).all()
    )
    db.session.commit()
    mailer = _Mailer()
    try:
        for row, following in zip(rows, [*rows[1:], None], strict=True):
            renewed = _claim_kept(row.id, token, now, renewed)
            if renewed is None:
                break
            outcome, values = _send_one(row, disabled, opted_out, mailer, now or utcnow())
            db.session.execute(
                sa.update(Delivery).where(Delivery.id == row.id, Delivery.claim == token).values(claim=None, **values)
            )
            renewed = monotonic()
            still_mine = following is None or renew_claim(following.id, token, now or utcnow())
            db.session.commit()
            counts[outcome] += 1
            if not still_mine:
                break
    finally:
        mailer.close()
    return counts


def _claim_kept(delivery_id: int, token: str, now: datetime | None, renewed: float) -> float | None:
    """Just before a delivery is sent: when this sender's claim on it was made sure of (claimed or
    renewed) longer ago than half the claim's expiry (the process was paused, the machine busy,
    the batch's first query slow), it is renewed again, so that a claim about to expire is never
    sent on: another sender may have taken it meanwhile and sent it already. Returns the new
    moment of certainty, or None when the delivery is no longer this sender's."""
    if monotonic() - renewed < claim_expiry().total_seconds() / 2:
        return renewed
    checked = monotonic()
    kept = renew_claim(delivery_id, token, now or utcnow())
    db.session.commit()
    return checked if kept else None


def renew_claim(delivery_id: int, token: str, now: datetime) -> bool:
    """Before a delivery is sent, its claim is renewed (in the transaction that records the one
    before it). False when another sender has taken it: this sender was away (cut off from the
    network, paused) longer than the claim's expiry, and the rest of its batch is no longer its
    own. A sender coming back from a partition sends nothing that another has sent meanwhile."""
    renewed = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claim == token, Delivery.state == DeliveryState.pending)
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(renewed)


def _send_one(row, disabled: set[str], opted_out: set, mailer: "_Mailer", now: datetime) -> tuple[str, dict]:
    """Decide and (maybe) send one delivery; returns the outcome and the columns to record."""
    if row.kind in disabled or (row.user_id, row.channel) in opted_out or not row.active:
        reason = "kind turned off" if row.kind in disabled else ("opted out" if row.active else "account inactive")
        return "skipped", {"state": DeliveryState.skipped, "last_error": reason}
    if in_quiet_hours(now):
        return "postponed", {"next_attempt_at": quiet_hours_end(now)}
    attempts = row.attempts + 1
    notice = SimpleNamespace(kind=row.kind, params=row.params)
    try:
        with force_locale(row.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject, body = texts.subject(notice), texts.body(notice)
        if row.channel == Channel.mail:
            mailer.send(row.id, row.address, subject, body)
        else:
            send_sms(row.address, f"【{subject}】{body}")
    except Exception as exc:
        mailer.reset()
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempts >= MAX_ATTEMPTS:
            return "failed", {"state": DeliveryState.failed, "attempts": attempts, "last_error": error}
        return "retry", {"attempts": attempts, "last_error": error, "next_attempt_at": now + backoff(attempts)}
    return "sent", {"state": DeliveryState.sent, "attempts": attempts, "sent_at": now, "last_error": None}


class _Mailer:
    """One SMTP connection for a whole batch (Flask-Mailman; the file backend in the embedded default)."""

    def __init__(self):
        self.connection = None

    def send(self, delivery_id: int, address: str, subject: str, body: str) -> None:
        if self.connection is None:
            self.connection = mail.get_connection(fail_silently=False)
            self.connection.open()
        message = EmailMessage(
            subject=subject,
            body=body,
            to=[address],
            connection=self.connection,
            headers={"Message-ID": f"<delivery-{delivery_id}@socialwork.local>"},
        )
        if message.send() != 1:
            raise RuntimeError("the mail server did not take the message")

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a broken connection is dropped either way
                self.connection.close()
            self.connection = None


def send_sms(phone: str, text: str) -> None:
    """The SMS channel: a JSON POST to the gateway set by SMS_GATEWAY_URL (no vendor SDK)."""
    url = current_app.config["SMS_GATEWAY_URL"]
    if not url.startswith(("http://", "https://")):
        raise ValueError("SMS_GATEWAY_URL must be an http(s) URL")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if current_app.config.get("SMS_GATEWAY_TOKEN"):
        headers["Authorization"] = f"Bearer {current_app.config['SMS_GATEWAY_TOKEN']}"
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=json.dumps({"to": phone, "text": text}).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - scheme checked above
        if not 200 <= response.status < 300:
            raise RuntimeError(f"SMS gateway answered {response.status}")
