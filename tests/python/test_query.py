"""The query DSL as thehive4py 2.1.0 scripts use it (issue 5): `find` and `count` of cases,
alerts and observables with every filter builder of `thehive4py.query.filters`, the `&`,
`|` and `~` combinators (thehive4py's And, Or and Not), sorting with `Asc`/`Desc` and
pagination edges. Each module has its own server and a fresh organisation holding exactly
the data below, so every answer is known in full, order included where a sort is given."""

import warnings

import pytest
from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError
from thehive4py.query.filters import (
    Between,
    Contains,
    EndsWith,
    Eq,
    Gt,
    Gte,
    Has,
    Id,
    In,
    Like,
    Lt,
    Lte,
    Match,
    Ne,
    StartsWith,
)
from thehive4py.query.page import Paginate
from thehive4py.query.sort import Asc, Desc

from conftest import ADMIN, ADMIN_PASSWORD, unique

DAY = 86_400_000
D0 = 1_700_000_000_000

# key: (title, severity, tags, startDate, tlp)
CASES = {
    "A": ("Alpha phishing wave", 1, ["phishing", "wave"], D0, 0),
    "B": ("Beta ransomware", 2, ["ransomware"], D0 + DAY, 1),
    "C": ("Gamma phishing", 3, ["phishing"], D0 + 2 * DAY, 2),
    "D": ("Delta malware", 4, [], D0 + 3 * DAY, 3),
    "E": ("Epsilon insider", 2, ["insider"], D0 + 4 * DAY, 2),
}

# key: (type, source, sourceRef, title, severity, date, tags)
ALERTS = {
    "X": ("phishing", "mail-gw", "r-1", "Suspicious mail", 2, D0, ["mail"]),
    "Y": ("ids", "suricata", "r-2", "Port scan detected", 3, D0 + DAY, ["network", "scan"]),
    "Z": ("ids", "suricata", "r-3", "Malware beacon", 4, D0 + 2 * DAY, ["network"]),
}


class Data:
    """The analyst's client and the ids of what it created, by key."""

    def __init__(self, api):
        self.api = api
        self.case_ids = {}
        self.alert_ids = {}

    def case_keys(self, cases):
        by_id = {v: k for k, v in self.case_ids.items()}
        return [by_id[c["_id"]] for c in cases]

    def alert_keys(self, alerts):
        by_id = {v: k for k, v in self.alert_ids.items()}
        return [by_id[a["_id"]] for a in alerts]


@pytest.fixture(scope="module")
def data(server):
    admin = TheHiveApi(url=server.url, username=ADMIN, password=ADMIN_PASSWORD, organisation="admin")
    org = unique("query")
    admin.organisation.create(organisation={"name": org, "description": "query tests"})
    login = unique("quinn") + "@example.org"
    admin.user.create(user={"login": login, "name": "Quinn", "profile": "analyst", "organisation": org})
    admin.user.set_password(login, "pw")
    api = TheHiveApi(url=server.url, username=login, password="pw", organisation=org)
    d = Data(api)
    for key, (title, severity, tags, start, tlp) in CASES.items():
        case = api.case.create(
            case={"title": title, "description": key, "severity": severity, "tags": tags, "startDate": start, "tlp": tlp}
        )
        d.case_ids[key] = case["_id"]
    api.case.close(d.case_ids["D"], status="TruePositive", summary="contained")
    api.case.create_observable(
        d.case_ids["A"], observable={"dataType": "ip", "data": "198.51.100.1", "ioc": True, "tags": ["c2"]}
    )
    api.case.create_observable(d.case_ids["A"], observable={"dataType": "domain", "data": "evil.example", "ioc": False})
    api.case.create_observable(d.case_ids["C"], observable={"dataType": "ip", "data": "198.51.100.2", "ioc": True})
    api.case.create_observable(d.case_ids["C"], observable={"dataType": "url", "data": "https://evil.example/x"})
    for key, (type_, source, ref, title, severity, date, tags) in ALERTS.items():
        alert = {"type": type_, "source": source, "sourceRef": ref, "title": title, "description": key,
                 "severity": severity, "date": date, "tags": tags}
        if key == "X":
            alert["observables"] = [{"dataType": "ip", "data": "203.0.113.1"}]
        d.alert_ids[key] = api.alert.create(alert=alert)["_id"]
    return d


