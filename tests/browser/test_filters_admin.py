"""The advanced filter builder on the case list and the alert queue, and the
administration screens for case templates (with tasks) and custom fields."""

import uuid

import pytest

ANALYST = "fay@soc.test"
ANALYST_PASSWORD = "pw-fay-soc"
ORG_ADMIN = "oz@soc.test"
ORG_ADMIN_PASSWORD = "pw-oz-soc"
ADMIN = "admin@thehive.local"
ADMIN_PASSWORD = "secret"


@pytest.fixture
def soc(server):
    server.api("POST", "/api/v1/organisation", {"name": "soc", "description": "SOC"})
    server.api("POST", "/api/v1/user", {"login": ANALYST, "name": "Fay", "organisation": "soc",
                                         "profile": "analyst", "password": ANALYST_PASSWORD})
    server.api("POST", "/api/v1/user", {"login": ORG_ADMIN, "name": "Oz", "organisation": "soc",
                                         "profile": "org-admin", "password": ORG_ADMIN_PASSWORD})
    for title, sev, tags in [("Ransom note on FS-1", 4, ["ransomware"]), ("Port scan", 1, ["noise"]),
                             ("Mailbox rule", 2, ["bec"])]:
        server.api("POST", "/api/v1/case", {"title": title, "description": "-", "severity": sev, "tags": tags},
                   login=ANALYST, password=ANALYST_PASSWORD)
    tag = uuid.uuid4().hex[:6]
    for i, (source, sev) in enumerate([("edr", 3), ("edr", 1), ("ids", 3)]):
        server.api("POST", "/api/v1/alert", {"type": "t", "source": source, "sourceRef": f"{tag}-{i}",
                                              "title": f"{source} alert {i}", "description": "-", "severity": sev},
                   login=ANALYST, password=ANALYST_PASSWORD)


def set_row(b, n, field, op, value):
    """Fills condition `n` (1-based) of the builder."""
    b.select(f"#filter-builder .filter-row:nth-of-type({n}) .adv-field", field)
    b.select(f"#filter-builder .filter-row:nth-of-type({n}) .adv-op", op)
    b.fill(f"#filter-builder .filter-row:nth-of-type({n}) .adv-value", value)


def test_filter_builder_on_cases_and_alerts(browser, soc):
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    # My work: the open cases assigned to me are listed with my tasks.
    b.nav("My tasks")
    b.wait_text("#my-cases", "Ransom note on FS-1")
    assert len(b.finds("#my-cases tbody tr")) == 3
    b.nav("Cases")
    b.wait_text("#case-total", "3")
    b.click("#filter-builder summary")
    set_row(b, 1, "Severity (1-4)", "≥", "2")
    b.submit("#case-filters button[type=submit]")
    b.wait_text("#case-total", "2")
    # The rows stay in the URL and on screen, with one more empty row to add a condition.
    assert "af=severity" in b.d.current_url
    assert len(b.finds("#filter-builder .filter-row")) == 2
    set_row(b, 2, "Tag", "is not", "ransomware")
    b.submit("#case-filters button[type=submit]")
    b.wait_text("#case-total", "1")
    assert "Mailbox rule" in b.find("#cases").text
    b.shot("case-filter-builder")
    # A row that does not make sense is refused by number, the list shown without it.
    b.d.get(b.server.base + "/cases?af=severity&ao=contains&av=x")
    b.wait_text(".flash-error", "Filter row 1")
    b.wait_text("#case-total", "3")
    b.shot("case-filter-refused", refused=True)

    b.nav("Alerts")
    b.wait_text("#alert-total", "3")
    b.click("#filter-builder summary")
    set_row(b, 1, "Source", "is", "edr")
    b.submit("#alert-filters button[type=submit]")
    b.wait_text("#alert-total", "2")
    set_row(b, 2, "Severity (1-4)", ">", "2")
    b.submit("#alert-filters button[type=submit]")
    b.wait_text("#alert-total", "1")
    assert "edr alert 0" in b.find("#alerts").text
    b.shot("alert-filter-builder")


