import csv
import hashlib
import io
from datetime import timedelta

import sqlalchemy as sa

from app.allowance.rules import Month
from app.core.audit import AuditLog
from app.payments import services
from app.payments.bankfile import bank_file, export_batch
from tests.payments.helpers import account, locked_run

MAR = Month.of(2026, 3)


def _batch(world, today):
    a = account(world.worker_a, today - timedelta(days=30), code="314")
    account(world.worker_b, today - timedelta(days=30))
    locked_run(MAR, {world.worker_a: ["300.00", "16.13"], world.worker_b: ["200.00", "-250.00"]})
    return services.make_batch(MAR, world.payroll_city), a


def test_one_row_per_payment_in_the_default_layout_in_gb18030(db, world, today):
    batch, acc = _batch(world, today)
    content = bank_file(batch)
    rows = list(csv.reader(io.StringIO(content.decode("gb18030"))))
    assert rows == [
        ["序号", "户名", "账号", "金额", "开户行", "身份证号", "摘要"],
        [
            "1",
            world.worker_a.name,
            acc.account_no,
            "316.13",
            "重庆农村商业银行",
            world.worker_a.id_number,
            "2026年03月职业津贴",
        ],
    ]
    assert not content.startswith(b"\xef\xbb\xbf")


def test_the_file_made_again_is_byte_identical_and_each_export_is_audited_with_its_sha256(db, world, today):
    batch, _acc = _batch(world, today)
    db.session.commit()
    first, digest = export_batch(batch)
    world.worker_a.name = "张伟伟"  # the registry changes; the batch does not
    db.session.commit()
    second, digest2 = export_batch(batch)
    assert first == second and digest == digest2 == hashlib.sha256(first).hexdigest()
    entries = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.entity_type == "payment_batch", AuditLog.action == "export")
    ).all()
    assert [e.after["sha256"] for e in entries] == [digest, digest]


def test_the_command_writes_the_file(app, db, world, today, tmp_path):
    batch, _acc = _batch(world, today)
    db.session.commit()
    out = tmp_path / "bank.csv"
    result = app.test_cli_runner().invoke(args=["payments", "export", "2026-03", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == bank_file(batch)
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.output
    assert app.test_cli_runner().invoke(args=["payments", "export", "2026-04", "-o", str(out)]).exit_code == 1
