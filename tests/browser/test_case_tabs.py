"""The case page's other tabs: TTPs from the ATT&CK catalogue (imported by the admin in
the browser), attachments and file observables (uploads), pages, and sharing the case with
a linked organisation whose analyst then opens it. Also comments on an alert."""

import hashlib
import json
import uuid

import pytest

ANALYST = "tia@soc.test"
ANALYST_PASSWORD = "pw-tia-soc"
PARTNER = "pia@partner.test"
PARTNER_PASSWORD = "pw-pia-partner"
ADMIN = "admin@thehive.local"
ADMIN_PASSWORD = "secret"

BUNDLE = {
    "type": "bundle",
    "id": "bundle--0f1e2d3c-0000-4000-8000-000000000001",
    "objects": [
        {"type": "attack-pattern", "id": "attack-pattern--a62a8db3-f23a-4d8f-afd6-9dbc77e7813b",
         "name": "Spearphishing Attachment", "description": "Adversaries may send spearphishing emails.",
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1566.001",
                                  "url": "https://attack.mitre.org/techniques/T1566/001"}]},
        {"type": "attack-pattern", "id": "attack-pattern--7385dfaf-6886-4229-9ecd-6fd678040830",
         "name": "Command and Scripting Interpreter", "description": "Adversaries may abuse interpreters.",
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1059",
                                  "url": "https://attack.mitre.org/techniques/T1059"}]},
    ],
}


@pytest.fixture
def soc(server):
    """Two linked organisations with one analyst each, and a case in `soc`."""
    for org in ["soc", "partner"]:
        server.api("POST", "/api/v1/organisation", {"name": org, "description": org})
    server.api("PUT", "/api/v1/organisation/soc/link/partner", {"linkType": "default", "otherLinkType": "default"})
    server.api("POST", "/api/v1/user", {"login": ANALYST, "name": "Tia", "organisation": "soc",
                                         "profile": "analyst", "password": ANALYST_PASSWORD})
    server.api("POST", "/api/v1/user", {"login": PARTNER, "name": "Pia", "organisation": "partner",
                                         "profile": "analyst", "password": PARTNER_PASSWORD})
    case = server.api("POST", "/api/v1/case", {"title": "Invoice malware " + uuid.uuid4().hex[:4],
                                                "description": "User opened an invoice."},
                      login=ANALYST, password=ANALYST_PASSWORD)
    return case


def test_admin_imports_attack_then_analyst_records_ttps(browser, soc, tmp_path):
    b = browser
    bundle = tmp_path / "enterprise-attack.json"
    bundle.write_text(json.dumps(BUNDLE))
    b.sign_in(ADMIN, ADMIN_PASSWORD)
    b.go("/admin/attack")
    b.wait_text("#patterns", "The catalogue is empty")
    b.find("#attack-file").send_keys(str(bundle))
    b.submit("#import-attack button[type=submit]")
    b.wait_text("#import-report", "Imported 2 techniques")
    b.wait_text("#patterns", "T1566.001")
    b.wait_text("#pattern-total", "2")
    b.shot("attack-imported")
    b.fill("#pattern-q", "scripting")
    b.submit("#pattern-search button[type=submit]")
    b.wait_text("#pattern-total", "1")
    assert "T1059" in b.find("#patterns").text and "T1566" not in b.find("#patterns").text
    b.sign_out()

    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{soc['number']}")
    b.nav("TTPs")
    b.wait_text("#ttps", "No TTPs recorded yet.")
    b.fill("#ttp-pattern", "T1566.001 · Spearphishing Attachment")
    b.select("#ttp-tactic", "initial-access")
    b.d.execute_script("document.getElementById('ttp-date').value = '2024-03-05'")
    b.fill("#ttp-description", "Macro in the invoice")
    b.submit("#add-ttp button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#ttps", "Spearphishing Attachment")
    assert "initial-access" in b.find("#ttps").text
    b.shot("ttp-added")
    # An unknown technique is refused next to the form, and nothing is added.
    b.fill("#ttp-pattern", "T9999")
    b.submit("#add-ttp button[type=submit]")
    b.wait(".flash-error")
    b.shot("ttp-unknown", refused=True)
    assert len(b.finds("#ttps tbody tr")) == 1
    b.submit_confirmed("#ttps form button.btn-danger")
    b.wait_text("#ttps", "No TTPs recorded yet.")


