//! Static files of the UI, embedded in the binary ("one binary") and served under a
//! content-derived version, so that browsers may cache them forever and still pick up a
//! new release at once: `/assets/<version>/app.js`.
//!
//! Only files written for Waggle live here; third-party browser code is never pasted in.
//!
//! Development switch: a debug build serves the files from the source tree when it is
//! there (`assets/ui/`), uncached, so editing the script or stylesheet needs a reload, not
//! a rebuild. Release builds only ever serve the embedded bytes. (Templates are compiled
//! in and always need a rebuild.)

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::App;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../assets/ui/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../assets/ui/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../../assets/ui/favicon.svg"),
    },
];

/// The cache-buster: a digest of every asset, so any change gives new URLs.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut all = Vec::new();
    for a in ASSETS {
        all.extend_from_slice(a.name.as_bytes());
        all.extend_from_slice(a.bytes);
    }
    crate::auth::secrets::sha256_hex(&all)[..12].to_owned()
});

/// The URL of an embedded asset, with the version in it.
pub fn url(name: &str) -> String {
    format!("/assets/{}/{name}", *VERSION)
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/assets/{version}/{name}", get(serve))
        // Browsers ask for it whatever the page says.
        .route("/favicon.ico", get(|| serve(Path((String::new(), "favicon.svg".to_owned())))))
}

async fn serve(Path((version, name)): Path<(String, String)>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // A page from an older release may ask for an old version: serve the current file,
    // but do not let it be cached under the old URL.
    let cache = if version == *VERSION { "public, max-age=31536000, immutable" } else { "no-cache" };
    #[cfg(debug_assertions)]
    if let Ok(bytes) = tokio::fs::read(format!("{}/assets/ui/{}", env!("CARGO_MANIFEST_DIR"), asset.name)).await {
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ];
        return (headers, bytes).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.bytes,
    )
        .into_response()
}
