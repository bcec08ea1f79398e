"""The audit log reads like a sentence: names, actions and field labels in words, values readable,
times in Beijing time, never JSON or \\u escapes."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.audit import AuditLog, acting_user_id
from app.core.identity import mask_id_number
from app.extensions import db
from tests.factories import login, post


def _text(response) -> str:
    """The page as a person reads it: tags dropped, spaces collapsed."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" → ", "→").replace("： ", "：")


def _log(client, **filters) -> str:
    return _text(client.get("/admin/audit/", query_string=filters))


def _rename(client, world, name="张三"):
    login(client, "t_coord_a")
    worker = world.worker_a
    post(
        client,
        f"/workers/{worker.id}/edit",
        {"id_number": worker.id_number, "name": name, "phone": worker.phone or ""},
        token_from=f"/workers/{worker.id}/edit",
    )
    client.post("/logout", data={})
    client.delete_cookie("session")


def test_a_change_shows_the_record_by_name_and_only_the_field_that_changed(client, world):
    _rename(client, world)
    login(client, "t_admin")
    page = client.get("/admin/audit/", query_string={"entity": "worker", "action": "update"})
    text = _text(page)
    assert "姓名：张伟→张三" in text
    assert f"张三（{mask_id_number(world.worker_a.id_number)}）" in text
    assert "修改" in text and "社区工作者" in text
    assert "手机号" not in text  # unchanged fields are not listed
    html = page.get_data(as_text=True)
    assert "\\u" not in html and "{&#34;" not in html and '{"' not in html
    assert world.worker_a.id_number not in html  # full ID numbers never shown here
    assert f'href="/workers/{world.worker_a.id}"' in html


def test_old_entries_with_escaped_json_and_a_repr_summary_read_in_words(client, world):
    # What the log held before it was readable: a repr as summary and the values as stored.
    db.session.add(
        AuditLog(
            action="update",
            entity_type="user",
            entity_id=world.coord_a.id,
            summary="<User t_coord_a coordinator>",
            before={"display_name": "渝北专干", "role": "worker", "active": False},
            after={"display_name": "渝中专干", "role": "coordinator", "active": True},
            at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        )
    )
    db.session.commit()
    login(client, "t_admin")
    page = client.get("/admin/audit/", query_string={"entity": "user", "action": "update"})
    text = _text(page)
    assert "显示名称：渝北专干→渝中专干" in text
    assert "角色：社区工作者→培训专干" in text
    assert "启用：否→是" in text
    assert "<User" not in page.get_data(as_text=True) and "&lt;User" not in page.get_data(as_text=True)
    assert f'href="/admin/users/{world.coord_a.id}"' in page.get_data(as_text=True)


def test_times_are_shown_in_beijing_time(client, world, clock):
    clock.move_to(datetime(2026, 3, 5, 23, 30, 15, tzinfo=UTC))  # 07:30 the next morning in Beijing
    _rename(client, world, "王五")
    login(client, "t_admin")
    text = _log(client, entity="worker", action="update")
    assert "2026-03-06 07:30:15" in text and "2026-03-05 23:30" not in text
    assert "时间（北京时间）" in text


def test_a_pass_mark_is_named_by_its_year_and_subject(client, world):
    acting_user_id.set(world.admin.id)
    from app.exams import services as exams

    year = world.exam_year
    exams.save_exam_year(year.year, year.results_date, year.exam_date, pass_marks={"A1": Decimal("55")}, exam_year=year)
    db.session.commit()
    acting_user_id.set(None)
    login(client, "t_admin")
    text = _log(client, entity="pass_mark", action="update")
    assert "2024 年 A1 合格线" in text
    assert "合格线：60.0→55" in text


