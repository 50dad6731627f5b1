//! An example actix-web shop that takes KupiKupi cashback points.
//!
//! The shop sells from a small catalogue. A customer orders with a phone
//! number, is shown their points on the order page, pays on the KupiKupi form
//! and comes back to the order marked paid. Orders live in SQLite
//! ([`Db`]), whose [`kupikupi_actix::OrderStore`] implementation is the
//! reference for the store contract.
//!
//! [`start`] runs the shop in-process, which is what the `shop` example
//! and the end-to-end tests do:
//!
//! ```no_run
//! use kupikupi::{SecretKey, UidPlatform};
//! use kupikupi_examples::{ServiceConfig, ShopConfig, start};
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = ServiceConfig {
//!     base_url: "https://api.kupikupi.example/".into(),
//!     uid_platform: UidPlatform::new("M2hULcD5OiYGkmSK")?,
//!     secret_key: SecretKey::new(std::env::var("KUPIKUPI_SECRET_KEY")?)?,
//! };
//! let shop = start(ShopConfig::new("shop.sqlite3".into(), service)).await?;
//! println!("open {}", shop.url());
//! shop.stop().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod db;
mod pages;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use kupikupi::{Client, KupiKupi, SecretKey, UidPlatform};
use kupikupi_actix::KupiKupiRoutes;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};
use url::Url;

pub use crate::db::{Db, DbError, EventRow, Order, StoredOrder};
pub use crate::pages::{CATALOGUE, Product};

/// The KupiKupi service's address and the shop's credentials there.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The API's base URL, such as `https://api.kupikupi.example/`.
    pub base_url: String,
    /// The platform UID the service issued to the shop.
    pub uid_platform: UidPlatform,
    /// The platform's secret key; its `Debug` output is masked.
    pub secret_key: SecretKey,
}

/// Settings of the shop.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShopConfig {
    /// The SQLite file with the orders; created if missing.
    pub database: PathBuf,
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Whether to take a free port when [`ShopConfig::port`] is taken,
    /// instead of failing.
    pub fall_back_to_free_port: bool,
    /// The address customers' browsers reach the shop at; defaults to
    /// `http://127.0.0.1:{port}/`.
    pub public_url: Option<String>,
    /// The KupiKupi service.
    pub service: ServiceConfig,
    /// A phone number to fill in on the catalogue page, for demos.
    pub demo_phone: Option<String>,
    /// HTTP worker threads.
    pub workers: usize,
}

impl ShopConfig {
    /// Settings with an ephemeral port, no fallback, the default public URL
    /// and two workers.
    pub fn new(database: PathBuf, service: ServiceConfig) -> Self {
        ShopConfig {
            database,
            port: 0,
            fall_back_to_free_port: false,
            public_url: None,
            service,
            demo_phone: None,
            workers: 2,
        }
    }
}

/// An error that kept the shop from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened.
    #[error("cannot open the order database")]
    Database(#[from] DbError),
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}")]
    Bind {
        /// The requested port.
        port: u16,
        /// The socket error.
        #[source]
        source: io::Error,
    },
    /// The KupiKupi client could not be built from the settings.
    #[error("invalid KupiKupi settings")]
    Client(#[from] kupikupi::Error),
    /// The shop's public URL is not usable.
    #[error("invalid public URL")]
    PublicUrl(#[from] kupikupi_actix::ConfigError),
}

/// State shared by every page handler.
#[derive(Debug)]
pub(crate) struct ShopState {
    pub(crate) db: Db,
    pub(crate) kupikupi: Arc<KupiKupi>,
    pub(crate) routes: KupiKupiRoutes<Db>,
    pub(crate) public_url: Url,
    pub(crate) demo_phone: Option<String>,
}

/// Starts the shop on 127.0.0.1 and returns once it listens.
///
/// Call it inside a Tokio runtime; the HTTP server runs on its own worker
/// threads.
///
/// # Errors
///
/// Returns [`StartError`] when the database, the port, the KupiKupi
/// settings or the public URL do not work.
pub async fn start(config: ShopConfig) -> Result<ShopHandle, StartError> {
    let db = Db::open(&config.database)?;
    let listener = bind(config.port, config.fall_back_to_free_port)?;
    let address = listener.local_addr().map_err(|source| StartError::Bind {
        port: config.port,
        source,
    })?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}/"));

    // The KupiKupi lines a merchant adds: a client, the payment method and
    // the routes with the store.
    let service = config.service;
    let client =
        Client::builder(service.uid_platform, service.secret_key, &service.base_url).build()?;
    let kupikupi = Arc::new(KupiKupi::new(client));
    let routes = KupiKupiRoutes::new(kupikupi.clone(), db.clone()).public_base_url(&public_url)?;

    let state = web::Data::new(ShopState {
        db: db.clone(),
        kupikupi,
        routes: routes.clone(),
        public_url: Url::parse(&public_url).map_err(|_| {
            kupikupi_actix::ConfigError::PublicBaseUrl {
                url: public_url.clone(),
                reason: "not an absolute URL",
            }
        })?,
        demo_phone: config.demo_phone,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(routes.finish())
            .configure(pages::routes)
    })
    .workers(config.workers)
    .disable_signals()
    .listen(listener)
    .map_err(|source| StartError::Bind {
        port: config.port,
        source,
    })?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    info!(address = %address, public_url = %public_url, database = %config.database.display(), "shop started");
    Ok(ShopHandle {
        address,
        url: public_url,
        db,
        server: handle,
        task: Arc::new(Mutex::new(Some(task))),
    })
}

fn bind(port: u16, fall_back: bool) -> Result<TcpListener, StartError> {
    let bind_port = |port: u16| TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    match bind_port(port) {
        Ok(listener) => Ok(listener),
        Err(error) if fall_back && port != 0 && error.kind() == io::ErrorKind::AddrInUse => {
            warn!(port, "port taken; taking a free one instead");
            bind_port(0).map_err(|source| StartError::Bind { port: 0, source })
        }
        Err(source) => Err(StartError::Bind { port, source }),
    }
}

/// A running shop.
#[derive(Debug, Clone)]
pub struct ShopHandle {
    address: SocketAddr,
    url: String,
    db: Db,
    server: ServerHandle,
    task: Arc<Mutex<Option<JoinHandle<io::Result<()>>>>>,
}

impl ShopHandle {
    /// The bound address on 127.0.0.1.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The shop's public URL, ending in `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL the service must send notifications to.
    pub fn notification_url(&self) -> String {
        format!("{}kupikupi/notifications", self.url)
    }

    /// The shop's database, for tests and tools.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stops the shop, letting requests in progress finish. Calling it
    /// again does nothing.
    pub async fn stop(&self) {
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(task) = task else {
            return;
        };
        self.server.stop(true).await;
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(%error, "shop HTTP server ended with an error"),
            Err(error) => warn!(%error, "shop HTTP server task failed"),
        }
        debug!(address = %self.address, "shop stopped");
    }
}
