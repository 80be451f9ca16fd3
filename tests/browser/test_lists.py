"""The advanced filter builder on every list, with OR groups (cases, my tasks, the
observable list, the administration lists), driven with the keyboard where an analyst
would; the alert page's TTPs (added and edited in place), attachments and custom fields;
a case TTP edited in place. Every page is screenshotted and checked for console errors."""

import hashlib
import json
import uuid

import pytest
from selenium.webdriver.common.keys import Keys

from test_case_tabs import BUNDLE

ANALYST = "lia@soc.test"
ANALYST_PASSWORD = "pw-lia-soc"
ADMIN = "admin@thehive.local"
ADMIN_PASSWORD = "secret"


@pytest.fixture
def soc(server):
    server.api("POST", "/api/v1/organisation", {"name": "soc", "description": "SOC"})
    server.api("POST", "/api/v1/user", {"login": ANALYST, "name": "Lia", "organisation": "soc",
                                         "profile": "analyst", "password": ANALYST_PASSWORD})
    cases = []
    for title, sev in [("Ransom note", 4), ("Port scan", 1), ("Mailbox rule", 2)]:
        cases.append(server.api("POST", "/api/v1/case", {
            "title": title, "description": "-", "severity": sev,
            "tasks": [{"title": f"Triage {title}", "assignee": ANALYST}, {"title": f"Report {title}"}]},
            login=ANALYST, password=ANALYST_PASSWORD))
    for data_type, data, ioc in [("domain", "evil.example", True), ("ip", "192.0.2.9", False),
                                 ("domain", "fine.example", False)]:
        server.api("POST", f"/api/v1/case/{cases[0]['_id']}/observable",
                   {"dataType": data_type, "data": data, "ioc": ioc}, login=ANALYST, password=ANALYST_PASSWORD)
    return cases


def set_row(b, n, field, op, value, join=None, form="#filter-builder"):
    """Fills condition `n` (1-based) of the builder; `join` is "and"/"or" for n > 1."""
    row = f"{form} .filter-row:nth-of-type({n})"
    if join:
        b.select(f"{row} .adv-join", join)
    b.select(f"{row} .adv-field", field)
    b.select(f"{row} .adv-op", op)
    return b.fill(f"{row} .adv-value", value)


def test_or_groups_on_cases_tasks_and_observables(browser, soc):
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.nav("Cases")
    b.wait_text("#case-total", "3")
    b.click("#filter-builder summary")
    set_row(b, 1, "Severity (1-4)", "is", "4")
    b.submit("#case-filters button[type=submit]")
    b.wait_text("#case-total", "1")
    # Keyboard: the value typed and Enter submits the builder (a GET form).
    value = set_row(b, 2, "Severity (1-4)", "is", "1", join="or")
    before = b.generation()
    value.send_keys(Keys.ENTER)
    b.settled(before)
    b.wait_text("#case-total", "2")
    assert "aj=or" in b.d.current_url
    assert "Port scan" in b.find("#cases").text and "Mailbox rule" not in b.find("#cases").text
    b.shot("cases-or-group")

    b.nav("My tasks")
    b.wait_text("#mine-total", "3")
    b.wait_text("#waiting-total", "3")
    b.click("#filter-builder summary")
    set_row(b, 1, "Title", "contains", "ransom")
    b.submit("#list-filters button[type=submit]")
    b.wait_text("#mine-total", "1")
    # Submitting a row offers the next one.
    set_row(b, 2, "Title", "contains", "scan", join="or")
    b.submit("#list-filters button[type=submit]")
    b.wait_text("#mine-total", "2")
    b.wait_text("#waiting-total", "2")
    assert "Mailbox rule" not in b.find("#my-tasks").text
    b.shot("my-tasks-filtered")

    b.nav("Observables")
    b.wait_text("#list-total", "3")
    b.shot("observables")
    b.click("#filter-builder summary")
    set_row(b, 1, "IOC", "is", "yes")
    b.submit("#list-filters button[type=submit]")
    b.wait_text("#list-total", "1")
    set_row(b, 2, "Type", "is", "ip", join="or")
    b.submit("#list-filters button[type=submit]")
    b.wait_text("#list-total", "2")
    assert "fine.example" not in b.find("#observables").text
    b.shot("observables-or-group")
    # Each observable links to its own page, which lists where else it was seen.
    b.click_link("evil.example")
    b.wait_path("/observables/~")
    b.shot("observable-page")


