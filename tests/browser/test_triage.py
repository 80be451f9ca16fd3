"""A day's work: triage alerts into cases, work a task, add observables and follow the
correlation between cases, bulk actions, search."""

import uuid

import pytest

ANALYST = "ana@soc.test"
ANALYST_PASSWORD = "pw-ana-soc"


@pytest.fixture
def soc(server):
    """An organisation with an analyst, and three alerts from a SIEM, two sharing an IP."""
    server.api("POST", "/api/v1/organisation", {"name": "soc", "description": "SOC"})
    server.api("POST", "/api/v1/user", {"login": ANALYST, "name": "Ana", "organisation": "soc",
                                         "profile": "analyst", "password": ANALYST_PASSWORD})
    tag = uuid.uuid4().hex[:6]
    alerts = []
    for i, (title, ip, sev) in enumerate([("Beacon to C2 from WS-12", "203.0.113.7", 3),
                                          ("Second beacon from WS-14", "203.0.113.7", 2),
                                          ("Phishing mail reported", "198.51.100.9", 1)]):
        alerts.append(server.api("POST", "/api/v1/alert", {
            "type": "siem", "source": "splunk", "sourceRef": f"{tag}-{i}", "title": title,
            "description": f"Detected by rule **R{i}**", "severity": sev, "tags": ["triage"],
            "observables": [{"dataType": "ip", "data": ip, "ioc": True}],
        }, login=ANALYST, password=ANALYST_PASSWORD))
    return alerts


