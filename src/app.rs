//! The application: shared state, and the server bootstrap that runs on any listener.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::identity_cache::IdentityCache;
use crate::auth::password::PasswordCache;
use crate::auth::secrets::Sealer;
use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::storage::Store;

/// Everything a request handler or background worker may use. Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

pub struct AppInner {
    pub store: Store,
    pub config: Config,
    pub sealer: Sealer,
    pub throttle: LoginThrottle,
    pub password_cache: PasswordCache,
    /// Who each recently seen API key belongs to.
    pub identities: IdentityCache,
    /// Key of the UI's CSRF tokens, derived from the server secret.
    pub csrf: crate::http::ui::csrf::CsrfKey,
    /// The queue of alert creations, written in batches.
    pub alert_intake: crate::service::alerts::intake::AlertIntake,
}

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    pub fn new(store: Store, config: Config, secret: &[u8]) -> App {
        App(Arc::new(AppInner {
            alert_intake: crate::service::alerts::intake::AlertIntake::new(store.clone()),
            store,
            sealer: Sealer::new(secret),
            config,
            throttle: LoginThrottle::default(),
            password_cache: PasswordCache::default(),
            identities: IdentityCache::default(),
            csrf: crate::http::ui::csrf::CsrfKey::new(secret),
        }))
    }
}

/// Opens the database, migrates, bootstraps, then serves on `listener` until `shutdown`
/// resolves. The binary binds the configured address; tests bind `127.0.0.1:0`.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let app = prepare(config).await?;
    serve(app, listener, shutdown).await
}

/// Everything before serving: database, migrations, secret, bootstrap.
pub async fn prepare(config: Config) -> Result<App, String> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", config.data_dir.display()))?;
    let url = config.database()?;
    let store = crate::storage::open(&url, config.sqlite_synchronous, config.postgres_pool_size)
        .await
        .map_err(|e| format!("cannot open database {url}: {e}"))?;
    let applied = crate::storage::migrate(&store, crate::clock::now_ms())
        .await
        .map_err(|e| format!("cannot migrate database {url}: {e}"))?;
    tracing::info!(database = %url, backend = store.backend().name(), migrations_applied = ?applied, "database ready");
    let secret = config.load_secret()?;
    let app = App::new(store, config, &secret);
    crate::service::bootstrap::bootstrap(&app).await.map_err(|e| format!("bootstrap failed: {e}"))?;
    Ok(app)
}

/// Serves HTTP until shutdown, then closes the database cleanly.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let router = crate::http::router(app.clone());
    tracing::info!(%addr, "waggle listening on http://{addr}");
    // Background workers run beside the API and stop after it, before the database closes.
    let workers = crate::jobs::spawn(&app);
    let result = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("server error: {e}"));
    workers.shutdown().await;
    app.store.close().await;
    result
}