def test_attachments_and_file_observables(browser, soc, tmp_path):
    b = browser
    report = tmp_path / "edr-report.txt"
    report.write_text("EDR timeline for WS-12\n")
    sample = tmp_path / "invoice.docm"
    content = b"PK\x03\x04 not really a macro document " + uuid.uuid4().bytes
    sample.write_bytes(content)
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{soc['number']}/files")
    b.wait_text("#attachments", "No attachments yet.")
    b.find("#attachment-files").send_keys(str(report))
    b.submit("#add-attachment button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#attachments", "edr-report.txt")
    assert hashlib.sha256(report.read_bytes()).hexdigest() in b.find("#attachments").text
    b.shot("attachment-uploaded")

    b.find("#sample-file").send_keys(str(sample))
    b.fill("#sample-tags", "malware, invoice")
    b.click("#add-file-observable input[name=ioc]")
    b.submit("#add-file-observable button[type=submit]")
    b.wait_text("#file-observables", "invoice.docm")
    assert hashlib.sha256(content).hexdigest() in b.find("#file-observables").text
    assert "IOC" in b.find("#file-observables").text
    b.shot("file-observable-uploaded")
    # The file observable is an observable of the case like any other.
    b.nav("Summary")
    b.wait_text("#observables", "invoice.docm")

    # Deleting the attachment.
    b.nav("Attachments")
    b.submit_confirmed("#attachments form button.btn-danger")
    b.wait_text("#attachments", "No attachments yet.")
    b.shot("attachment-deleted")


def test_case_pages(browser, soc):
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{soc['number']}")
    b.nav("Pages")
    b.wait_text("#page-list", "No pages yet.")
    b.fill("#new-page-title", "Containment plan")
    b.fill("#new-page-category", "Runbook")
    b.fill("#new-page-content", "1. Isolate **WS-12**\n2. Reset the password\n\n<script>alert(1)</script>")
    b.submit("#add-page button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#page-heading", "Containment plan")
    assert b.find("#page-view .markdown strong").text == "WS-12", "pages render Markdown"
    assert not b.finds("#page-view script"), "raw HTML in a page is text"
    b.shot("page-created")
    b.click("#edit-page-link")
    b.fill("#page-title", "Containment plan v2")
    b.submit("#edit-page button[type=submit]")
    b.wait_text("#page-heading", "Containment plan v2")
    b.wait_text("#page-list", "Runbook")
    b.shot("page-edited")
    b.submit_confirmed("#page-view form button.btn-danger")
    b.wait_text("#page-list", "No pages yet.")


def test_share_a_case_and_open_it_as_the_other_organisation(browser, soc):
    b = browser
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{soc['number']}/sharing")
    b.wait_text("#shares", "Only your organisation sees this case.")
    b.select("#share-org", "partner")
    b.select("#share-profile", "read-only")
    b.submit("#add-share button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#shares", "partner")
    b.shot("case-shared")
    # Sharing twice with the same organisation is not offered any more.
    assert "No other linked organisation" in b.find("#main").text
    b.sign_out()

    b.sign_in(PARTNER, PARTNER_PASSWORD)
    b.nav("Cases")
    b.wait_text("#cases", soc["title"])
    b.go(f"/cases/{soc['number']}")
    b.wait_text("#case-title", soc["title"])
    # Read-only: no editing form, and the sharing tab offers nothing to change.
    assert not b.finds("#edit-case")
    b.nav("Sharing")
    assert not b.finds("#add-share")
    b.shot("shared-case-as-partner")
    b.sign_out()

    # The owner withdraws the share; the partner no longer sees the case.
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/cases/{soc['number']}/sharing")
    b.submit_confirmed("#shares form button.btn-danger")
    b.wait_text("#shares", "Only your organisation sees this case.")
    b.sign_out()
    b.sign_in(PARTNER, PARTNER_PASSWORD)
    b.go(f"/cases/{soc['number']}")
    b.wait_text(".error-page .error-status", "404")
    assert soc["title"] not in b.find("#main").text
    b.shot("unshared-case-as-partner", refused=True)


def test_comment_on_an_alert(browser, soc):
    b = browser
    alert = b.server.api("POST", "/api/v1/alert", {
        "type": "mail", "source": "gateway", "sourceRef": uuid.uuid4().hex[:8], "title": "Suspicious invoice",
        "description": "Reported by user"}, login=ANALYST, password=ANALYST_PASSWORD)
    b.sign_in(ANALYST, ANALYST_PASSWORD)
    b.go(f"/alerts/{alert['_id']}")
    b.wait_text("#comments", "Comments")
    b.fill("#alert-comment-message", "Sender domain registered **yesterday**")
    b.submit("#add-alert-comment button[type=submit]")
    b.wait_text(".flash-ok", "Created.")
    b.wait_text("#comments", "registered")
    assert b.find("#comments .markdown strong").text == "yesterday"
    b.shot("alert-commented")
