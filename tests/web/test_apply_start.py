"""/apply/ tells a collected person what fits their record's state: "请…办理信息变更" only to whom a
change is open; a person whose record is 调出中 is told why not and what to do, beside a person of
another district whose record is 正常."""

import pytest
from django.test import Client

from registry.records.models import Record
from tests.factories import TransferCodeFactory, collected_person

pytestmark = pytest.mark.django_db

CHANGE_ADVICE = "信息发生变化的，请在变化之日起 3 个月内办理信息变更"


def _note(user) -> str:
    client = Client()
    client.force_login(user)
    page = client.get("/apply/").content.decode()
    return page.split('data-testid="record-note">', 1)[1].split("</p>", 1)[0]


def test_a_record_transferring_out_is_not_told_to_file_a_change():
    leaving = TransferCodeFactory().person  # 朝阳区, 调出中
    staying = collected_person("110108")  # 海淀区, 正常
    assert Record.objects.get(user=leaving).status == "transferring_out"

    note = _note(leaving)
    assert CHANGE_ADVICE not in note and "办理信息变更。" not in note
    assert "调出中" in note and "调出期间不能办理信息变更" in note and "调转编号" in note
    assert "撤销调转编号" in note

    assert CHANGE_ADVICE in _note(staying)


@pytest.mark.parametrize(("status", "told"), [("frozen", "完成核查确认"), ("transferred_out", "不能办理信息变更")])
def test_other_states_where_no_change_can_be_started_say_why(status, told):
    person = collected_person("110105")
    beside = collected_person("110108")
    Record.objects.filter(user=person).update(status=status)
    note = _note(person)
    assert CHANGE_ADVICE not in note and told in note
    assert CHANGE_ADVICE in _note(beside)
