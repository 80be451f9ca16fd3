"""Signing in and out, and the administration screens, as a person uses them."""

import uuid

from selenium.webdriver.common.keys import Keys

from conftest import ADMIN, ADMIN_PASSWORD


def test_sign_in_wrong_password_then_right_then_out(browser):
    b = browser
    b.go("/")
    b.wait("#login-user")
    assert b.path().startswith("/login?next=%2F")
    b.shot("login")
    b.fill("#login-user", ADMIN)
    b.fill("#login-password", "not the password")
    b.submit("#login-submit")
    b.wait_text(".flash-error", "Wrong login or password.")
    b.shot("login-refused", refused=True)
    b.fill("#login-password", ADMIN_PASSWORD)
    b.submit("#login-submit")
    b.wait_text("h1", "Welcome")
    assert b.path() == "/"
    b.shot("home")
    b.sign_out()
    b.go("/admin")
    b.wait("#login-user")
    assert b.path().startswith("/login?next=%2Fadmin")


def test_sign_in_with_the_keyboard_only(browser):
    b = browser
    b.go("/login")
    user = b.wait("#login-user")
    # The login field has the focus on arrival; Tab goes to the password, Enter submits.
    assert b.d.switch_to.active_element == user
    user.send_keys(ADMIN, Keys.TAB)
    before = b.generation()
    b.d.switch_to.active_element.send_keys(ADMIN_PASSWORD, Keys.ENTER)
    b.settled(before)
    b.wait_text("h1", "Welcome")
    # The first Tab on a page reaches the skip link, which moves focus to the content.
    b.find("body").send_keys(Keys.TAB)
    skip = b.d.switch_to.active_element
    assert skip.text == "Skip to content"
    skip.send_keys(Keys.ENTER)
    assert b.d.switch_to.active_element.get_attribute("id") == "main"
    b.shot("keyboard")


