"""`flask seed-demo` gives the term report something real to show."""

from app.core.access import Role
from app.reports import queries
from app.workers.education import Education


class _CityWide:
    role, city_wide, districts, worker_id = Role.admin, True, [], None


def test_seed_demo_adds_two_terms_and_education(app, app_ctx):
    from app.extensions import db

    result = app.test_cli_runner().invoke(args=["seed-demo", "--workers", "300"])
    assert result.exit_code == 0, result.output
    assert [t.name for t in queries.terms()] == ["2021届", "2016届"]
    assert db.session.query(Education).count() >= 300
    report = queries.term_report(_CityWide(), queries.term_by_name("2021届"))
    total = report.total
    assert total.counts.members > 20 and 0 < total.counts.college < total.counts.members
    assert report.previous_term.name == "2016届" and total.change_college is not None
