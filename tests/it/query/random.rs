//! Randomized queries (a fixed-seed generator, so failures reproduce) through the whole
//! stack — parser, compiler, both databases, hydration, rendering: every answer is a 200
//! or a 400 `BadRequest`, never a 500. A 500 here means invalid SQL or a type the
//! compiler let through; the stable-Rust companion of the cargo-fuzz target.

use reqwest::Method;
use serde_json::{Value, json};

use super::fixture::{ALICE, As, request, seed};
use crate::harness::{TestApp, send};

crate::backend_tests!(random_queries_never_fail_the_server);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const INITIALS: &[&str] = &[
    "listCase",
    "listAlert",
    "listTask",
    "listLog",
    "listObservable",
    "listUser",
    "listOrganisation",
    "listProfile",
    "listCustomField",
    "listCaseTemplate",
    "listObservableType",
    "listShare",
    "listAudit",
    "listTag",
    "listTaxonomy",
    "listPattern",
    "listProcedure",
    "listDashboard",
    "listComment",
    "listPage",
    "listPageTemplate",
    "listJob",
    "listAction",
    "currentUser",
    "countCase",
    "countAlert",
    "waitingTasks",
    "myTasks",
    "freetags",
    "countFreetags",
];

const TRAVERSALS: &[&str] = &[
    "tasks",
    "observables",
    "logs",
    "alerts",
    "case",
    "alert",
    "task",
    "shares",
    "organisations",
    "users",
    "cases",
    "similar",
    "comments",
    "pages",
    "procedures",
    "audits",
    "auditsFromContext",
    "assignableUsers",
    "visible",
    "caseTemplate",
    "caseTemplates",
    "pageTemplates",
    "fromCase",
    "fromAlert",
    "fromJobReport",
    "organisation",
    "tags",
    "text",
    "freetags",
    "attachments",
    "linkedCases",
    "similarCases",
];

const FIELDS: &[&str] = &[
    "title",
    "status",
    "stage",
    "severity",
    "tags",
    "_createdAt",
    "_updatedAt",
    "_createdBy",
    "_id",
    "assignee",
    "customFields.businessUnit",
    "customFields.score",
    "customFields.score.integer",
    "customFields.nope",
    "data",
    "dataType",
    "ioc",
    "login",
    "name",
    "message",
    "number",
    "flag",
    "description",
    "startDate",
    "caseId",
    "owner",
    "actionRequired",
    "observableCount",
    "read",
    "imported",
    "profile",
    "patternId",
    "nope",
    "attachment.name",
];

fn value(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0 => json!(rng.below(5) as i64 - 1),
        1 => json!(1.5),
        2 => json!(true),
        3 => Value::Null,
        4 => json!("~101"),
        5 => json!("3"),
        6 => json!("*a*"),
        7 => json!(ALICE),
        8 => json!("New"),
        _ => json!(""),
    }
}

fn filter(rng: &mut Rng, depth: usize) -> Value {
    let field = *rng.pick(FIELDS);
    match rng.below(if depth > 3 { 12 } else { 15 }) {
        0 => json!({"_eq": {"_field": field, "_value": value(rng)}}),
        1 => json!({"_ne": {"_field": field, "_value": value(rng)}}),
        2 => json!({rng.pick(&["_lt", "_lte", "_gt", "_gte"]).to_string(): {field: value(rng)}}),
        3 => json!({"_in": {"_field": field, "_values": [value(rng), value(rng)]}}),
        4 => json!({"_between": {"_field": field, "_from": value(rng), "_to": value(rng)}}),
        5 => {
            json!({rng.pick(&["_like", "_wildcard", "_startsWith", "_endsWith", "_match"]).to_string(): {"_field": field, "_value": "a*b?%_\\"}})
        }
        6 => json!({"_has": field}),
        7 => json!({"_id": rng.pick(&["~101", "~1", "~999999"]).to_string()}),
        8 => json!({"_string": rng.pick(&["phish*", "\"fake invoice\"", "--", "a OR b", "x:y", ""]).to_string()}),
        9 => json!({"_any": {}}),
        10 => json!({field: value(rng)}),
        11 => json!({}),
        12 => json!({"_not": filter(rng, depth + 1)}),
        13 => json!({"_and": [filter(rng, depth + 1), filter(rng, depth + 1)]}),
        _ => json!({"_or": [filter(rng, depth + 1), filter(rng, depth + 1)]}),
    }
}

fn step(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 | 1 => {
            let mut s = filter(rng, 0).as_object().cloned().unwrap_or_default();
            s.insert("_name".into(), json!("filter"));
            Value::Object(s)
        }
        2 => {
            json!({"_name": "sort", "_fields": [{rng.pick(FIELDS).to_string(): rng.pick(&["asc", "desc"]).to_string()}, "-_id"]})
        }
        3 => {
            let from = rng.below(4);
            json!({"_name": "page", "from": from, "to": from + rng.below(4),
                   "extraData": [rng.pick(&["total", "observableStats", "taskStats", "seen", "case", "task", "similarCases", "isOwner"]).to_string()]})
        }
        4 => json!({"_name": rng.pick(&["count", "limitedCount"]).to_string()}),
        _ => json!({"_name": rng.pick(TRAVERSALS).to_string()}),
    }
}

async fn random_queries_never_fail_the_server(app: TestApp) {
    seed(&app).await;
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut answered = 0;
    for _ in 0..400 {
        let mut steps = vec![json!({"_name": rng.pick(INITIALS).to_string()})];
        for _ in 0..rng.below(5) {
            steps.push(step(&mut rng));
        }
        let body = json!({"query": steps});
        let who = if rng.below(4) == 0 { As::Admin } else { As::User(ALICE) };
        let (status, answer) = send(request(&app, who, Method::POST, "/api/v1/query").json(&body)).await;
        match status.as_u16() {
            200 => answered += 1,
            400 => assert_eq!(answer["type"], "BadRequest", "{body} → {answer}"),
            _ => panic!("{body} → {status} {answer}"),
        }
    }
    // The generator must reach the databases, not only the parser's refusals.
    assert!(answered > 100, "only {answered} queries were answered");
}
