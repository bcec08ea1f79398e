import re
from datetime import timedelta

import sqlalchemy as sa

from app.allowance.rules import Month
from app.payments.models import PaymentBatch
from tests.factories import login, post
from tests.payments.helpers import account, locked_run

JAN = Month.of(2025, 1)


def _setup(world, today):
    account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: "120.00", world.worker_b: "80.00"})


def test_a_city_wide_payroll_officer_makes_the_batch_from_the_page_and_sees_it_reconcile(client, db, world, today):
    _setup(world, today)
    login(client, world.payroll_city.username)
    page = client.get("/payments/").get_data(as_text=True)
    assert 'id="make-batch"' in page and 'value="2025-01"' in page
    response = post(client, "/payments/batches", {"month": "2025-01"}, token_from="/payments/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/payments/batches/2025-01")
    html = client.get("/payments/batches/2025-01").get_data(as_text=True)
    assert re.search(r'id="reconciliation"[^>]*>.*?200\.00 = 200\.00', html, re.S)
    assert 'id="total-paid">120.00' in html
    exceptions = html.split('id="exceptions"')[1].split("</table>")[0]
    assert world.worker_b.name in exceptions and "80.00" in exceptions
    assert 'id="download-bank-file"' in html
    again = post(client, "/payments/batches", {"month": "2025-01"}, token_from="/payments/")
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentBatch)) == 1


def test_a_district_payroll_officer_sees_their_districts_only_and_cannot_make_or_download(client, db, world, today):
    from app.payments import services

    _setup(world, today)
    services.make_batch(JAN, world.payroll_city)
    db.session.commit()
    login(client, world.payroll_a.username)
    assert 'id="make-batch"' not in client.get("/payments/").get_data(as_text=True)
    html = client.get("/payments/batches/2025-01").get_data(as_text=True)
    assert world.worker_a.name in html and world.worker_b.name not in html
    assert 'id="download-bank-file"' not in html
    assert client.get("/payments/batches/2025-01/bank.csv").status_code == 403
    assert post(client, "/payments/batches", {"month": "2025-01"}, token_from="/payments/").status_code == 403


def test_coordinators_and_workers_see_no_batches(client, world):
    login(client, world.coord_city.username)
    assert client.get("/payments/").status_code == 403
    assert client.get("/payments/accounts").status_code == 200


def test_unknown_months_are_not_found(client, world):
    login(client, world.payroll_city.username)
    assert client.get("/payments/batches/2025-13").status_code == 404
    assert client.get("/payments/batches/2025-01").status_code == 404


def test_the_second_batch_page_reconciles_all_batches_so_far(client, db, world, today):
    from app.payments import services

    _setup(world, today)  # January: worker_a paid 120.00, worker_b carries 80.00 (no account)
    services.make_batch(JAN, world.payroll_city)
    locked_run(Month.of(2025, 2), {world.worker_a: ["100.00", "-150.00"], world.worker_b: "20.00"})
    services.make_batch(Month.of(2025, 2), world.payroll_city)
    db.session.commit()
    login(client, world.payroll_city.username)
    html = client.get("/payments/batches/2025-02").get_data(as_text=True)
    # lines 200.00 in January, -30.00 in February; paid 120.00; carried now -50.00 (a) + 100.00 (b)
    assert re.search(r'id="cumulative"[^>]*>.*?170\.00 = 120\.00 \+ 50\.00\s*✓', html, re.S)


def test_the_first_batch_may_start_at_any_locked_month_then_only_the_next_one_is_offered(client, db, world):
    from app.payments import services

    for n in (1, 2, 3):
        locked_run(Month.of(2025, n), {world.worker_a: "100.00"})
    db.session.commit()
    login(client, world.payroll_city.username)
    select = client.get("/payments/").get_data(as_text=True).split('id="batch-month"')[1].split("</select>")[0]
    assert re.findall(r'value="([0-9-]+)"', select) == ["2025-03", "2025-02", "2025-01"]
    services.make_batch(Month.of(2025, 2), world.payroll_city)
    db.session.commit()
    select = client.get("/payments/").get_data(as_text=True).split('id="batch-month"')[1].split("</select>")[0]
    assert re.findall(r'value="([0-9-]+)"', select) == ["2025-03"]


def test_a_worker_sees_their_own_account_in_full_and_what_each_batch_did(client, db, world, today):
    from app.payments import services

    acc = account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: ["100.00", "-150.00"]})
    services.make_batch(JAN, world.payroll_city)
    locked_run(Month.of(2025, 2), {world.worker_a: "200.00", world.worker_b: "80.00"})
    services.make_batch(Month.of(2025, 2), world.payroll_city)
    db.session.commit()
    login(client, world.worker_user.username)
    html = client.get("/payments/mine").get_data(as_text=True)
    assert acc.account_no in html
    rows = html.split('id="my-payments"')[1].split("</table>")[0]
    assert rows.index("2025-02") < rows.index("2025-01")
    assert "150.00" in rows and "-50.00" in rows and world.worker_b.name not in html
