#!/usr/bin/env python3
"""Times query DSL scenarios against a running Waggle with the dataset of
scripts/query-dataset.py (driven by scripts/query-bench).

    scripts/query-bench.py BASE_URL API_KEY CASES

Each scenario runs 5 warm-up and 40 timed requests over HTTP (a fresh connection each,
as thehive4py's default session would not reuse it across processes); prints p50/p95/max
in milliseconds, end to end (HTTP, auth, SQL, hydration, JSON).
"""

import json
import statistics
import sys
import time
import urllib.request

base, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])


def call(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    req.add_header("Authorization", f"Bearer {key}")
    req.add_header("Content-Type", "application/json")
    start = time.perf_counter()
    with urllib.request.urlopen(req) as resp:
        payload = resp.read()
        headers = dict(resp.headers)
    return (time.perf_counter() - start) * 1000, json.loads(payload), headers


def query(steps):
    return lambda i: call("/api/v1/query?name=bench", {"query": steps(i)})


STATUSES = ["New", "InProgress", "TruePositive"]
scenarios = {
    "case list page (status filter, _createdAt desc, 15 rows, observableStats+taskStats)": query(lambda i: [
        {"_name": "listCase"},
        {"_name": "filter", "_eq": {"_field": "status", "_value": STATUSES[i % 3]}},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": 15 * (i % 4), "to": 15 * (i % 4) + 15, "extraData": ["observableStats", "taskStats"]}]),
    "case list page + X-Total (limitedCount)": query(lambda i: [
        {"_name": "listCase"},
        {"_name": "filter", "_eq": {"_field": "status", "_value": STATUSES[i % 3]}},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": 0, "to": 15, "extraData": ["total"]}]),
    "case list page, tag filter": query(lambda i: [
        {"_name": "listCase"},
        {"_name": "filter", "_eq": {"_field": "tags", "_value": ["apt", "c2", "vpn"][i % 3]}},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": 0, "to": 15}]),
    "count by status (exact)": query(lambda i: [
        {"_name": "listCase"},
        {"_name": "filter", "_eq": {"_field": "status", "_value": STATUSES[i % 3]}},
        {"_name": "count"}]),
    "count all visible cases (countCase)": query(lambda i: [{"_name": "countCase"}]),
    "full text _string on cases, page 15": query(lambda i: [
        {"_name": "listCase"},
        {"_name": "filter", "_string": ["ransomware payroll", "phishing vpn", "\"data leak\" backup"][i % 3]},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": 0, "to": 15}]),
    "global search (7 entity types, 15 hits)": lambda i: call(
        "/api/v1/search?size=15&q=" + ["ransomware+payroll", "phishing+vpn", "kerberos+escalation"][i % 3]),
    "global search, rare term": lambda i: call(f"/api/v1/search?size=15&q=host-{(i * 37) % 997}+case"),
    "observable correlation (getObservable + similar)": query(lambda i: [
        {"_name": "getObservable", "idOrName": f"~{3 * (1 + (i * 7919) % (n - 1))}"},
        {"_name": "similar"},
        {"_name": "page", "from": 0, "to": 15}]),
    "case observables with seen (correlation stats)": query(lambda i: [
        {"_name": "getCase", "idOrName": str(1 + (i * 7919) % n - (1 + (i * 7919) % n) % 10 + 1)},
        {"_name": "observables"},
        {"_name": "page", "from": 0, "to": 15, "extraData": ["seen"]}]),
}

print(f"{'scenario':<85} {'p50':>8} {'p95':>8} {'max':>8}  answer")
for name, run in scenarios.items():
    for i in range(5):
        run(i)
    times = []
    answer = None
    for i in range(40):
        ms, body, headers = run(i + 5)
        times.append(ms)
        if answer is None:
            if isinstance(body, list):
                answer = f"{len(body)} rows" + (f", X-Total {headers.get('x-total')}" if headers.get("x-total") else "")
            else:
                answer = str(body)[:30]
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:<85} {statistics.median(times):8.2f} {p95:8.2f} {times[-1]:8.2f}  {answer}")
