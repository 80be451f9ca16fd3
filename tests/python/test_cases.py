"""Case management as users script it with thehive4py 2.1.0: cases, tasks, task logs,
comments, pages, case templates and custom fields (calls that do not go through /query)."""

import pytest
from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

from conftest import unique


@pytest.fixture
def analyst(server, admin):
    org = unique("soc")
    admin.organisation.create(organisation={"name": org, "description": "SOC"})
    login = unique("ana") + "@example.org"
    admin.user.create(user={"login": login, "name": "Ana", "profile": "org-admin", "organisation": org})
    admin.user.set_password(login, "pw")
    return TheHiveApi(url=server.url, username=login, password="pw", organisation=org)


def test_case_lifecycle(analyst):
    case = analyst.case.create(case={"title": "Phishing", "description": "Reported", "severity": 3, "tags": ["phish"]})
    assert case["number"] >= 1
    assert case["severityLabel"] == "HIGH"
    assert case["status"] == "New" and case["stage"] == "New"
    assert analyst.case.get(case["_id"]) == case
    assert analyst.case.get(str(case["number"]))["_id"] == case["_id"]

    analyst.case.update(case["_id"], fields={"title": "Phishing wave", "addTags": ["wave"]})
    got = analyst.case.get(case["_id"])
    assert got["title"] == "Phishing wave"
    assert sorted(got["tags"]) == ["phish", "wave"]

    other = analyst.case.create(case={"title": "Other", "description": "d"})
    analyst.case.bulk_update(fields={"ids": [case["_id"], other["_id"]], "flag": True})
    assert analyst.case.get(other["_id"])["flag"] is True

    analyst.case.close(case["_id"], status="FalsePositive", summary="not malicious")
    closed = analyst.case.get(case["_id"])
    assert closed["stage"] == "Closed" and closed["impactStatus"] == "NotApplicable"
    analyst.case.open(case["_id"])
    assert analyst.case.get(case["_id"])["stage"] == "InProgress"

    events = analyst.case.get_timeline(case["_id"])["events"]
    assert events and all({"date", "kind", "entity", "entityId", "details"} <= set(e) for e in events)

    with pytest.raises(TheHiveError) as err:
        analyst.case.create(case={"title": "bad", "description": "d", "severity": 5})
    assert "AttributeCheckingError" in str(err.value)

    analyst.case.delete(case["_id"])
    with pytest.raises(TheHiveError) as err:
        analyst.case.get(case["_id"])
    assert "NotFoundError" in str(err.value)


def test_tasks_and_logs(analyst, tmp_path):
    case = analyst.case.create(case={"title": "t", "description": "d"})
    org = analyst.user.get_current()["organisation"]
    task = analyst.case.create_task(case["_id"], task={"title": "Collect", "group": "triage"})
    assert analyst.task.get(task["_id"]) == task
    analyst.task.update(task["_id"], fields={"status": "InProgress"})
    started = analyst.task.get(task["_id"])
    assert started["status"] == "InProgress" and "startDate" in started
    second = analyst.task.create(case["_id"], task={"title": "Second"})
    analyst.task.bulk_update(fields={"ids": [task["_id"], second["_id"]], "flag": True})
    assert analyst.task.get(second["_id"])["flag"] is True

    analyst.task.set_as_required(task["_id"], org)
    assert analyst.task.get_required_actions(task["_id"]) == {org: True}
    analyst.task.set_as_done(task["_id"], org)
    assert analyst.task.get_required_actions(task["_id"]) == {org: False}

    log = analyst.task.create_log(task["_id"], task_log={"message": "found it"})
    assert log["message"] == "found it" and log["_type"] == "Log"
    analyst.task_log.update(log["_id"], fields={"message": "edited"})
    evidence = tmp_path / "evidence.txt"
    evidence.write_bytes(b"evidence")
    with_file = analyst.task_log.create(task["_id"], task_log={"message": "file", "attachments": [str(evidence)]})
    assert with_file["attachments"][0]["name"] == "evidence.txt"
    assert with_file["attachments"][0]["size"] == 8
    analyst.task_log.add_attachment(with_file["_id"], attachment_paths=[str(evidence)])
    analyst.task_log.delete_attachment(with_file["_id"], with_file["attachments"][0]["id"])
    analyst.task_log.delete(log["_id"])

    analyst.task.delete(second["_id"])
    with pytest.raises(TheHiveError):
        analyst.task.get(second["_id"])


def test_comments_and_pages(analyst):
    case = analyst.case.create(case={"title": "t", "description": "d"})
    comment = analyst.comment.create_in_case(case["_id"], comment={"message": "hello"})
    assert comment["createdBy"] and comment["isEdited"] is False
    analyst.comment.update(comment["_id"], fields={"message": "edited"})
    analyst.comment.delete(comment["_id"])

    page = analyst.case.create_page(case["_id"], page={"title": "Notes", "content": "# x", "category": "c"})
    assert page["title"] == "Notes" and page["order"] == 0
    analyst.case.update_page(case["_id"], page["_id"], page={"content": "# y"})
    analyst.case.delete_page(case["_id"], page["_id"])


def test_templates_and_custom_fields(admin, analyst):
    name = unique("bu")
    field = admin.custom_field.create(
        custom_field={"name": name, "group": "org", "description": "BU", "type": "string", "options": ["A", "B"]}
    )
    assert field["name"] == name
    admin.custom_field.update(field["_id"], fields={"description": "Business unit"})
    assert any(f["name"] == name for f in analyst.custom_field.list())

    tpl_name = unique("tpl")
    tpl = analyst.case_template.create(
        case_template={"name": tpl_name, "titlePrefix": "[T]", "severity": 4, "tags": ["tpl"],
                       "tasks": [{"title": "From template"}], "customFields": [{"name": name, "value": "A"}]}
    )
    assert analyst.case_template.get(tpl["_id"]) == tpl
    analyst.case_template.update(tpl["_id"], fields={"description": "From template"})

    case = analyst.case.create(case={"title": "Case", "caseTemplate": tpl_name})
    assert case["title"] == "[T] Case"
    assert case["severity"] == 4 and case["description"] == "From template"
    assert case["customFields"][0]["value"] == "A"
    analyst.case.delete_custom_field(case["customFields"][0]["_id"])
    assert analyst.case.get(case["_id"])["customFields"] == []

    with pytest.raises(TheHiveError):
        analyst.case.create(case={"title": "x", "description": "d", "customFields": {name: "C"}})

    analyst.case_template.delete(tpl["_id"])
    admin.custom_field.delete(field["_id"], force=True)