def cases(d, flt, **kw):
    """The keys of the cases `find` answers, in its order."""
    return d.case_keys(d.api.case.find(filters=flt, **kw))


def case_set(d, flt):
    found = cases(d, flt)
    assert len(found) == d.api.case.count(filters=flt), "find and count agree"
    return set(found)


@pytest.mark.parametrize(
    "flt, expected",
    [
        (Eq("title", "Beta ransomware"), {"B"}),
        (Eq("severity", 2), {"B", "E"}),
        (Eq("tags", "phishing"), {"A", "C"}),
        (Eq("status", "TruePositive"), {"D"}),
        (Ne("severity", 2), {"A", "C", "D"}),
        (Ne("tags", "phishing"), {"B", "D", "E"}),
        (Gt("severity", 2), {"C", "D"}),
        (Gte("severity", 2), {"B", "C", "D", "E"}),
        (Lt("severity", 2), {"A"}),
        (Lte("severity", 2), {"A", "B", "E"}),
        (Gt("startDate", D0 + 3 * DAY), {"E"}),
        (Lt("tlp", 2), {"A", "B"}),
        (Like("title", "*phishing*"), {"A", "C"}),
        (Like("title", "Beta*"), {"B"}),
        (Like("title", "*malware"), {"D"}),
        (Like("title", "gamma PHISHING"), {"C"}),
        (Like("title", "phishing"), set()),
        (Like("title", "*"), {"A", "B", "C", "D", "E"}),
        (StartsWith("title", "alpha"), {"A"}),
        (StartsWith("title", "phishing"), set()),
        (EndsWith("title", "PHISHING"), {"C"}),
        (EndsWith("title", "ware"), {"B", "D"}),
        (Between("startDate", D0 + DAY, D0 + 3 * DAY), {"B", "C"}),
        (Between("severity", 2, 4), {"B", "C", "E"}),
        (Between("severity", 5, 9), set()),
        (In("severity", [1, 4]), {"A", "D"}),
        (In("tags", ["insider", "ransomware"]), {"B", "E"}),
        (In("title", ["Alpha phishing wave", "no such case"]), {"A"}),
        (In("severity", []), set()),
        (Has("summary"), {"D"}),
        (Has("endDate"), {"D"}),
        (Match("title", "phishing alpha"), {"A"}),
        (Match("title", "PHISH"), {"A", "C"}),
        (Eq("severity", 2) & Eq("tags", "insider"), {"E"}),
        (Gte("severity", 1) & Eq("tags", "phishing") & Lt("startDate", D0 + 2 * DAY), {"A"}),
        (Eq("severity", 1) | Eq("severity", 4), {"A", "D"}),
        (Eq("tags", "wave") | Eq("tags", "insider") | Eq("title", "Delta malware"), {"A", "D", "E"}),
        (~Eq("tags", "phishing"), {"B", "D", "E"}),
        (~(Eq("severity", 2) | Eq("severity", 1)), {"C", "D"}),
        (~~Eq("severity", 3), {"C"}),
        ((Eq("tags", "phishing") | Eq("tags", "insider")) & ~StartsWith("title", "gamma"), {"A", "E"}),
        (~Has("summary") & Between("startDate", D0, D0 + 4 * DAY) & ~In("severity", [1]), {"B", "C"}),
    ],
    ids=repr,
)
def test_case_filters(data, flt, expected):
    assert case_set(data, flt) == expected