def test_filter_builder_on_admin_lists(browser, soc):
    b = browser
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    pages = [
        ("/admin/users?organisation=soc", "Login", "starts with", "lia", "#users", "lia@soc.test"),
        ("/admin/organisations", "Name", "is", "soc", "#organisations", "soc"),
        ("/admin/profiles", "Permissions", "contains", "manageUser", "#profiles", "org-admin"),
        ("/admin/observable-types", "Is a file", "is", "yes", "#observable-types", "file"),
        ("/admin/custom-fields", "Type", "is", "integer", "#custom-fields", "No custom fields match."),
        ("/admin/case-templates", "Name", "contains", "x", "#case-templates", "No case templates match."),
    ]
    for path, field, op, value, table, expected in pages:
        b.go(path)
        b.wait("#list-filters")
        b.click("#filter-builder summary")
        set_row(b, 1, field, op, value)
        b.submit("#list-filters button[type=submit]")
        b.wait_text(table, expected)
        assert "af=" in b.d.current_url, path
        b.shot("admin-list-" + path.split("/")[2].split("?")[0])
    # A refused row names itself; the list still shows.
    b.go("/admin/users?organisation=soc&af=login&ao=gt&av=x")
    b.wait_text(".flash-error", "Filter row 1")
    b.wait_text("#users", "lia@soc.test")
    b.shot("admin-list-refused", refused=True)


