from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Audited, TimestampMixin
from app.extensions import db


class Term(Audited, TimestampMixin, db.Model):
    """A term (届) of the community 两委, known by its name and election date."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    elected_on: Mapped[date] = mapped_column(sa.Date, unique=True, nullable=False)

    def __repr__(self) -> str:
        return f"<Term {self.name} {self.elected_on}>"
