from tests.factories import login


def test_a_coordinator_sees_upcoming_training_and_the_review_queue(client, world):
    login(client, "t_coord_a")
    page = client.get("/").get_data(as_text=True)
    upcoming = page[page.index('id="upcoming-sessions"') :]
    assert world.course.title in upcoming.split("</ul>")[0]
    assert 'id="stat-queue">1<' in page  # the world's one queued row


def test_a_payroll_officer_sees_the_latest_runs(client, world):
    login(client, "t_payroll_city")
    page = client.get("/").get_data(as_text=True)
    assert "2026-10" in page[page.index('id="recent-runs"') :]
    assert 'id="upcoming-sessions"' not in page


def test_a_worker_goes_straight_to_their_record(client, world):
    login(client, "t_worker_a")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/workers/me")
