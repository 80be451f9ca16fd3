//! The custom field values of an alert, on its summary page: edited in one form, or a
//! field added from the global definitions; typed as on the case page, checked by the
//! service (which carries them into the case when the alert is promoted).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use serde_json::json;

use crate::app::App;
use crate::error::ApiError;
use crate::http::ui::case_tabs::fields::values_of;
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::page::{Ui, done, or_show_again};
use crate::service::{alerts, custom_fields};

pub fn router() -> Router<App> {
    Router::new().route("/alerts/{id}/fields", post(save))
}

async fn save(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let to = format!("/alerts/{id}");
    let result = async {
        let defs = custom_fields::list(&app).await?;
        let values = values_of(&form, &defs)?;
        if values.is_empty() {
            return Err(ApiError::missing("customFields"));
        }
        alerts::update(&app, &ui.caller, &id, &json!({ "customFields": values })).await.map(|()| done(&to, "saved"))
    }
    .await;
    or_show_again(result, |msg| async move { crate::http::ui::alerts::render_alert(&app, &ui, &id, Some(&msg)).await })
        .await
}
