import sqlalchemy as sa

from app.payments.models import BankAccount
from tests import factories as f
from tests.factories import login, post
from tests.payments.helpers import bank, card


def _add(client, **values):
    data = {"id_number": "", "bank": str(bank("104").id), "account_no": card(), "valid_from": "2025-01-01", **values}
    return post(client, "/payments/accounts/new", data, token_from="/payments/accounts/new")


def _count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(BankAccount))


def test_a_coordinator_adds_an_account_and_the_list_shows_it_masked(client, db, world):
    login(client, world.coord_a.username)
    number = card("621700", 16)
    response = _add(client, id_number=world.worker_a.id_number, account_no=f"{number[:4]} {number[4:]}")
    assert response.status_code == 302
    page = client.get("/payments/accounts").get_data(as_text=True)
    assert f"{number[:4]} **** **** {number[-4:]}" in page and number not in page
    assert db.session.scalar(sa.select(BankAccount.account_no)) == number


def test_a_bad_card_or_a_taken_date_rerenders_with_the_reason_and_writes_nothing(client, db, world):
    login(client, world.coord_a.username)
    html = _add(client, id_number=world.worker_a.id_number, account_no="6222021234567890120").get_data(as_text=True)
    assert "Luhn" in html and _count(db) == 0
    assert _add(client, id_number=world.worker_a.id_number).status_code == 302
    html = _add(client, id_number=world.worker_a.id_number).get_data(as_text=True)
    assert "已有" in html and _count(db) == 1


def test_another_districts_worker_reads_as_an_unknown_id_number(client, db, world):
    login(client, world.coord_a.username)
    other = _add(client, id_number=world.worker_b.id_number).get_data(as_text=True)
    unknown = _add(client, id_number=f.id_number("500104")).get_data(as_text=True)
    message = "您所辖区县的社区工作者中没有此身份证号。"
    assert message in other and message in unknown and _count(db) == 0
