//! Linked cases (TheHive 5 `GET /api/v1/case/{id}/links` and the `linkedCases` query
//! traversal): the other cases the caller can see that hold an observable with the same
//! data type and data as one of this case's, each with this case's observables that make
//! the link (`linkedWith`). Served from the correlation index (`observable_data_idx`), as
//! an alert's similar cases are; observables marked `ignoreSimilarity` link nothing.

use super::{CaseView, find, view};
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::storage::observables::{self, Observable, Parent};
use crate::storage::{Tx, cases};

/// One linked case and the observables of the origin case it shares.
pub struct Link {
    pub case: CaseView,
    pub linked_with: Vec<Observable>,
}

/// `GET /case/{idOrNumber}/links`: 404 when the case is invisible.
pub async fn links(app: &App, caller: &Caller, id_or_number: &str) -> Result<Vec<Link>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = find(&mut tx, caller, id_or_number).await?;
    links_of(&mut tx, caller, case.id).await
}

/// The links of a visible case, newest linked case first.
pub async fn links_of(tx: &mut Tx, caller: &Caller, case_id: i64) -> Result<Vec<Link>, ApiError> {
    let scope = caller.scope();
    let mut out = Vec::new();
    for similar in observables::similar_cases(tx, &scope, Parent::Case(case_id)).await? {
        let Some(other) = cases::get(tx, &scope, similar.case_id).await? else { continue };
        let linked_with =
            observables::similar_between(tx, &scope, Parent::Case(case_id), Parent::Case(similar.case_id)).await?;
        out.push(Link { case: view(tx, caller, other).await?, linked_with });
    }
    out.sort_by(|a, b| {
        b.case.case.meta.created_at.cmp(&a.case.case.meta.created_at).then(b.case.case.id.cmp(&a.case.case.id))
    });
    Ok(out)
}
