"""Error pages never depend on the database: when it is locked or gone, a person still gets a
page in their language, never a bare English "Internal Server Error"."""

import pytest

from tests.factories import csrf_token

pytestmark = pytest.mark.no_db_transaction


@pytest.fixture
def unreachable(tmp_path):
    from app import create_app

    # A database file in a folder that does not exist: every connection fails.
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/socialwork.sqlite", PROPAGATE_EXCEPTIONS=False
    )
    return app


def _sign_in(app, locale=None):
    """A person signs in: checking the password needs the database."""
    client = app.test_client()
    if locale:
        with client.session_transaction() as session:
            session["locale"] = locale
    token = csrf_token(client, "/login")
    return client.post("/login", data={"login": "admin", "password": "Passw0rd!", "csrf_token": token})


def test_the_500_page_is_drawn_in_chinese_when_the_database_is_unreachable(unreachable):
    response = _sign_in(unreachable)
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出了点问题，请稍后再试。" in html
    assert 'lang="zh-CN"' in html and "返回首页" in html
    assert "Internal Server Error" not in html


def test_the_500_page_speaks_the_language_the_session_chose(unreachable):
    html = _sign_in(unreachable, locale="en").get_data(as_text=True)
    assert "Something went wrong on our side. Please try again in a moment." in html