def test_alert_ttps_attachments_and_fields(browser, soc, server, tmp_path):
    b = browser
    bundle = tmp_path / "enterprise-attack.json"
    bundle.write_text(json.dumps(BUNDLE))
    server.api("POST", "/api/v1/customField", {"name": "hostCount", "displayName": "Hosts", "type": "integer",
                                               "description": "Hosts touched"})
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.go("/admin/attack")
    b.find("#attack-file").send_keys(str(bundle))
    b.submit("#import-attack button[type=submit]")
    b.wait_text("#import-report", "Imported 2 techniques")
    b.sign_out()

    alert = server.api("POST", "/api/v1/alert", {"type": "mail", "source": "gateway",
                                                 "sourceRef": uuid.uuid4().hex[:8], "title": "Invoice phish",
                                                 "description": "-"},
                       login=ANALYST, password=ANALYST_PASSWORD)
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/alerts/{alert['_id']}")
    b.wait("#alert-tabs")
    # Custom fields on the summary.
    b.click("#custom-fields details summary")
    b.select("#add-field-name", "Hosts (integer)")
    b.fill("#add-field-value", "3")
    b.submit("#add-field button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    b.fill("#cf-hostCount", "12")
    b.submit("#edit-fields button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert b.find("#cf-hostCount").get_attribute("value") == "12"
    b.shot("alert-custom-fields")

    b.nav("TTPs")
    b.wait_text("#ttps", "No TTPs recorded yet.")
    b.fill("#ttp-pattern", "T1566.001 · Spearphishing Attachment")
    b.select("#ttp-tactic", "initial-access")
    b.fill("#ttp-description", "Macro in the invoice")
    b.submit("#add-ttp button[type=submit]")
    b.wait_text("#ttps", "Spearphishing Attachment")
    b.shot("alert-ttp-added")
    # Edited in place.
    b.click("#ttps .ttp-edit summary")
    b.fill("#ttps .edit-ttp textarea", "Macro dropping a loader")
    b.select("#ttps .edit-ttp select", "execution")
    b.submit("#ttps .edit-ttp button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    b.wait_text("#ttps", "Macro dropping a loader")
    assert "execution" in b.find("#ttps").text
    b.shot("alert-ttp-edited")

    report = tmp_path / "headers.txt"
    report.write_text("Received: from evil.example\n")
    b.nav("Attachments")
    b.wait_text("#attachments", "No attachments yet.")
    b.find("#alert-attachment-files").send_keys(str(report))
    b.submit("#add-alert-attachment button[type=submit]")
    b.wait_text("#attachments", "headers.txt")
    assert hashlib.sha256(report.read_bytes()).hexdigest() in b.find("#attachments").text
    b.shot("alert-attachment")
    b.submit_confirmed("#attachments form button.btn-danger")
    b.wait_text("#attachments", "No attachments yet.")

    # Promoted, the alert's TTPs follow it into the case, where they are edited in place too.
    b.nav("Summary")
    b.submit("#promote-alert button[type=submit]")
    b.wait_path("/cases/")
    b.nav("TTPs")
    b.wait_text("#ttps", "Spearphishing Attachment")
    b.click("#ttps .ttp-edit summary")
    b.fill("#ttps .edit-ttp textarea", "Confirmed on WS-12")
    b.submit("#ttps .edit-ttp button[type=submit]")
    b.wait_text("#ttps", "Confirmed on WS-12")
    b.shot("case-ttp-edited")


def test_item_sharing_log_files_and_bulk_assign(browser, soc, server, tmp_path):
    b = browser
    server.api("POST", "/api/v1/organisation", {"name": "partner", "description": "Partner"})
    server.api("PUT", "/api/v1/organisation/soc/link/partner", {"linkType": "default", "otherLinkType": "default"})
    server.api("POST", "/api/v1/user", {"login": "max@soc.test", "name": "Max", "organisation": "soc",
                                         "profile": "analyst", "password": "pw-max-soc"})
    case = soc[0]
    server.api("POST", f"/api/v1/case/{case['_id']}/shares", {"shares": [{"organisation": "partner",
                                                                         "profile": "analyst"}]},
               login=ANALYST, password=ANALYST_PASSWORD)
    b.sign_in(ANALYST, ANALYST_PASSWORD)

    # Bulk: assign the ticked cases to a colleague.
    b.nav("Cases")
    b.click(f"#cases input[value='{case['_id']}']")
    b.select("#bulk-action", "Assign to max@soc.test")
    b.submit("#bulk-apply")
    b.wait_text(".flash-ok", "Saved.")
    b.wait_text("#cases", "max@soc.test")
    b.shot("cases-bulk-assigned")

    # A task log with a file, and the task shared with the partner alone.
    b.go(f"/cases/{case['number']}")
    b.click_link(f"Triage {case['title']}")
    b.wait("#add-log")
    evidence = tmp_path / "edr-export.csv"
    evidence.write_text("host,event\nWS-12,macro\n")
    b.fill("#log-message", "EDR export attached")
    b.find("#log-files").send_keys(str(evidence))
    b.submit("#add-log button[type=submit]")
    b.wait_text("#logs", "edr-export.csv")
    b.shot("task-log-with-file")
    b.wait_text("#item-sharing", "No other organisation sees it.")
    b.submit("#share-item button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    b.wait_text("#item-sharing", "partner")
    b.shot("task-shared")
    b.submit_confirmed("#item-sharing form button.btn-danger")
    b.wait_text("#item-sharing", "No other organisation sees it.")

    # The observable page offers the same.
    b.go("/observables?af=data&ao=is&av=evil.example")
    b.click_link("evil.example")
    b.wait("#item-sharing")
    b.submit("#share-item button[type=submit]")
    b.wait_text("#item-sharing", "partner")
    b.shot("observable-shared")