def test_org_admin_builds_a_case_template_with_tasks(browser, soc):
    b = browser
    b.sign_in(ORG_ADMIN, ORG_ADMIN_PASSWORD)
    b.go("/admin")
    b.nav("Case templates")
    b.wait_text("#case-templates", "No case templates yet.")
    b.fill("#ct-new-name", "phishing")
    b.fill("#ct-new-display", "Phishing")
    b.fill("#ct-new-prefix", "[PHISH]")
    b.select("#ct-new-severity", "HIGH")
    b.fill("#ct-new-tags", "phishing, mail")
    b.fill("#ct-new-tasks", "Triage: Collect the mail headers\nContainment: Block the sender\nNotify users")
    b.submit("#create-case-template button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#template-tasks", "Block the sender")
    assert len(b.finds("#template-tasks tbody tr")) == 3
    b.shot("case-template-created")
    # Edit: drop a task.
    b.fill("#ct-edit-tasks", "Triage: Collect the mail headers\nContainment: Block the sender")
    b.submit("#edit-case-template button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert len(b.finds("#template-tasks tbody tr")) == 2
    b.sign_out()

    # An analyst opens a case from the template: prefix, severity and tasks follow.
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go("/cases/new")
    b.select("#case-template", "phishing")
    b.fill("#case-title", "CEO fraud attempt")
    b.submit("#create-case button[type=submit]")
    b.wait_text("#case-title", "CEO fraud attempt")
    b.wait_text("#tasks", "Block the sender")
    assert "Collect the mail headers" in b.find("#tasks").text
    assert "HIGH" in b.find(".badges").text
    b.shot("case-from-template")


def test_admin_manages_custom_fields(browser, soc):
    b = browser
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.go("/admin")
    b.nav("Custom fields")
    b.fill("#cf-name", "businessUnit")
    b.fill("#cf-display", "Business unit")
    b.select("#cf-type", "string")
    b.fill("#cf-options", "Finance, HR, IT")
    b.submit("#create-custom-field button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#custom-fields", "Business unit")
    # Options of an integer field must be numbers: refused next to the form.
    b.fill("#cf-name", "priority")
    b.select("#cf-type", "integer")
    b.fill("#cf-options", "1, two")
    b.submit("#create-custom-field button[type=submit]")
    b.wait(".flash-error")
    b.shot("custom-field-refused", refused=True)
    assert "priority" not in b.find("#custom-fields").text
    fields = b.server.api("GET", "/api/v1/customField")
    assert [f["name"] for f in fields] == ["businessUnit"]
    assert fields[0]["options"] == ["Finance", "HR", "IT"]
    # Delete it.
    b.click("#custom-fields details.adder summary")
    b.submit_confirmed("#custom-fields form button.btn-danger")
    b.wait_text("#custom-fields", "No custom fields yet.")
    b.shot("custom-field-deleted")


def test_admin_links_and_unlinks_organisations(browser, soc, server):
    server.api("POST", "/api/v1/organisation", {"name": "partner", "description": "Partner CERT"})
    b = browser
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.go("/admin/organisations")
    b.nav("soc")
    b.click("#org-links-link")
    b.wait_text("#org-links", "Not linked to any organisation.")
    b.select("#link-org", "partner")
    b.submit("#add-link button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#org-links", "partner")
    b.shot("organisations-linked")
    links = server.api("GET", "/api/v1/organisation/soc/links")
    assert [l["name"] for l in links] == ["partner"]
    b.submit_confirmed("#org-links form button.btn-danger")
    b.wait_text("#org-links", "Not linked to any organisation.")
    assert server.api("GET", "/api/v1/organisation/soc/links") == []


def test_analyst_sets_custom_fields_on_a_case(browser, soc, server):
    server.api("POST", "/api/v1/customField", {"name": "hostCount", "displayName": "Hosts hit", "type": "integer"})
    server.api("POST", "/api/v1/customField", {"name": "businessUnit", "displayName": "Business unit",
                                               "type": "string", "options": ["Finance", "HR"]})
    case = server.api("POST", "/api/v1/case", {"title": "Fields case", "description": "-"},
                      login=ANALYST, password=ANALYST_PASSWORD)
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{case['number']}")
    b.click("#custom-fields details.adder summary")
    b.select("#add-field-name", "Hosts hit (integer)")
    b.fill("#add-field-value", "3")
    b.submit("#add-field button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert b.find("#cf-hostCount").get_attribute("value") == "3"
    # Edit it in place; a value outside a field's options is refused next to the form.
    b.fill("#cf-hostCount", "7")
    b.submit("#edit-fields button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert b.find("#cf-hostCount").get_attribute("value") == "7"
    b.click("#custom-fields details.adder summary")
    b.fill("#add-field-value", "Marketing")
    b.submit("#add-field button[type=submit]")
    b.wait(".flash-error")
    b.shot("custom-field-option-refused", refused=True)
    fields = server.api("GET", f"/api/v1/case/{case['_id']}", login=ANALYST, password=ANALYST_PASSWORD)["customFields"]
    values = {f["name"]: f["value"] for f in fields}
    assert values.get("hostCount") == 7 and "businessUnit" not in values
