"""Alerts, observables and attachments as SOC scripts drive them with thehive4py 2.1.0:
create with observables (and a file by attachment map) -> update -> promote; merge; bulk
merge; duplicate refusal; multi-value observables; file download, plain and zipped."""

import json
import os
import tempfile

import pytest
from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

from conftest import unique


@pytest.fixture(scope="module")
def analyst(server):
    admin = TheHiveApi(url=server.url, username="admin@thehive.local", password="secret", organisation="admin")
    org = unique("soc")
    admin.organisation.create(organisation={"name": org, "description": "SOC"})
    login = unique("ana") + "@example.org"
    admin.user.create(user={"login": login, "name": "Ana", "profile": "analyst", "organisation": org})
    return TheHiveApi(url=server.url, apikey=admin.user.renew_apikey(login))


def new_alert(ref, **extra):
    alert = {"type": "siem", "source": "splunk", "sourceRef": ref, "title": f"Alert {ref}", "description": "50 failures",
             "observables": [{"dataType": "ip", "data": "198.51.100.7", "ioc": True},
                             {"dataType": "domain", "data": ["a.example", "b.example"]}]}
    alert.update(extra)
    return alert


def test_create_update_promote(analyst, tmp_path):
    sample = tmp_path / "sample.bin"
    sample.write_bytes(b"MZ fake malware")
    alert = new_alert(unique("evt"))
    alert["observables"].append({"dataType": "file", "attachment": "sample"})
    created = analyst.alert.create(alert=alert, attachment_map={"sample": str(sample)})
    assert created["observableCount"] == 4
    assert created["status"] == "New" and created["stage"] == "New"
    assert analyst.alert.get(created["_id"]) == created

    analyst.alert.update(created["_id"], fields={"title": "Confirmed", "addTags": ["vpn"], "status": "InProgress"})
    got = analyst.alert.get(created["_id"])
    assert got["title"] == "Confirmed" and got["tags"] == ["vpn"] and got["stage"] == "InProgress"
    analyst.alert.follow(created["_id"])

    added = analyst.alert.create_observable(created["_id"], observable={"dataType": "url", "data": ["http://x.example/1", "http://x.example/2"]})
    assert len(added) == 2

    case = analyst.alert.promote_to_case(created["_id"])
    assert case["title"] == "Confirmed"
    assert analyst.alert.get(created["_id"])["caseId"] == case["_id"]

    # The file observable downloads as is and as a zip protected with "malware".
    files = [o for o in analyst.alert.get_similar_observables(created["_id"], case["_id"]) if o["dataType"] == "file"]
    assert len(files) == 1
    obs = files[0]
    plain = tmp_path / "plain.bin"
    analyst.observable.download_attachment(obs["_id"], obs["attachment"]["id"], str(plain))
    assert plain.read_bytes() == b"MZ fake malware"
    zipped = tmp_path / "sample.zip"
    analyst.observable.download_attachment(obs["_id"], obs["attachment"]["id"], str(zipped), as_zip=True)
    import zipfile
    with zipfile.ZipFile(zipped) as z:
        assert z.read("sample.bin", pwd=b"malware") == b"MZ fake malware"


def test_merge_and_bulk_merge(analyst):
    case = analyst.case.create(case={"title": "Campaign", "description": "many alerts"})
    a1 = analyst.alert.create(alert=new_alert(unique("m")))
    merged = analyst.alert.merge_into_case(a1["_id"], case["_id"])
    assert "#### Merged with alert #" in merged["description"]
    a2 = analyst.alert.create(alert=new_alert(unique("m")))
    a3 = analyst.alert.create(alert=new_alert(unique("m")))
    merged = analyst.alert.bulk_merge_into_case(case["_id"], [a2["_id"], a3["_id"]])
    assert merged["description"].count("#### Merged with alert #") == 3
    for a in (a1, a2, a3):
        assert analyst.alert.get(a["_id"])["status"] == "Imported"
    # The same observables came three times; the case holds each once.
    assert len(analyst.alert.get_similar_observables(a3["_id"], case["_id"])) == 3


def test_duplicate_alert_refused(analyst):
    ref = unique("dup")
    analyst.alert.create(alert=new_alert(ref))
    with pytest.raises(TheHiveError) as err:
        analyst.alert.create(alert=new_alert(ref))
    assert "CreateError" in str(err.value)


def test_case_observables_multi_value(analyst):
    case = analyst.case.create(case={"title": "Observables", "description": "d"})
    created = analyst.case.create_observable(case["_id"], observable={"dataType": "ip", "data": ["192.0.2.1", "192.0.2.2"]})
    assert sorted(o["data"] for o in created) == ["192.0.2.1", "192.0.2.2"]
    obs = analyst.observable.get(created[0]["_id"])
    assert obs["dataType"] == "ip"
    analyst.observable.update(obs["_id"], fields={"ioc": True})
    assert analyst.observable.get(obs["_id"])["ioc"] is True
    analyst.observable.delete(obs["_id"])
    with pytest.raises(TheHiveError):
        analyst.observable.get(obs["_id"])
