//! Custom fields and case templates: CRUD, template application at case creation, custom
//! field values on cases (forms, types, options, mandatory on close).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cases::{ana, create_case, soc};
use crate::harness::{TestApp, assert_error, send};

crate::backend_tests!(custom_field_crud, case_custom_field_values, case_template_crud, template_applied_at_creation);

async fn field(app: &TestApp, body: Value) -> Value {
    let (status, f) = send(app.as_admin(Method::POST, "/api/v1/customField").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    f
}

async fn custom_field_crud(app: TestApp) {
    soc(&app).await;
    let f = field(
        &app,
        json!({"name": "businessUnit", "displayName": "Business unit", "group": "org", "description": "BU",
               "type": "string", "options": ["Finance", "HR"], "mandatory": false}),
    )
    .await;
    assert_eq!(f["_type"], "CustomField");
    assert_eq!(f["name"], "businessUnit");
    assert_eq!(f["displayName"], "Business unit");
    assert_eq!(f["options"], json!(["Finance", "HR"]));
    let id = f["_id"].as_str().unwrap();
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/customField/{id}"))).await;
    assert_eq!(got, f);
    let (_, by_name) = send(ana(&app, Method::GET, "/api/v1/customField/businessUnit")).await;
    assert_eq!(by_name, f);
    // Name unique.
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/customField").json(&json!({"name": "businessUnit", "type": "integer"})),
    )
    .await;
    assert_error(status, &body, 400, "CreateError");
    // Bad input.
    for (b, name) in [
        (json!({"name": "x", "type": "colour"}), "type"),
        (json!({"type": "string"}), "name"),
        (json!({"name": "x"}), "type"),
        (json!({"name": "x", "type": "integer", "options": ["a"]}), "options"),
        (json!({"name": "x", "type": "string", "mandatory": "yes"}), "mandatory"),
    ] {
        let (status, body) = send(app.as_admin(Method::POST, "/api/v1/customField").json(&b)).await;
        assert_error(status, &body, 400, "AttributeCheckingError");
        assert_eq!(body["errors"][0]["name"], name, "{body}");
    }
    // Only the admin organisation manages custom fields.
    let (status, body) =
        send(ana(&app, Method::POST, "/api/v1/customField").json(&json!({"name": "y", "type": "string"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // Update.
    let (status, _) = send(
        app.as_admin(Method::PATCH, &format!("/api/v1/customField/{id}"))
            .json(&json!({"displayName": "BU", "options": ["Finance", "HR", "IT"], "mandatory": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, "/api/v1/customField")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["displayName"], "BU");
    assert_eq!(list[0]["mandatory"], true);
    // In use: deletion needs force.
    create_case(&app, json!({"title": "t", "description": "d", "customFields": {"businessUnit": "IT"}})).await;
    let (status, body) = send(app.as_admin(Method::DELETE, &format!("/api/v1/customField/{id}"))).await;
    assert_error(status, &body, 400, "BadRequest");
    let (status, _) = send(app.as_admin(Method::DELETE, &format!("/api/v1/customField/{id}?force=True"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/customField/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, cases) = send(ana(&app, Method::GET, "/api/v1/case")).await;
    assert_eq!(cases[0]["customFields"], json!([]));
}

async fn case_custom_field_values(app: TestApp) {
    soc(&app).await;
    for (name, ty) in [("s", "string"), ("i", "integer"), ("f", "float"), ("b", "boolean"), ("d", "date"), ("u", "url")]
    {
        field(&app, json!({"name": name, "type": ty})).await;
    }
    field(&app, json!({"name": "level", "type": "integer", "options": [1, 2, 3]})).await;
    field(&app, json!({"name": "must", "type": "string", "mandatory": true})).await;
    // Object form.
    let c = create_case(
        &app,
        json!({"title": "t", "description": "d", "customFields":
               {"s": "x", "i": 42, "f": 1.5, "b": true, "d": 1_700_000_000_000_i64, "u": "https://e.example/a", "must": null}}),
    )
    .await;
    let values: Vec<(String, Value)> = c["customFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap().to_owned(), v["value"].clone()))
        .collect();
    assert_eq!(values.len(), 7, "{c}");
    assert!(values.contains(&("i".into(), json!(42))));
    assert!(values.contains(&("b".into(), json!(true))));
    assert!(values.contains(&("must".into(), Value::Null)));
    let orders: Vec<i64> = c["customFields"].as_array().unwrap().iter().map(|v| v["order"].as_i64().unwrap()).collect();
    assert_eq!(orders, (0..7).collect::<Vec<i64>>());
    // List form with explicit order, and TheHive 4's key.
    let c2 = create_case(
        &app,
        json!({"title": "t", "description": "d", "customFieldValues":
               [{"name": "level", "value": 2, "order": 1}, {"name": "s", "value": "first", "order": 0}]}),
    )
    .await;
    assert_eq!(c2["customFields"][0]["name"], "s");
    assert_eq!(c2["customFields"][1]["value"], 2);
    // Wrong types, unknown field and option: 400 naming the field, nothing stored.
    for (cf, name) in [
        (json!({"i": "many"}), "customFields.i"),
        (json!({"b": "yes"}), "customFields.b"),
        (json!({"u": "not a url"}), "customFields.u"),
        (json!({"level": 7}), "customFields.level"),
        (json!({"ghost": 1}), "customFields.ghost"),
        (json!([{"value": 1}]), "customFields[0].name"),
    ] {
        let (status, body) = send(
            ana(&app, Method::POST, "/api/v1/case")
                .json(&json!({"title": "bad", "description": "d", "customFields": cf})),
        )
        .await;
        assert_error(status, &body, 400, "AttributeCheckingError");
        assert_eq!(body["errors"][0]["name"], name, "{body}");
    }
    let (_, all) = send(ana(&app, Method::GET, "/api/v1/case")).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    // PATCH: object and dotted forms; other values kept.
    let path = format!("/api/v1/case/{}", c["_id"].as_str().unwrap());
    let (status, body) =
        send(ana(&app, Method::PATCH, &path).json(&json!({"customFields": {"i": 7}, "customFields.s": "y"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    let get = |n: &str| got["customFields"].as_array().unwrap().iter().find(|v| v["name"] == n).unwrap().clone();
    assert_eq!(get("i")["value"], 7);
    assert_eq!(get("s")["value"], "y");
    assert_eq!(get("f")["value"], 1.5);
    // A mandatory field without value blocks closing.
    let (status, body) = send(ana(&app, Method::PATCH, &path).json(&json!({"status": "TruePositive"}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "customFields.must");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got["stage"], "New");
    let (status, _) =
        send(ana(&app, Method::PATCH, &path).json(&json!({"status": "TruePositive", "customFields.must": "ok"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Removing one value by its id.
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    let vid = get("s")["_id"].as_str().unwrap().to_owned();
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/case/customField/{vid}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, after) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(after["customFields"].as_array().unwrap().len(), got["customFields"].as_array().unwrap().len() - 1);
}

async fn case_template_crud(app: TestApp) {
    soc(&app).await;
    field(&app, json!({"name": "bu", "type": "string"})).await;
    let (status, t) = send(ana(&app, Method::POST, "/api/v1/caseTemplate").json(&json!({"name": "x"}))).await;
    assert_error(status, &t, 403, "AuthorizationError");
    app.create_user("boss@soc.test", "soc", "org-admin").await;
    let boss = |m: Method, p: &str| app.as_user(m, p, "boss@soc.test", &crate::harness::password_of("boss@soc.test"));
    let (status, t) = send(boss(Method::POST, "/api/v1/caseTemplate").json(&json!({
        "name": "phishing", "displayName": "Phishing", "titlePrefix": "[PHISH]", "description": "Phishing case",
        "severity": 3, "tlp": 1, "pap": 0, "tags": ["phishing"], "flag": true, "summary": "sum",
        "tasks": [{"title": "Collect headers", "order": 0}, {"title": "Block sender", "group": "containment", "order": 1}],
        "customFields": [{"name": "bu", "value": "Finance"}]
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["_type"], "CaseTemplate");
    assert_eq!(t["severityLabel"], "HIGH");
    assert_eq!(t["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(t["customFields"][0]["value"], "Finance");
    let id = t["_id"].as_str().unwrap();
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/caseTemplate/{id}"))).await;
    assert_eq!(got, t);
    let (_, by_name) = send(ana(&app, Method::GET, "/api/v1/caseTemplate/phishing")).await;
    assert_eq!(by_name, t);
    let (status, body) = send(boss(Method::POST, "/api/v1/caseTemplate").json(&json!({"name": "phishing"}))).await;
    assert_error(status, &body, 400, "CreateError");
    let (status, body) =
        send(boss(Method::POST, "/api/v1/caseTemplate").json(&json!({"name": "t2", "severity": 9}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "severity");
    let (status, body) =
        send(boss(Method::POST, "/api/v1/caseTemplate").json(&json!({"name": "t2", "customFields": {"nope": "x"}})))
            .await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    // Update: scalar fields, tasks replaced.
    let (status, body) = send(boss(Method::PATCH, &format!("/api/v1/caseTemplate/{id}")).json(&json!({
        "severity": 2, "titlePrefix": null, "tasks": [{"title": "Only task"}]
    })))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/caseTemplate/{id}"))).await;
    assert_eq!(got["severity"], 2);
    assert!(got.get("titlePrefix").is_none());
    assert_eq!(got["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(got["customFields"][0]["value"], "Finance");
    // Another organisation does not see it.
    app.create_org("other").await;
    app.create_user("eve@other.test", "other", "org-admin").await;
    let (status, _) =
        send(app.as_user(Method::GET, &format!("/api/v1/caseTemplate/{id}"), "eve@other.test", "pw-eve@other.test"))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = send(ana(&app, Method::GET, "/api/v1/caseTemplate")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Delete.
    let (status, _) = send(boss(Method::DELETE, &format!("/api/v1/caseTemplate/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/caseTemplate/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn template_applied_at_creation(app: TestApp) {
    soc(&app).await;
    field(&app, json!({"name": "bu", "type": "string"})).await;
    field(&app, json!({"name": "score", "type": "integer"})).await;
    app.create_user("boss@soc.test", "soc", "org-admin").await;
    let boss = |m: Method, p: &str| app.as_user(m, p, "boss@soc.test", &crate::harness::password_of("boss@soc.test"));
    let (status, pt) = send(
        boss(Method::POST, "/api/v1/pageTemplate")
            .json(&json!({"title": "Report", "content": "# R", "category": "reports"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{pt}");
    let (status, t) = send(boss(Method::POST, "/api/v1/caseTemplate").json(&json!({
        "name": "phishing", "titlePrefix": "[PHISH] ", "description": "From template", "severity": 3, "tlp": 3, "pap": 1,
        "tags": ["phishing", "mail"], "flag": true,
        "tasks": [{"title": "Collect headers", "group": "triage"}],
        "customFields": {"bu": "Finance", "score": 5},
        "pageTemplateIds": [pt["_id"]]
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let c = create_case(
        &app,
        json!({"title": "Mail", "caseTemplate": "phishing", "tags": ["vip"], "pap": 3,
               "customFields": {"score": 9}, "tasks": [{"title": "Own task"}]}),
    )
    .await;
    assert_eq!(c["title"], "[PHISH] Mail");
    assert_eq!(c["description"], "From template");
    assert_eq!((c["severity"].as_i64(), c["tlp"].as_i64(), c["pap"].as_i64()), (Some(3), Some(3), Some(3)));
    assert_eq!(c["flag"], true);
    assert_eq!(c["tags"], json!(["vip", "phishing", "mail"]));
    assert_eq!(c["caseTemplate"], "phishing");
    let cf: Vec<(String, Value, i64)> = c["customFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap().to_owned(), v["value"].clone(), v["order"].as_i64().unwrap()))
        .collect();
    assert_eq!(cf, vec![("score".into(), json!(9), 0), ("bu".into(), json!("Finance"), 1)]);
    let case_id = c["_id"].as_str().unwrap();
    let (_, tasks) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/task"))).await;
    let titles: Vec<&str> = tasks.as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["Collect headers", "Own task"]);
    let (_, pages) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/page"))).await;
    assert_eq!(pages[0]["title"], "Report");
    assert_eq!(pages[0]["category"], "reports");
    // By template id too.
    let c2 = create_case(&app, json!({"title": "Other", "description": "own", "caseTemplate": t["_id"]})).await;
    assert_eq!(c2["description"], "own");
    assert_eq!(c2["title"], "[PHISH] Other");
    // The template stays editable without touching existing cases.
    let (status, _) =
        send(boss(Method::PATCH, "/api/v1/caseTemplate/phishing").json(&json!({"tags": ["changed"]}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, again) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}"))).await;
    assert_eq!(again["tags"], json!(["vip", "phishing", "mail"]));
}
