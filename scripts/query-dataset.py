#!/usr/bin/env python3
"""Generates the query benchmark dataset as SQL, for SQLite or PostgreSQL.

    scripts/query-dataset.py sqlite|postgres CASES SOC_ORG_ID CERT_ORG_ID > dataset.sql

Run it against a database that `waggle serve` has bootstrapped and in which the two
organisations exist (see scripts/query-bench). Per case: 1-2 tags, 3 tasks, 5 observables
(a third of them drawn from a shared pool, so that correlation has matches), one owner
share; every tenth case belongs to the second organisation, every twentieth is shared with
the first. One alert per ten cases. Titles and descriptions are drawn from word lists so
that full-text searches have realistic selectivity. Ids are explicit and dates grow with
ids, as in a real instance. Everything is inserted with the indexes and full-text triggers
in place, as the application would.
"""

import sys

backend, n, soc, cert = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

WORDS_A = ["Phishing", "Ransomware", "Malware", "Brute force", "Data leak", "Insider", "DDoS"]
WORDS_B = ["campaign", "outbreak", "alert", "incident", "report", "attempt", "wave", "activity",
           "investigation", "suspicion", "escalation"]
WORDS_C = ["finance", "vpn", "mailbox", "server", "laptop", "domain", "payroll", "cloud", "printer",
           "firewall", "kerberos", "backup", "database"]
TAGS = ["phishing", "malware", "ransomware", "apt", "ioc", "vpn", "mail", "tlp:amber", "c2", "false-positive",
        "credential", "lateral", "exfiltration"]
STATUS = [("New", "New")] * 2 + [("InProgress", "InProgress")] * 3 + [
    ("TruePositive", "Closed"), ("FalsePositive", "Closed"), ("Duplicated", "Closed"),
    ("Indeterminate", "Closed"), ("Other", "Closed")]
BASE = 1_600_000_000_000


def case_expr(values, expr):
    parts = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE ({expr}) % {len(values)} {parts} END)"


def seq(name, count):
    if backend == "sqlite":
        return (f"WITH RECURSIVE {name}(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM {name} WHERE i < {count}) "
                f"SELECT i FROM {name}")
    return f"SELECT CAST(generate_series(1, {count}) AS BIGINT) AS i"


out = []
p = out.append
if backend == "sqlite":
    p("PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; BEGIN;")
else:
    p("BEGIN;")

status = case_expr([s for s, _ in STATUS], "i * 7")
stage = case_expr([g for _, g in STATUS], "i * 7")
title = f"{case_expr(WORDS_A, 'i')} || ' ' || {case_expr(WORDS_B, 'i / 7')} || ' ' || {case_expr(WORDS_C, 'i / 3')}"
desc = (f"'Reported by ' || {case_expr(WORDS_C, 'i / 5')} || ' team about ' || {case_expr(WORDS_A, 'i / 11')} "
        f"|| ' on host-' || (i % 997) || ' case ' || i")
tag1 = case_expr(TAGS, "i")
tag2 = case_expr(TAGS, "i / 13 + 5")
p(f"""INSERT INTO cases (id, number, organisation_id, title, description, severity, tlp, pap, start_date, flag,
  status, stage, assignee, tags, created_by, created_at, new_date)
SELECT i, i, CASE WHEN i % 10 = 0 THEN {cert} ELSE {soc} END, {title}, {desc}, 1 + (i % 4), i % 4, 2,
  {BASE} + i * 60000, FALSE, {status}, {stage}, 'analyst' || (i % 20) || '@soc.test',
  '["' || {tag1} || '","' || {tag2} || '"]', 'analyst' || (i % 20) || '@soc.test', {BASE} + i * 60000,
  {BASE} + i * 60000
FROM ({seq('n', n)}) s;""")
p(f"INSERT INTO case_tag (case_id, tag) SELECT i, {tag1} FROM ({seq('n', n)}) s;")
p(f"INSERT INTO case_tag (case_id, tag) SELECT i, {tag2} FROM ({seq('n', n)}) s WHERE {tag2} <> {tag1};")
prof = "(SELECT id FROM profile WHERE name = 'org-admin')"
p(f"""INSERT INTO share (case_id, organisation_id, profile_id, owner, created_by, created_at)
SELECT i, CASE WHEN i % 10 = 0 THEN {cert} ELSE {soc} END, {prof}, TRUE, 'x', {BASE} + i * 60000
FROM ({seq('n', n)}) s;""")
p(f"""INSERT INTO share (case_id, organisation_id, profile_id, owner, created_by, created_at)
SELECT i, {soc}, {prof}, FALSE, 'x', {BASE} + i * 60000 FROM ({seq('n', n)}) s WHERE i % 20 = 0;""")
task_status = case_expr(["Waiting", "InProgress", "Completed", "Completed", "Cancel"], "i")
task_title = case_expr(["Collect evidence", "Contain host", "Notify owner", "Block indicator", "Write report"], "i")
p(f"""INSERT INTO task (id, case_id, title, group_name, status, assignee, position, created_by, created_at)
SELECT i, (i + 2) / 3, {task_title}, 'default', {task_status}, 'analyst' || (i % 20) || '@soc.test', i % 3,
  'x', {BASE} + i * 20000
FROM ({seq('n', 3 * n)}) s;""")
ptype = case_expr(["ip", "domain", "hash", "url", "mail"], "i")
p(f"""INSERT INTO observable (id, case_id, data_type, data, data_hash, ioc, start_date, tags, created_by, created_at)
SELECT i, (i + 4) / 5, {ptype},
  CASE WHEN i % 3 = 0 THEN 'pool-' || (i % 5) || '-' || (i % 5000) ELSE 'uniq-' || i END,
  CASE WHEN i % 3 = 0 THEN 'h-' || (i % 5) || '-' || (i % 5000) ELSE 'u-' || i END,
  (i % 7 = 0), {BASE} + i * 12000, '[]', 'x', {BASE} + i * 12000
FROM ({seq('n', 5 * n)}) s;""")
alerts = max(n // 10, 1)
p(f"""INSERT INTO alert (id, organisation_id, type, source, source_ref, title, description, severity, date, tags,
  status, stage, read, created_by, created_at)
SELECT i, {soc}, 'siem', 'splunk', 'ref-' || i, {title}, {desc}, 1 + (i % 4), {BASE} + i * 600000, '[]',
  'New', 'New', FALSE, 'x', {BASE} + i * 600000
FROM ({seq('n', alerts)}) s;""")
p(f"""INSERT INTO observable (id, alert_id, data_type, data, data_hash, ioc, start_date, tags, created_by, created_at)
SELECT {5 * n} + i, i, 'ip', 'pool-0-' || (i % 5000), 'h-0-' || (i % 5000), FALSE, {BASE} + i * 600000, '[]', 'x',
  {BASE} + i * 600000
FROM ({seq('n', alerts)}) s;""")
if backend == "postgres":
    for table, top in [("cases", n), ("task", 3 * n), ("observable", 5 * n + alerts), ("alert", alerts)]:
        p(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {top});")
p("COMMIT;")
if backend == "sqlite":
    p("PRAGMA foreign_keys = ON; ANALYZE;")
else:
    # Steady state: autovacuum would have set the visibility map (index-only scans).
    p("VACUUM ANALYZE;")
print("\n".join(out))
