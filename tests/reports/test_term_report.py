"""The term (届) report, exactly as DOMAIN.md defines members, age and education."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.core.access import Role
from app.reports import services
from app.reports.queries import term_report, years_before
from app.workers.education import EducationLevel
from app.workers.models import PostType
from tests import factories as f
from tests.reports.helpers import educate, member, number

ELECTED = date(2021, 11, 20)
EARLIER = date(2016, 11, 19)


class _CityWide:
    role, city_wide, districts, worker_id = Role.admin, True, [], None


@pytest.fixture
def comm(app_ctx):
    return f.community("500103", name="和平社区")


@pytest.fixture
def term(app_ctx):
    return services.add_term("2021届", ELECTED)


def _total(term):
    return term_report(_CityWide(), term).total.counts


def test_born_exactly_fifty_years_before_the_election_is_fifty_not_under_fifty(comm, term):
    member(comm, date(1971, 11, 20), date(2020, 1, 1))  # 50 on the day
    member(comm, date(1971, 11, 21), date(2020, 1, 1))  # 49 until the next day
    counts = _total(term)
    assert (counts.members, counts.under_50) == (2, 1)


def test_a_lower_case_x_id_number_counts_with_its_birth_date(comm, term):
    lower = number(date(1980, 3, 3), check="X").lower()
    worker = member(comm, date(1980, 3, 3), date(2020, 1, 1), id_number=lower)
    assert worker.id_number.endswith("X")
    counts = _total(term)
    assert (counts.members, counts.under_50) == (1, 1)


def test_appointed_60_days_after_the_election_counts_and_120_days_after_does_not(comm, term):
    member(comm, date(1985, 1, 1), ELECTED + timedelta(days=60))
    member(comm, date(1985, 1, 1), ELECTED + timedelta(days=120))
    member(comm, date(1985, 1, 1), ELECTED + timedelta(days=90))  # the last day of the window
    assert _total(term).members == 2


def test_only_head_deputy_and_member_posts_held_at_the_election_count(comm, term):
    member(comm, date(1985, 1, 1), date(2019, 1, 1), post=PostType.head)
    member(comm, date(1985, 1, 1), date(2019, 1, 1), post=PostType.deputy)
    member(comm, date(1985, 1, 1), date(2019, 1, 1), post=PostType.staff)
    member(comm, date(1985, 1, 1), date(2019, 1, 1), end=ELECTED - timedelta(days=1))  # left the day before
    member(comm, date(1985, 1, 1), date(2019, 1, 1), end=ELECTED)  # still in post on the day
    assert _total(term).members == 3


def test_education_obtained_after_the_election_date_does_not_count(comm, term):
    educate(member(comm, date(1985, 1, 1), date(2019, 1, 1)), EducationLevel.college, ELECTED + timedelta(days=1))
    educate(member(comm, date(1985, 1, 1), date(2019, 1, 1)), EducationLevel.bachelor, ELECTED)
    educate(member(comm, date(1985, 1, 1), date(2019, 1, 1)), EducationLevel.postgraduate, None)  # no date known
    educate(member(comm, date(1985, 1, 1), date(2019, 1, 1)), EducationLevel.senior_secondary, date(2000, 7, 1))
    counts = _total(term)
    assert (counts.members, counts.college) == (4, 2)
    assert counts.share_college == 50


def test_shares_by_district_and_the_change_in_points_from_the_previous_term(comm, term):
    other = f.community("500104", name="幸福社区")
    services.add_term("2016届", EARLIER)
    # the earlier term: 4 members in 500103, one of them under 50 (25.0 %)
    for birth in (date(1960, 1, 1), date(1960, 1, 1), date(1960, 1, 1), date(1980, 1, 1)):
        member(comm, birth, date(2015, 1, 1), end=date(2018, 1, 1))
    # this term: 3 members in 500103, two under 50 (66.7 %); 1 in 500104, under 50
    member(comm, date(1960, 1, 1), date(2021, 1, 1))
    member(comm, date(1980, 1, 1), date(2021, 1, 1))
    member(comm, date(1990, 1, 1), date(2021, 1, 1))
    member(other, date(1990, 1, 1), date(2021, 1, 1))
    report = term_report(_CityWide(), term)
    assert report.previous_term.name == "2016届"
    by_code = {r.code: r for r in report.rows}
    assert by_code["500103"].counts.share_under_50 == Decimal("66.7")
    assert by_code["500103"].change_under_50 == Decimal("41.7")  # 66.7 − 25.0
    assert by_code["500104"].change_under_50 is None  # no members there last term
    assert report.total.counts.share_under_50 == 75 and report.total.change_under_50 == 50


def test_a_district_coordinator_sees_only_their_districts(comm, term):
    other = f.community("500104", name="幸福社区")
    member(comm, date(1985, 1, 1), date(2019, 1, 1))
    member(other, date(1985, 1, 1), date(2019, 1, 1))
    member(other, date(1985, 1, 1), date(2019, 1, 1))
    coord = f.user(Role.coordinator, districts=["500103"])
    report = term_report(coord, term)
    assert [r.code for r in report.rows] == ["500103"]
    assert report.total.counts.members == 1 and not report.city_wide


def test_a_member_is_counted_in_the_district_of_the_post_held_at_the_election(comm, term):
    from app.workers import services as workers

    other = f.community("500104", name="幸福社区")
    worker = member(comm, date(1985, 1, 1), date(2019, 1, 1), end=date(2022, 6, 30))
    workers.add_period(worker, workers.PostData(other.id, PostType.head, date(2022, 7, 1), None))
    assert [r.code for r in term_report(_CityWide(), term).rows] == ["500103"]


def test_fifty_years_before_a_leap_day():
    assert years_before(date(2032, 2, 29), 50) == date(1982, 2, 28)
    assert years_before(date(2021, 11, 20), 50) == date(1971, 11, 20)


def test_a_term_name_and_election_date_are_each_used_once(app_ctx, term):
    from app.core.services import ServiceError

    with pytest.raises(ServiceError):
        services.add_term("2021届", date(2022, 1, 1))
    with pytest.raises(ServiceError):
        services.add_term("2021届补", ELECTED)