def test_a_deleted_record_keeps_its_name_and_has_no_link(client, world):
    login(client, "t_coord_a")
    worker = world.worker_a
    post(
        client,
        f"/workers/{worker.id}/periods/new",
        {
            "community_id": str(world.community_a.id),
            "post_type": "head",
            "start_date": "2010-01-01",
            "end_date": "2011-01-01",
        },
    )
    older = db.session.scalar(
        sa.select(sa.text("id")).select_from(sa.table("post_period")).where(sa.text("start_date = '2010-01-01'"))
    )
    post(client, f"/workers/{worker.id}/periods/{older}/delete")
    client.delete_cookie("session")
    login(client, "t_admin")
    page = client.get("/admin/audit/", query_string={"entity": "post_period", "action": "delete"})
    text = _text(page)
    assert "张伟" in text and "2010-01-01 起的任职" in text
    assert "岗位：书记/主任" in text  # the enum in words
    assert "删除" in text


def test_a_run_links_to_its_page(client, world):
    login(client, "t_admin")
    html = client.get("/admin/audit/", query_string={"entity": "allowance_run"}).get_data(as_text=True)
    assert "2026-10 职业津贴" in _text(client.get("/admin/audit/", query_string={"entity": "allowance_run"}))
    assert 'href="/allowance/runs/2026-10"' in html


def test_filters_who_kind_action_dates_and_free_text(client, world, today):
    _rename(client, world)
    login(client, "t_admin")
    client.get("/workers/export.csv")
    assert "导出" in _log(client, action="export")
    assert "姓名：张伟→张三" not in _log(client, action="export")
    assert "姓名：张伟→张三" in _log(client, user="t_coord_a")
    assert "姓名：张伟→张三" not in _log(client, user="t_payroll_a")
    assert "姓名：张伟→张三" in _log(client, q="张三")  # the worker's current name
    assert "姓名：张伟→张三" not in _log(client, q="李娜")
    assert "幸福社区" in _log(client, q="幸福社区")  # a value stored in the entry (escaped JSON)
    assert "姓名：张伟→张三" in _log(client, **{"from": today.isoformat(), "to": today.isoformat()})
    assert "姓名：张伟→张三" not in _log(client, to=date(2000, 1, 1).isoformat())
    kinds = client.get("/admin/audit/").get_data(as_text=True)
    assert '<option value="worker" >社区工作者</option>' in kinds or ">社区工作者</option>" in kinds
    assert (
        client.get("/admin/audit/", query_string={"from": "garbage", "to": "2026-13-45", "page": "x"}).status_code
        == 200
    )


def test_pages_of_fifty(client, world):
    db.session.add_all(
        AuditLog(action="login", entity_type="user", entity_id=world.admin.id, summary="sign-in t_admin")
        for _ in range(60)
    )
    db.session.commit()
    login(client, "t_admin")
    first = client.get("/admin/audit/", query_string={"action": "login"}).get_data(as_text=True)
    assert first.count("<tr>") - 1 == 50 and "page=2" in first
    second = client.get("/admin/audit/", query_string={"action": "login", "page": 2}).get_data(as_text=True)
    assert second.count("<tr>") - 1 >= 11


@pytest.mark.parametrize("username", ["t_coord_city", "t_payroll_city", "t_worker_a"])
def test_only_admins_read_the_log(client, world, username):
    login(client, username)
    assert client.get("/admin/audit/").status_code == 403


def test_nobody_signed_out_reads_the_log(client, world):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_audited_model_is_described_once_with_every_field_labelled(app):
    from app.audit.describe import SUBJECTS
    from app.core.models import Audited

    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, Audited):
            continue
        subject = SUBJECTS.get(cls.__tablename__)
        assert subject is not None, f"{cls.__name__}: describe it in its domain's audit_text.py"
        hidden = {"id", "created_at", "updated_at", *cls.__audit_exclude__}
        unlabelled = [c.key for c in mapper.column_attrs if c.key not in hidden and c.key not in subject.fields]
        assert not unlabelled, f"{cls.__name__}: label {unlabelled} in its domain's audit_text.py"
