"""Files for a session's meetings: the roster as a spreadsheet (one row a participant that the user
may see, one column a meeting with their attendance, and a column to sign), and the QR code
that opens a meeting's check-in page."""

import io

import segno
from flask_babel import gettext as _

from app.core.exporting import write_xlsx
from app.core.timeutil import to_local
from app.training.models import Mark, TrainingSession
from app.training.queries import marks, roster

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roster_xlsx(user, session: TrainingSession) -> bytes:
    enrolled = roster(user, session.id)
    marked = marks(user, [m.id for m in session.meetings])
    labels = {Mark.present: _("Present"), Mark.late: _("Late"), Mark.absent: _("Absent")}
    headers = (
        [_("No."), _("Name"), _("Community"), _("Mobile")]
        + [f"{to_local(m.starts_at):%m-%d %H:%M}" for m in session.meetings]
        + [_("Signature")]
    )
    rows = []
    for n, e in enumerate(enrolled, start=1):
        w = e.worker
        community = w.community.name if w.community else ""
        rows.append(
            [n, w.name, community, w.phone or ""]
            + [labels.get(marked.get((m.id, w.id)), "") for m in session.meetings]
            + [""]
        )
    return write_xlsx(headers, rows, session.name, text_columns=(3,))


def checkin_qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2)
    return buffer.getvalue()
