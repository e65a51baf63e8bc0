"""The web queue's table rows, pinned to the byte (they are written by review_views._queue_rows_html,
not by the template: issue 17): local submission time, escaped name, resubmission and overdue marks,
labels, district name, masked ID number, the claimer's name — and only the reviewer's district."""

import datetime as dt
import re

import pytest

from registry.applications.models import Application
from tests.applications.conftest import VALID_FORM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _tbody(client) -> str:
    html = client.get("/staff/queue/").content.decode()
    return re.search(r"<tbody>(.*)</tbody>", html, re.S).group(1)


def _application(**fields) -> Application:
    defaults = {
        "applicant": UserFactory(password=None),
        "type": "first_collection",
        "status": "submitted",
        "district_id": "110105",
        "form": VALID_FORM,
        "round": 1,
        "first_submitted_at": dt.datetime(2020, 3, 1, tzinfo=dt.UTC),
        "applicant_name": "李明",
        "id_number": "110105199003070033",
    }
    return Application.objects.create(**{**defaults, **fields})


def test_queue_rows_are_exactly_the_documented_markup(client, chaoyang_reviewer):
    claimer = UserFactory(reviewer=True, district_codes=["110105"], name="赵审核", password=None)
    late = _application(
        status="in_review",
        round=2,
        applicant_name="王<芳>&\"'",
        submitted_at=dt.datetime(2020, 3, 1, 16, 5, 30, tzinfo=dt.UTC),  # 00:05 the next day in Beijing
        due_on=dt.date(2020, 3, 20),
        claimed_by=claimer,
    )
    fresh = _application(
        type="change",
        submitted_at=dt.datetime(2020, 3, 2, 1, 0, tzinfo=dt.UTC),
        due_on=dt.date(2999, 1, 2),
        id_number="11010519900307002X",
    )
    _application(district_id="110108", submitted_at=dt.datetime(2020, 3, 1, 20, 0, tzinfo=dt.UTC))  # 海淀区
    client.force_login(chaoyang_reviewer)
    assert _tbody(client) == (
        "\n  \n"
        '    <tr class="overdue">\n'
        '      <td data-label="提交时间">2020-03-02 00:05</td>\n'
        f'      <td data-label="姓名"><a href="/staff/review/{late.pk}/">王&lt;芳&gt;&amp;&quot;&#x27;</a>'
        ' <span class="muted">第2次</span></td>\n'
        '      <td data-label="证件号码">110105********0033</td>\n'
        '      <td data-label="业务">首次采集</td>\n'
        '      <td data-label="区">朝阳区</td>\n'
        '      <td data-label="状态"><span class="status status-in_review">审核中</span></td>\n'
        '      <td data-label="期限">03-20 <strong class="overdue-flag">超期</strong></td>\n'
        '      <td data-label="受理人">赵审核</td>\n'
        "    </tr>\n  \n"
        '    <tr class="">\n'
        '      <td data-label="提交时间">2020-03-02 09:00</td>\n'
        f'      <td data-label="姓名"><a href="/staff/review/{fresh.pk}/">李明</a></td>\n'
        '      <td data-label="证件号码">110105********002X</td>\n'
        '      <td data-label="业务">信息变更</td>\n'
        '      <td data-label="区">朝阳区</td>\n'
        '      <td data-label="状态"><span class="status status-submitted">待审核</span></td>\n'
        '      <td data-label="期限">01-02</td>\n'
        '      <td data-label="受理人">—</td>\n'
        "    </tr>\n  \n  "
    )


def test_an_empty_queue_says_so(client, chaoyang_reviewer):
    _application(district_id="110108", submitted_at=dt.datetime(2020, 3, 1, tzinfo=dt.UTC))
    client.force_login(chaoyang_reviewer)
    assert _tbody(client) == ('\n  \n    <tr><td colspan="8" class="empty-row">没有符合条件的申请。</td></tr>\n  \n  ')


def test_queue_counts_and_filters_are_exactly_the_documented_markup(client, chaoyang_reviewer):
    """The counts line and the filters' <option>s are written by review_views (issue 17), as the
    template wrote them: the chosen filter selected, drafts not offered, only the reviewer's districts."""
    _application(submitted_at=dt.datetime(2020, 3, 2, 1, 0, tzinfo=dt.UTC))
    _application(status="in_review", submitted_at=dt.datetime(2020, 3, 2, 2, 0, tzinfo=dt.UTC))
    _application(district_id="110108", submitted_at=dt.datetime(2020, 3, 1, 20, 0, tzinfo=dt.UTC))  # 海淀区
    client.force_login(chaoyang_reviewer)
    html = client.get("/staff/queue/?q=李明").content.decode()  # a search counts what it found
    counts = re.search(r'<p class="counts">(.*?)</p>', html, re.S).group(1)
    assert counts == (
        '\n  <span class="status status-submitted">待审核 1</span> '
        '<span class="status status-in_review">审核中 1</span> \n'
    )
    html = client.get("/staff/queue/?status=in_review&type=change&district=110105").content.decode()
    selects = re.findall(r"<select name=\"(\w+)\">(.*?)</select>", html, re.S)
    assert selects == [
        (
            "status",
            '\n    <option value="">待审核 + 审核中</option>\n    '
            '<option value="submitted" >待审核</option><option value="in_review" selected>审核中</option>'
            '<option value="approved" >审核通过</option><option value="rejected" >审核不通过</option>'
            '<option value="withdrawn" >已撤回</option>\n  ',
        ),
        (
            "type",
            '<option value="">全部</option>\n    '
            '<option value="first_collection" >首次采集</option><option value="change" selected>信息变更</option>'
            '<option value="transfer_in" >调入</option><option value="transfer_out" >调出</option>\n  ',
        ),
        ("district", '<option value="">全部</option>\n    <option value="110105" selected>朝阳区</option>\n  '),
    ]