def test_contains_is_the_deprecated_has(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        flt = Contains("summary")
    assert flt == {"_contains": "summary"}
    assert case_set(data, flt) == {"D"}
    assert case_set(data, ~flt) == {"A", "B", "C", "E"}


def test_id_filter(data):
    assert case_set(data, Id(data.case_ids["B"])) == {"B"}
    assert case_set(data, Id(data.case_ids["B"]) | Id(data.case_ids["E"])) == {"B", "E"}
    assert case_set(data, ~Id(data.case_ids["B"])) == {"A", "C", "D", "E"}


def test_unfiltered_find_and_count(data):
    assert data.api.case.count() == 5
    # Without a sort, newest first.
    assert cases(data, None) == ["E", "D", "C", "B", "A"]


def test_case_sort(data):
    assert cases(data, None, sortby=Asc("title")) == ["A", "B", "D", "E", "C"]
    assert cases(data, None, sortby=Desc("title")) == ["C", "E", "D", "B", "A"]
    assert cases(data, None, sortby=Desc("startDate")) == ["E", "D", "C", "B", "A"]
    assert cases(data, None, sortby=Asc("startDate")) == ["A", "B", "C", "D", "E"]
    # Several keys: `&` concatenates them, the first one leads.
    assert cases(data, None, sortby=Asc("severity") & Desc("title")) == ["A", "E", "B", "C", "D"]
    assert cases(data, None, sortby=Desc("severity") & Asc("title")) == ["D", "C", "B", "E", "A"]
    assert cases(data, Eq("tags", "phishing"), sortby=Desc("severity")) == ["C", "A"]


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (0, 2, ["A", "B"]),
        (2, 4, ["D", "E"]),
        (4, 5, ["C"]),
        (4, 100, ["C"]),  # a page past the end is cut short
        (5, 10, []),  # starting at the end: nothing
        (50, 60, []),
        (0, 5, ["A", "B", "D", "E", "C"]),
        (3, 3, []),  # an empty page
    ],
)
def test_case_pages(data, start, end, expected):
    assert cases(data, None, sortby=Asc("title"), paginate=Paginate(start, end)) == expected


def test_page_extra_data(data):
    page = data.api.case.find(sortby=Asc("title"), paginate=Paginate(0, 3, extra_data=["observableStats"]))
    assert data.case_keys(page) == ["A", "B", "D"]
    assert [c["extraData"]["observableStats"]["total"] for c in page] == [2, 0, 0]


def test_filter_sort_and_page_together(data):
    flt = Gte("severity", 2)
    order = Desc("severity") & Asc("title")
    assert cases(data, flt, sortby=order) == ["D", "C", "B", "E"]
    assert cases(data, flt, sortby=order, paginate=Paginate(1, 3)) == ["C", "B"]
    assert cases(data, flt, sortby=order, paginate=Paginate(3, 10)) == ["E"]
    # Pages of a sorted list never overlap and cover it exactly.
    pages = [cases(data, None, sortby=Asc("severity"), paginate=Paginate(i, i + 2)) for i in (0, 2, 4)]
    flat = [k for page in pages for k in page]
    assert sorted(flat) == ["A", "B", "C", "D", "E"]
    assert flat[0] == "A" and set(flat[1:3]) == {"B", "E"} and flat[3:] == ["C", "D"]
    assert data.api.case.count(filters=flt) == 4


def test_refusals_are_errors(data):
    with pytest.raises(TheHiveError) as err:
        data.api.case.find(filters=Eq("nope", 1))
    assert "nope" in str(err.value)
    with pytest.raises(TheHiveError) as err:
        data.api.case.find(filters=Gt("severity", "high"))
    assert "severity" in str(err.value)


def alerts(d, flt, **kw):
    return d.alert_keys(d.api.alert.find(filters=flt, **kw))


