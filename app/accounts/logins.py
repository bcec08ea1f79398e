"""A login as people type it: a user name, or for a worker account the worker's ID number or
mobile number. Which account it names, and the key the login throttles count it under."""

import sqlalchemy as sa

from app.accounts.models import User
from app.core.identity import InvalidIdentity, normalize_mobile, parse_id_number
from app.extensions import db
from app.workers.models import Worker


def find_login_user(login: str) -> User | None:
    """A username, or, for a worker account, the worker's ID number or mobile number."""
    login = (login or "").strip()
    if not login:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == login))
    if user is not None:
        return user
    worker_ids: list[int] = []
    try:
        number = parse_id_number(login).number
        worker_ids = list(db.session.scalars(sa.select(Worker.id).where(Worker.id_number == number)))
    except InvalidIdentity:
        try:
            phone = normalize_mobile(login)
            worker_ids = list(db.session.scalars(sa.select(Worker.id).where(Worker.phone == phone)))
        except InvalidIdentity:
            return None
    if not worker_ids:
        return None
    users = list(db.session.scalars(sa.select(User).where(User.worker_id.in_(worker_ids))))
    return users[0] if len(users) == 1 else None  # a shared mobile number is ambiguous


def login_throttle_key(login: str) -> str:
    """One key per account, however its login was spelt; an unknown login by its normalised form."""
    user = find_login_user(login)
    if user is not None:
        return f"user:{user.id}"
    login = (login or "").strip()
    try:
        return "id:" + parse_id_number(login).number
    except InvalidIdentity:
        pass
    try:
        return "mobile:" + normalize_mobile(login)
    except InvalidIdentity:
        return "name:" + login.lower()
