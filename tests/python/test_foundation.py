"""The foundation, as users script it with thehive4py 2.1.0."""

import pytest
from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError

from conftest import ADMIN, ADMIN_PASSWORD, unique


def test_get_current_user(server):
    client = TheHiveApi(url=server.url, username=ADMIN, password=ADMIN_PASSWORD)
    me = client.user.get_current()
    assert me["login"] == ADMIN
    assert me["organisation"] == "admin"
    assert me["profile"] == "admin"
    assert "manageOrganisation" in me["permissions"]


def test_wrong_password_raises_authentication_error(server):
    client = TheHiveApi(url=server.url, username=ADMIN, password="wrong")
    with pytest.raises(TheHiveError) as err:
        client.user.get_current()
    assert "AuthenticationError" in str(err.value)


def test_organisation_user_apikey_flow(server, admin):
    org_name = unique("soc")
    org = admin.organisation.create(organisation={"name": org_name, "description": "SOC team"})
    assert org["name"] == org_name
    assert org["_id"].startswith("~")
    assert admin.organisation.get(org_name)["description"] == "SOC team"
    admin.organisation.update(org_name, fields={"description": "Security operations"})
    assert admin.organisation.get(org["_id"])["description"] == "Security operations"

    login = unique("analyst") + "@example.org"
    user = admin.user.create(user={"login": login, "name": "Ana Lyst", "profile": "analyst", "organisation": org_name})
    assert user["login"] == login
    assert user["profile"] == "analyst"
    assert user["hasKey"] is False

    key = admin.user.renew_apikey(login)
    assert isinstance(key, str) and len(key) == 32
    assert admin.user.get_apikey(login) == key
    as_user = TheHiveApi(url=server.url, apikey=key)
    me = as_user.user.get_current()
    assert me["login"] == login
    assert me["organisation"] == org_name
    assert "manageCase" in me["permissions"]

    admin.user.set_password(login, "s3cret!")
    by_password = TheHiveApi(url=server.url, username=login, password="s3cret!")
    assert by_password.user.get_current()["login"] == login

    admin.user.remove_apikey(login)
    with pytest.raises(TheHiveError):
        as_user.user.get_current()


def test_set_organisations_and_switch(server, admin):
    a, b = unique("red"), unique("blue")
    admin.organisation.create(organisation={"name": a, "description": "a"})
    admin.organisation.create(organisation={"name": b, "description": "b"})
    login = unique("multi") + "@example.org"
    admin.user.create(user={"login": login, "name": "Multi", "profile": "analyst", "organisation": a, "password": "pw"})
    result = admin.user.set_organisations(
        login,
        organisations=[
            {"organisation": a, "profile": "analyst"},
            {"organisation": b, "profile": "read-only", "default": True},
        ],
    )
    assert {o["organisation"] for o in result} == {a, b}
    client = TheHiveApi(url=server.url, username=login, password="pw")
    assert client.user.get_current()["organisation"] == b
    client.session_organisation = a
    me = client.user.get_current()
    assert (me["organisation"], me["profile"]) == (a, "analyst")


def test_profile_create_update_delete(server, admin):
    name = unique("triage")
    profile = admin.profile.create(profile={"name": name, "permissions": ["manageAlert", "manageCase"]})
    assert profile["name"] == name
    assert sorted(profile["permissions"]) == ["manageAlert", "manageCase"]
    admin.profile.update(name, fields={"permissions": ["manageAlert"]})
    assert admin.profile.get(name)["permissions"] == ["manageAlert"]
    admin.profile.delete(name)
    with pytest.raises(TheHiveError) as err:
        admin.profile.get(name)
    assert "NotFoundError" in str(err.value)


def test_user_update_lock_and_delete(server, admin):
    org = unique("org")
    admin.organisation.create(organisation={"name": org, "description": "x"})
    login = unique("temp") + "@example.org"
    admin.user.create(user={"login": login, "name": "Temp", "profile": "analyst", "organisation": org, "password": "pw"})
    admin.user.update(login, fields={"name": "Temporary"})
    assert admin.user.get(login)["name"] == "Temporary"
    admin.user.lock(login)
    assert admin.user.get(login)["locked"] is True
    with pytest.raises(TheHiveError):
        TheHiveApi(url=server.url, username=login, password="pw").user.get_current()
    admin.user.unlock(login)
    assert TheHiveApi(url=server.url, username=login, password="pw").user.get_current()["login"] == login
    admin.user.delete(login, organisation=org)
    with pytest.raises(TheHiveError):
        admin.user.get(login)