@pytest.mark.parametrize(
    "flt, expected",
    [
        (Eq("source", "suricata"), {"Y", "Z"}),
        (Eq("type", "phishing"), {"X"}),
        (Ne("type", "ids"), {"X"}),
        (Eq("tags", "network"), {"Y", "Z"}),
        (Gt("severity", 2), {"Y", "Z"}),
        (Lte("severity", 3), {"X", "Y"}),
        (In("sourceRef", ["r-1", "r-3"]), {"X", "Z"}),
        (Between("date", D0 + DAY, D0 + 2 * DAY + 1), {"Y", "Z"}),
        (StartsWith("title", "port"), {"Y"}),
        (EndsWith("sourceRef", "-2"), {"Y"}),
        (Like("title", "*beacon*"), {"Z"}),
        (Match("title", "scan port"), {"Y"}),
        (Eq("type", "ids") & Gt("severity", 3), {"Z"}),
        (Eq("tags", "mail") | Eq("tags", "scan"), {"X", "Y"}),
        (~Eq("type", "ids"), {"X"}),
        (~Eq("tags", "network") | Eq("severity", 4), {"X", "Z"}),
        (Has("caseId"), set()),
    ],
    ids=repr,
)
def test_alert_filters(data, flt, expected):
    found = alerts(data, flt)
    assert len(found) == data.api.alert.count(filters=flt)
    assert set(found) == expected


def test_alert_id_filter(data):
    flt = Id(data.alert_ids["X"]) | Eq("title", "Malware beacon")
    assert set(alerts(data, flt)) == {"X", "Z"}
    assert data.api.alert.count(filters=~flt) == 1


def test_alert_sort_and_pages(data):
    assert data.api.alert.count() == 3
    assert alerts(data, None, sortby=Desc("date")) == ["Z", "Y", "X"]
    assert alerts(data, None, sortby=Asc("title")) == ["Z", "Y", "X"]
    assert alerts(data, None, sortby=Asc("source") & Desc("severity")) == ["X", "Z", "Y"]
    assert alerts(data, None, sortby=Desc("date"), paginate=Paginate(1, 2)) == ["Y"]
    assert alerts(data, Eq("source", "suricata"), sortby=Asc("date"), paginate=Paginate(1, 5)) == ["Z"]
    assert alerts(data, None, sortby=Desc("date"), paginate=Paginate(3, 6)) == []


def observables(d, flt, **kw):
    return [o["data"] for o in d.api.observable.find(filters=flt, **kw)]


@pytest.mark.parametrize(
    "flt, expected",
    [
        (Eq("dataType", "ip"), {"198.51.100.1", "198.51.100.2", "203.0.113.1"}),
        (Eq("dataType", "ip") & Eq("ioc", True), {"198.51.100.1", "198.51.100.2"}),
        (Eq("ioc", False), {"evil.example", "https://evil.example/x", "203.0.113.1"}),
        (Eq("tags", "c2"), {"198.51.100.1"}),
        (In("dataType", ["domain", "url"]), {"evil.example", "https://evil.example/x"}),
        (Like("data", "*evil.example*"), {"evil.example", "https://evil.example/x"}),
        (StartsWith("data", "198.51.100."), {"198.51.100.1", "198.51.100.2"}),
        (EndsWith("data", ".1"), {"198.51.100.1", "203.0.113.1"}),
        (~Eq("dataType", "ip"), {"evil.example", "https://evil.example/x"}),
        (Eq("data", "evil.example") | Eq("data", "203.0.113.1"), {"evil.example", "203.0.113.1"}),
    ],
    ids=repr,
)
def test_observable_filters(data, flt, expected):
    found = observables(data, flt)
    assert len(found) == data.api.observable.count(filters=flt)
    assert set(found) == expected


def test_observable_sort_and_pages(data):
    assert data.api.observable.count() == 5
    everything = ["198.51.100.1", "198.51.100.2", "203.0.113.1", "evil.example", "https://evil.example/x"]
    assert observables(data, None, sortby=Asc("data")) == everything
    assert observables(data, None, sortby=Desc("data")) == everything[::-1]
    assert observables(data, None, sortby=Asc("data"), paginate=Paginate(1, 3)) == everything[1:3]
    assert observables(data, Eq("dataType", "ip"), sortby=Desc("data"), paginate=Paginate(0, 1)) == ["203.0.113.1"]
