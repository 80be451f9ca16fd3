"""The MISP connector as thehive4py 2.1.0 calls it (upstream tests/test_misp_endpoint.py):
status, sync, export to an unknown server, import of something that is not an event."""

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


def test_get_status(analyst):
    status = analyst.misp.get_status()
    assert status["status"] == {}
    assert status["syncInProgress"] is False


def test_sync(admin):
    assert admin.misp.sync() == ""


def test_export_case(analyst):
    case = analyst.case.create(case={"title": "Phishing", "description": "d"})
    misp_name = "non-existent-misp"
    with pytest.raises(TheHiveError, match=f"NotFoundError - MISP server {misp_name} not found"):
        analyst.misp.export_case(case_id=case["_id"], misp_name=misp_name)


def test_import_case(analyst, tmp_path):
    path = tmp_path / "dummy-misp-event.json"
    path.write_text("{}")
    with pytest.raises(TheHiveError, match="BadRequest - Could not convert json to MISP event"):
        analyst.misp.import_case(import_case={}, import_path=str(path))


def test_import_case_from_event(analyst, tmp_path):
    path = tmp_path / "event.json"
    path.write_text('{"Event": {"info": "Scripted import", "threat_level_id": "2", "date": "2024-03-11",'
                    ' "Tag": [{"name": "tlp:green"}], "Orgc": {"name": "CIRCL"},'
                    ' "Attribute": [{"id": "1", "category": "Network activity", "type": "ip-dst",'
                    ' "value": "198.51.100.7", "to_ids": true}]}}')
    case = analyst.misp.import_case(import_case={}, import_path=str(path))
    assert case["title"] == "Scripted import"
    assert case["tlp"] == 1