def test_admin_creates_organisation_and_user_who_signs_in(browser):
    b = browser
    org = "soc-" + uuid.uuid4().hex[:6]
    login = f"ana@{org}.test"
    # A name with markup: it must show as text everywhere (and never run).
    name = "Ana <script>alert(1)</script>"
    b.sign_in(ADMIN, ADMIN_PASSWORD)

    b.nav("Administration")
    b.wait_text("h1", "Administration")
    b.submit(".tabs a[href='/admin/organisations']")
    b.fill("#org-name", org)
    b.fill("#org-description", "Security operations")
    b.submit("#create-organisation button[type=submit]")
    b.wait_text("h1", org)
    b.wait_text(".flash-ok", "Created.")
    b.shot("organisation-created")

    # A duplicate is refused next to the form, with what was typed kept.
    b.nav("Organisations")
    b.fill("#org-name", org)
    b.submit("#create-organisation button[type=submit]")
    b.wait_text(".flash-error", "already exists")
    assert b.find("#org-name").get_attribute("value") == org
    b.shot("organisation-duplicate", refused=True)

    b.submit(".tabs a[href='/admin/users']")
    b.select("#users-org", org, swaps=True)
    b.wait_text("h1", f"Users of {org}")
    b.fill("#user-login", login)
    b.fill("#user-name", name)
    b.select("#user-profile", "analyst")
    b.fill("#user-password", "correct horse battery")
    b.submit("#create-user button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    assert b.find("h1").text.startswith(name)
    b.shot("user-created")

    # Reset the password from the user page, then create an API key and read it back.
    b.fill("#user-new-password", "staple battery horse")
    b.submit("#set-password button[type=submit]")
    b.wait_text(".flash-ok", "password is changed")
    b.submit("#renew-key")
    key = b.wait_visible("#api-key-value").text
    assert len(key) == 32
    b.submit("#reveal-key")
    b.wait_text("#api-key-value", key)
    b.shot("user-api-key")

    b.sign_out()
    b.sign_in(login, "staple battery horse")
    b.wait_text("h1", f"Welcome, {name}")
    assert b.find(".org-badge").text == org
    assert not b.finds("a[href='/admin']"), "an analyst sees no administration menu"
    b.shot("analyst-home")


def test_profile_password_and_api_key(browser):
    b = browser
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.click(".user-menu summary")
    b.nav("My profile")
    b.wait_text("h1", "My profile")

    b.fill("#pw-current", "wrong")
    b.fill("#pw-new", "a new secret")
    b.fill("#pw-confirm", "a new secret")
    b.submit("form[action='/profile/password'] button[type=submit]")
    b.wait_text(".flash-error", "wrong current password")
    b.shot("profile-wrong-password", refused=True)

    b.submit("#renew-key")
    key = b.wait_visible("#api-key-value").text
    assert len(key) == 32
    b.submit("#reveal-key")
    b.wait_text("#api-key-value", key)
    b.submit_confirmed("#renew-key")
    assert b.wait_visible("#api-key-value").text != key
    b.shot("profile-key")

    b.fill("#profile-name", "Platform Admin")
    b.submit("form[action='/profile'] button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert b.find("#profile-name").get_attribute("value") == "Platform Admin"


def test_profiles_and_observable_types(browser):
    b = browser
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.go("/admin/profiles")
    b.fill("#profile-name", "triage")
    for perm in ["manageAlert", "manageCase"]:
        b.click(f"#create-profile input[value='{perm}']")
    b.submit("#create-profile button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    assert b.find("input[value='manageAlert']").is_selected()
    assert not b.find("input[value='manageTask']").is_selected()
    b.click("#edit-profile input[value='manageTask']")
    b.submit("#edit-profile button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert b.find("input[value='manageTask']").is_selected()
    b.shot("profile-edited")
    b.submit_confirmed("#delete-profile")
    b.wait_text(".flash-ok", "Deleted.")
    assert "triage" not in b.find("#profiles").text

    b.submit(".tabs a[href='/admin/observable-types']")
    b.fill("#type-name", "bitcoin-wallet")
    b.submit("#create-observable-type button[type=submit]")
    b.wait_text("#observable-types", "bitcoin-wallet")
    b.shot("observable-types")


def test_multi_organisation_user_switches(browser):
    b = browser
    orgs = ["red-" + uuid.uuid4().hex[:4], "blue-" + uuid.uuid4().hex[:4]]
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    for org in orgs:
        b.go("/admin/organisations")
        b.fill("#org-name", org)
        b.submit("#create-organisation button[type=submit]")
        b.wait_text(".flash-ok", "Created.")
    b.go(f"/admin/users?organisation={orgs[0]}")
    b.fill("#user-login", "multi@example.org")
    b.fill("#user-name", "Multi")
    b.fill("#user-password", "pw-multi-user")
    b.submit("#create-user button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.select("#member-org", orgs[1])
    b.select("#member-profile", "read-only")
    b.submit("#add-membership button[type=submit]")
    b.wait_text(".flash-ok", "Membership added.")
    b.wait_text("#memberships", orgs[1])
    b.shot("memberships")
    b.sign_out()

    b.sign_in("multi@example.org", "pw-multi-user")
    current = b.find("#org-switch-select option:checked").text
    other = orgs[1] if current == orgs[0] else orgs[0]
    b.select("#org-switch-select", other, swaps=True)
    b.wait_text(".flash-ok", "Organisation switched.")
    assert b.find("#org-switch-select option:checked").text == other
    assert other in b.find("main").text
    b.shot("switched")
    # The choice is kept by the session: a fresh page load still shows it.
    b.go("/profile")
    b.wait_text("#main", "My profile")
    assert b.find("#org-switch-select option:checked").text == other


def test_error_pages_show_the_request_id(browser):
    b = browser
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.go("/admin/users/~999999")
    b.wait_text("h1", "Not found")
    assert len(b.find(".request-id").text) >= 8
    b.shot("not-found", refused=True)
