"""ID and account numbers in the API's answers: masked, unless the client was given `full_ids`
(the finance system that pays needs the full numbers; a reporting client does not). Every
answer that carries full numbers is written to the audit log as an export."""

from flask import request

from app.api.models import ApiClient
from app.core.audit import AuditAction, record
from app.core.identity import mask_id_number
from app.payments.cards import mask_card_number


def _export(client: ApiClient, rows: list[dict]) -> None:
    if rows:
        record(
            AuditAction.export,
            "api_client",
            client.id,
            f"API {client.name}: {request.path} — {len(rows)} rows with full ID numbers",
        )


def masked_lines(client: ApiClient, rows: list[dict]) -> list[dict]:
    if client.full_ids:
        _export(client, rows)
        return rows
    return [{**row, "id_number": mask_id_number(row["id_number"])} for row in rows]


def masked_payments(client: ApiClient, rows: list[dict]) -> list[dict]:
    if client.full_ids:
        _export(client, rows)
        return rows
    return [
        {
            **row,
            "id_number": mask_id_number(row["id_number"]),
            "account_no": mask_card_number(row["account_no"]) if row["account_no"] else None,
        }
        for row in rows
    ]
