from datetime import timedelta

from app.allowance.rules import Month
from tests.payments.helpers import account, locked_run


def test_the_batch_command_prints_paid_carried_and_exceptions_and_refuses_a_second_batch(app, db, world, today):
    account(world.worker_a, today - timedelta(days=1))
    locked_run(Month.of(2025, 1), {world.worker_a: "120.00", world.worker_b: "80.00"})
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "batch", "2025-01", "--as", world.payroll_city.username])
    assert result.exit_code == 0, result.output
    assert "paid: 1 payments, 120.00" in result.output
    assert "payable 80.00" in result.output
    assert f"{world.worker_b.id_number} {world.worker_b.name} 80.00" in result.output
    assert "(yes)" in result.output
    again = runner.invoke(args=["payments", "batch", "2025-01", "--as", world.payroll_city.username])
    assert again.exit_code == 1
    district = runner.invoke(args=["payments", "batch", "2025-02", "--as", world.payroll_a.username])
    assert district.exit_code == 1