def test_triage_an_alert_into_a_case_and_work_a_task(browser, soc):
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    # The start page counts the work waiting.
    b.wait_text("#home-alerts .big-number", "3")
    b.shot("home-counts")
    b.nav("Alerts")
    b.wait_text("#alert-total", "3")
    rows = b.finds("#alerts tbody tr.unread")
    assert len(rows) == 3, "new alerts are shown unread"
    b.shot("alert-queue")

    # Filter the queue: by severity, then back to all.
    b.select("#f-severity", "HIGH")
    b.submit("#alert-filters button[type=submit]")
    b.wait_text("#alert-total", "1")
    assert "Beacon to C2" in b.find("#alerts").text
    b.shot("alert-queue-filtered")

    # Open the alert, promote it to a case.
    b.nav("Beacon to C2 from WS-12")
    b.wait_text("h1", "Beacon to C2 from WS-12")
    b.wait_text("#observables", "203.0.113.7")
    b.shot("alert-detail")
    b.submit("#promote-alert button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#case-title", "Beacon to C2 from WS-12")
    b.wait_text("#observables", "203.0.113.7")
    case_url = b.path()
    b.shot("case-from-alert")

    # Work the case: severity and assignee, then a task with a log.
    b.select("#edit-severity", "CRITICAL")
    b.select("#edit-assignee", ANALYST)
    b.submit("#edit-case button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    b.wait_text(".badges", "CRITICAL")
    b.click("#tasks details.adder summary")
    b.fill("#task-title", "Isolate WS-12")
    b.fill("#task-group", "containment")
    b.submit("#add-task button[type=submit]")
    b.wait_text("#tasks", "Isolate WS-12")
    b.nav("Isolate WS-12")
    b.wait_text("h1", "Isolate WS-12")
    b.submit("#start-task")
    b.wait_text("#task-status", "InProgress")
    b.fill("#log-message", "Host **isolated** via EDR.\n\n- ticket 4711")
    b.submit("#add-log button[type=submit]")
    b.wait_text("#logs", "isolated")
    assert b.find("#logs .markdown strong").text == "isolated", "logs render Markdown"
    b.shot("task-log")
    b.submit("#close-task")
    b.wait_text("#task-status", "Completed")

    # My tasks lists what is assigned to me (taken by the task's case owner? no: unassigned).
    b.nav("My tasks")
    b.wait_text("h1", "My tasks")
    b.shot("my-tasks")

    # The second alert shares the IP: its similar cases show our case, and merge into it.
    b.go("/alerts?q=Second")
    b.wait_text("#alert-total", "1")
    b.nav("Second beacon from WS-14")
    b.wait_text("#similar-cases", "Beacon to C2 from WS-12")
    b.shot("alert-similar-case")
    b.submit_confirmed("#similar-cases form button[type=submit]")
    b.wait_text(".flash-ok", "Saved.")
    assert b.path().split("?")[0] == case_url.split("?")[0]

    # Bulk: mark the last alert as Ignored from the queue.
    b.go("/alerts?q=Phishing")
    b.wait_text("#alert-total", "1")
    b.click("#alerts tbody input[name=ids]")
    b.select("#bulk-action", "Set status Ignored")
    b.submit("#bulk-apply")
    b.wait_text(".flash-ok", "Saved.")
    b.wait_text("#alerts", "Ignored")
    b.shot("alert-bulk")


def test_observables_correlate_across_cases(browser, soc):
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    # Two cases from scratch, the same IP added to both.
    for title in ["Lateral movement", "Data exfiltration"]:
        b.nav("Cases")
        b.submit("#new-case")
        b.fill("#case-title", title)
        b.fill("#case-description", "Investigating *" + title + "*")
        b.fill("#case-tags", "apt, " + title.split()[0].lower())
        b.submit("#create-case button[type=submit]")
        b.wait_text(".flash-ok", "Created.")
        b.click("#observables details.adder summary")
        b.select("#obs-type", "ip")
        b.fill("#obs-data", "192.0.2.44\n192.0.2.45")
        b.click("#add-observables input[name=ioc]")
        b.submit("#add-observables button[type=submit]")
        b.wait_text("#observables", "192.0.2.45")
    b.shot("case-observables")
    # The second case sees both values once elsewhere: in the first case.
    seen = b.finds("#observables a.seen")
    assert len(seen) == 2 and all("seen 1× elsewhere" in s.text for s in seen), [s.text for s in seen]
    b.submit("#observables a.seen")
    b.wait_text("#seen-elsewhere", "#1 Lateral movement")
    b.submit("#seen-elsewhere a")
    b.wait_text("#case-title", "Lateral movement")
    b.shot("correlated-case")

    # The case list: quick filters and the title filter.
    b.nav("Cases")
    b.wait_text("#case-total", "2")
    b.fill("#f-q", "exfil")
    b.submit("#case-filters button[type=submit]")
    b.wait_text("#case-total", "1")
    b.submit(".quick-filters a[href='/cases?quick=flagged']")
    b.wait_text("#case-total", "0")
    b.shot("case-list")

    # Global search finds the case by a word of its title; "/" jumps to the box.
    b.find("body").send_keys("/")
    box = b.d.switch_to.active_element
    assert box.get_attribute("id") == "global-search"
    box.send_keys("exfiltration")
    before = b.generation()
    box.submit()
    b.settled(before)
    b.wait_text("#search-results", "Data exfiltration")
    b.shot("search")


def test_case_page_tells_of_changes_made_by_others(browser, soc, server):
    b = browser
    server.api("POST", "/api/v1/user", {"login": "bob@soc.test", "name": "Bob", "organisation": "soc",
                                         "profile": "analyst", "password": "pw-bob-soc"})
    case = server.api("POST", "/api/v1/case", {"title": "Ransomware note", "description": "found on FS-01"},
                      login=ANALYST, password=ANALYST_PASSWORD)
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{case['number']}")
    b.wait_text("#case-title", "Ransomware note")
    # Bob comments through the API; the page on Ana's screen offers to refresh.
    server.api("POST", f"/api/v1/case/{case['_id']}/comment", {"message": "I am on it"},
               login="bob@soc.test", password="pw-bob-soc")
    b.wait_text(".live-banner", "bob@soc.test changed this page.")
    b.shot("live-banner")
    b.submit(".live-banner button")
    b.wait_text("#comments", "I am on it")
    assert not b.finds(".live-banner")
    b.shot("live-refreshed")


def test_create_a_case_from_a_template(browser, soc, server):
    b = browser
    # Templates are managed by an organisation's admin; make one through the API.
    server.api("POST", "/api/v1/user", {"login": "boss@soc.test", "name": "Boss", "organisation": "soc",
                                         "profile": "org-admin", "password": "pw-boss-soc"})
    server.api("POST", "/api/v1/caseTemplate", {
        "name": "phishing", "titlePrefix": "[PHISH]", "severity": 3,
        "tasks": [{"title": "Collect headers", "group": "analysis"}, {"title": "Block sender", "group": "response"}],
    }, login="boss@soc.test", password="pw-boss-soc")
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go("/cases/new")
    b.select("#case-template", "phishing")
    b.fill("#case-title", "Invoice lure")
    b.submit("#create-case button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#case-title", "Invoice lure")
    b.wait_text("#tasks", "Collect headers")
    assert "Block sender" in b.find("#tasks").text
    b.shot("case-from-template")
    # Close it with a resolution and a summary.
    b.click("details.adder:has(#close-case) summary")
    b.select("#close-status", "FalsePositive")
    b.select("#close-impact", "NoImpact")
    b.fill("#close-summary", "Marketing mail, **not** phishing.")
    b.submit("#close-case button[type=submit]")
    b.wait_text("#case-status", "FalsePositive")
    assert "Marketing mail" in b.find("main").text, "the summary shows on the case"
    assert not b.finds("#close-case"), "a closed case offers no closing form"
    b.shot("case-closed")
