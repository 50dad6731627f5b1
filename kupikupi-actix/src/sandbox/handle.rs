//! Starting, controlling and stopping a sandbox.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use kupikupi::{Kopecks, PaymentId, Phone, SecretKey, UidPlatform};
use tokio::task::JoinHandle;
use tracing::{debug, warn};
use url::Url;

use super::config::{
    DEFAULT_DEADLINE, DEFAULT_DELIVERY_TIMEOUT, Faults, RetrySchedule, SandboxPlatform,
};
use super::delivery::{self, Delivery};
use super::model::{Account, PaymentSnapshot, PendingCode};
use super::server::{self, Shared};
use super::state::State;

/// The maximum deadline [`SandboxBuilder::deadline`] accepts: 365 days.
pub const MAX_DEADLINE: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How long the sandbox keeps an idle keep-alive connection open.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(120);

/// Entry point: [`Sandbox::builder`] configures and starts a sandbox.
#[derive(Debug)]
pub struct Sandbox {
    _private: (),
}

impl Sandbox {
    /// Starts configuring a sandbox with no platforms and no customers, the
    /// [`DEFAULT_DEADLINE`], the default [`RetrySchedule`] and an ephemeral
    /// port.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            platforms: Vec::new(),
            customers: Vec::new(),
            deadline: DEFAULT_DEADLINE,
            retry: RetrySchedule::default(),
            delivery_timeout: DEFAULT_DELIVERY_TIMEOUT,
            port: 0,
            workers: 2,
        }
    }
}

/// Configures a sandbox; created by [`Sandbox::builder`], finished by
/// [`SandboxBuilder::start`].
#[derive(Debug)]
pub struct SandboxBuilder {
    platforms: Vec<SandboxPlatform>,
    customers: Vec<(Phone, Kopecks)>,
    deadline: Duration,
    retry: RetrySchedule,
    delivery_timeout: Duration,
    port: u16,
    workers: usize,
}

/// Why a sandbox could not start or a control call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The configuration is inconsistent. The message names the setting to
    /// change.
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}")]
    Bind {
        /// The requested port; 0 means an ephemeral one.
        port: u16,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client for notifications could not be created.
    #[error("cannot create the notification HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// No platform with this UID is registered.
    #[error("no platform {0} is registered at the sandbox")]
    UnknownPlatform(UidPlatform),
    /// A wait ended before its condition held.
    #[error("timed out after {0:?} waiting for the sandbox")]
    Timeout(Duration),
}

impl SandboxBuilder {
    /// Registers a platform with its secret key.
    pub fn platform(self, uid: UidPlatform, secret: SecretKey) -> Self {
        self.add_platform(SandboxPlatform::new(uid, secret))
    }

    /// Registers a platform with its shop name, notification URL or faults.
    pub fn add_platform(mut self, platform: SandboxPlatform) -> Self {
        self.platforms.push(platform);
        self
    }

    /// Registers a customer with a points balance.
    pub fn customer(mut self, phone: Phone, balance: Kopecks) -> Self {
        self.customers.push((phone, balance));
        self
    }

    /// Sets how long a payment may stay unfinished after `Init` before it
    /// becomes `DEADLINE_EXPIRED`. Default: [`DEFAULT_DEADLINE`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the pauses between notification attempts. Default:
    /// [`RetrySchedule::default`], which waits minutes.
    pub fn retry_schedule(mut self, schedule: RetrySchedule) -> Self {
        self.retry = schedule;
        self
    }

    /// Sets how long one notification attempt may take. Default:
    /// [`DEFAULT_DELIVERY_TIMEOUT`].
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.delivery_timeout = timeout;
        self
    }

    /// Sets the port on 127.0.0.1. Default: 0, an ephemeral port chosen by
    /// the operating system; [`SandboxHandle::base_url`] tells which.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the number of HTTP worker threads. Default: 2.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// Binds the port and starts serving.
    ///
    /// Call it inside a Tokio runtime: deadline timers and notification
    /// deliveries run as tasks on that runtime, and the HTTP server on its own
    /// worker threads.
    ///
    /// # Errors
    ///
    /// - [`SandboxError::Config`] when no platform is registered, a platform
    ///   UID or customer phone is registered twice, or the deadline, delivery
    ///   timeout or worker count is zero.
    /// - [`SandboxError::Bind`] when the port is taken.
    /// - [`SandboxError::HttpClient`] when the notification client cannot be
    ///   created.
    pub async fn start(self) -> Result<SandboxHandle, SandboxError> {
        self.validate()?;
        let customers = unique_customers(self.customers)?;
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))
            .map_err(|source| SandboxError::Bind {
                port: self.port,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| SandboxError::Bind {
            port: self.port,
            source,
        })?;
        let base_url = Url::parse(&format!("http://{address}/"))
            .map_err(|source| SandboxError::Config(format!("invalid base URL: {source}")))?;
        let http = reqwest::Client::builder()
            .timeout(self.delivery_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("kupikupi-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(SandboxError::HttpClient)?;

        let platform_count = self.platforms.len();
        let state = State::new(base_url.clone(), self.deadline, self.platforms, customers);
        let shared = Arc::new(Shared::new(
            state,
            http,
            self.retry,
            tokio::runtime::Handle::current(),
        ));
        let data = web::Data::from(Arc::clone(&shared));
        let server =
            HttpServer::new(move || App::new().app_data(data.clone()).configure(server::routes))
                .workers(self.workers)
                // HTTP clients keep idle connections in a pool (reqwest for 90
                // seconds) and may open one they end up not using. With actix-web's
                // defaults the server closes an idle connection after 5 seconds, or
                // answers a never-used one with 408, and a request sent on it at
                // that moment fails. So idle connections stay open until the
                // client closes them or two minutes pass.
                .keep_alive(IDLE_CONNECTION_TIMEOUT)
                .client_request_timeout(Duration::ZERO)
                .disable_signals()
                .listen(listener)
                .map_err(|source| SandboxError::Bind {
                    port: self.port,
                    source,
                })?
                .run();
        let server_handle = server.handle();
        let server_task = tokio::spawn(server);
        debug!(
            address = %address,
            platforms = platform_count,
            deadline = ?self.deadline,
            retry_schedule = %shared.retry,
            "sandbox started"
        );
        Ok(SandboxHandle {
            control: Arc::new(Control {
                shared,
                base_url,
                server: server_handle,
                server_task: Mutex::new(Some(server_task)),
            }),
        })
    }

    fn validate(&self) -> Result<(), SandboxError> {
        if self.platforms.is_empty() {
            return Err(SandboxError::Config(
                "register at least one platform with SandboxBuilder::platform".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for platform in &self.platforms {
            if !seen.insert(platform.uid.clone()) {
                return Err(SandboxError::Config(format!(
                    "the platform {} is registered twice",
                    platform.uid
                )));
            }
        }
        if self.deadline.is_zero() {
            return Err(SandboxError::Config(
                "the deadline must be greater than zero".into(),
            ));
        }
        // Deadlines are instants from now; a huge one would overflow when a
        // payment starts, so it is refused here.
        if self.deadline > MAX_DEADLINE {
            return Err(SandboxError::Config(
                "the deadline must be at most 365 days".into(),
            ));
        }
        if self.delivery_timeout.is_zero() {
            return Err(SandboxError::Config(
                "the delivery timeout must be greater than zero".into(),
            ));
        }
        if self.workers == 0 {
            return Err(SandboxError::Config(
                "the number of workers must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

fn unique_customers(
    customers: Vec<(Phone, Kopecks)>,
) -> Result<HashMap<Phone, Kopecks>, SandboxError> {
    let mut unique = HashMap::with_capacity(customers.len());
    for (phone, balance) in customers {
        match unique.entry(phone) {
            Entry::Occupied(entry) => {
                return Err(SandboxError::Config(format!(
                    "the customer {} is registered twice",
                    entry.key()
                )));
            }
            Entry::Vacant(entry) => {
                entry.insert(balance);
            }
        }
    }
    Ok(unique)
}

/// A running sandbox. Clones control the same sandbox.
///
/// The sandbox stops on [`SandboxHandle::stop`], or when the last clone is
/// dropped; dropping stops the HTTP server and aborts deliveries without
/// waiting for them.
#[derive(Clone)]
pub struct SandboxHandle {
    control: Arc<Control>,
}

struct Control {
    shared: Arc<Shared>,
    base_url: Url,
    server: ServerHandle,
    server_task: Mutex<Option<JoinHandle<std::io::Result<()>>>>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("base_url", &self.control.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let running = self
            .server_task
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some();
        if running {
            // `stop` sends the command at once; the returned future only
            // waits for the shutdown to finish.
            drop(self.server.stop(false));
            self.shared.abort_tasks();
            debug!(address = %self.base_url, "sandbox dropped; stopped without waiting");
        }
    }
}

impl SandboxHandle {
    /// The base URL of the API, such as `http://127.0.0.1:41234/`; pass it
    /// to `kupikupi::Client::builder`.
    pub fn base_url(&self) -> &Url {
        &self.control.base_url
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.control.base_url.clone();
        url.set_path(path);
        url
    }

    /// The customer's account page, which shows the balance and the
    /// transfer codes.
    pub fn account_url(&self, phone: &Phone) -> Url {
        self.url(&format!("/sandbox/accounts/{}", phone.full()))
    }

    /// The account as JSON, in the shape of [`Account`].
    pub fn account_json_url(&self, phone: &Phone) -> Url {
        self.url(&format!("/sandbox/accounts/{}/json", phone.full()))
    }

    /// The page listing every notification attempt.
    pub fn deliveries_url(&self) -> Url {
        self.url("/sandbox/deliveries")
    }

    /// The delivery log as JSON, a list in the shape of [`Delivery`].
    pub fn deliveries_json_url(&self) -> Url {
        self.url("/sandbox/deliveries/json")
    }

    /// Where a platform's [`Faults`] are read (`GET`) and replaced (`PUT`)
    /// as JSON.
    pub fn faults_url(&self, uid: &UidPlatform) -> Url {
        let mut url = self.url("/sandbox/platforms/");
        url.path_segments_mut()
            .map(|mut segments| {
                segments.pop_if_empty().push(uid.as_str()).push("faults");
            })
            .ok();
        url
    }

    /// Sets where a platform's notifications go, for example once the shop
    /// knows its own port. Deliveries waiting for a retry use the new URL.
    ///
    /// # Errors
    ///
    /// Returns [`SandboxError::UnknownPlatform`] for an unregistered UID.
    pub fn set_notification_url(&self, uid: &UidPlatform, url: Url) -> Result<(), SandboxError> {
        debug!(uid_platform = %uid, url = %url, "notification URL set");
        let known = self
            .control
            .shared
            .with_state_anyway(|state, _, _| state.set_notification_url(uid, url));
        known
            .then_some(())
            .ok_or_else(|| SandboxError::UnknownPlatform(uid.clone()))
    }

    /// Replaces a platform's faults. Notifications queued afterwards use them.
    ///
    /// # Errors
    ///
    /// Returns [`SandboxError::UnknownPlatform`] for an unregistered UID.
    pub fn set_faults(&self, uid: &UidPlatform, faults: Faults) -> Result<(), SandboxError> {
        debug!(uid_platform = %uid, ?faults, "faults set");
        let known = self
            .control
            .shared
            .with_state_anyway(|state, _, _| state.set_faults(uid, faults));
        known
            .then_some(())
            .ok_or_else(|| SandboxError::UnknownPlatform(uid.clone()))
    }

    /// A platform's current faults.
    ///
    /// # Errors
    ///
    /// Returns [`SandboxError::UnknownPlatform`] for an unregistered UID.
    pub fn faults(&self, uid: &UidPlatform) -> Result<Faults, SandboxError> {
        self.control
            .shared
            .with_state_anyway(|state, _, _| state.faults(uid).cloned())
            .ok_or_else(|| SandboxError::UnknownPlatform(uid.clone()))
    }

    /// A customer's points balance, or `None` for an unknown phone.
    pub fn balance(&self, phone: &Phone) -> Option<Kopecks> {
        self.control
            .shared
            .with_state_anyway(|state, _, _| state.balance(phone))
    }

    /// Sets a customer's balance, registering the customer if needed.
    pub fn set_balance(&self, phone: &Phone, balance: Kopecks) {
        debug!(phone = %phone, balance = balance.get(), "customer balance set");
        self.control
            .shared
            .with_state_anyway(|state, _, _| state.set_balance(phone.clone(), balance));
    }

    /// The transfer codes of a customer's open payments, oldest first; empty
    /// for an unknown phone.
    pub fn pending_codes(&self, phone: &Phone) -> Vec<PendingCode> {
        self.account(phone)
            .map(|account| account.pending)
            .unwrap_or_default()
    }

    /// A customer's balance and transfer codes, as the account page shows
    /// them, or `None` for an unknown phone.
    pub fn account(&self, phone: &Phone) -> Option<Account> {
        self.control
            .shared
            .with_state_anyway(|state, now, outbox| state.account(phone, now, outbox))
    }

    /// A payment as the sandbox stores it.
    pub fn payment(&self, payment_id: &PaymentId) -> Option<PaymentSnapshot> {
        self.control
            .shared
            .with_state_anyway(|state, now, outbox| state.payment(payment_id, now, outbox))
    }

    /// The points a platform has received from confirmed payments, or `None`
    /// for an unregistered UID.
    pub fn received_points(&self, uid: &UidPlatform) -> Option<Kopecks> {
        self.control
            .shared
            .with_state_anyway(|state, _, _| state.received(uid))
    }

    /// Every notification queued so far, with its attempts, in queue order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.control.shared.deliveries.snapshot()
    }

    /// Waits until `ready` returns `true` for the delivery log, and returns
    /// the log at that moment.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use kupikupi::{SecretKey, UidPlatform};
    /// # use kupikupi_actix::sandbox::{DeliveryState, Sandbox};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = Sandbox::builder()
    /// #     .platform(UidPlatform::new("demo")?, SecretKey::new("secret")?)
    /// #     .start()
    /// #     .await?;
    /// // No payment was made, so no delivery is pending.
    /// let log = sandbox
    ///     .wait_for_deliveries(Duration::from_secs(5), |log| {
    ///         log.iter().all(|delivery| delivery.state != DeliveryState::Pending)
    ///     })
    ///     .await?;
    /// assert!(log.is_empty());
    /// # sandbox.stop().await;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`SandboxError::Timeout`] when `timeout` passes first.
    pub async fn wait_for_deliveries(
        &self,
        timeout: Duration,
        ready: impl FnMut(&[Delivery]) -> bool,
    ) -> Result<Vec<Delivery>, SandboxError> {
        delivery::wait_for(&self.control.shared.deliveries, timeout, ready)
            .await
            .ok_or(SandboxError::Timeout(timeout))
    }

    /// Stops the HTTP server, cutting off requests in progress, and aborts
    /// every delivery and deadline timer. Calling it again does nothing.
    pub async fn stop(&self) {
        let task = self
            .control
            .server_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(task) = task else {
            return;
        };
        self.control.server.stop(false).await;
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(%error, "sandbox HTTP server ended with an error"),
            Err(error) => warn!(%error, "sandbox HTTP server task failed"),
        }
        self.control.shared.stop_tasks().await;
        debug!(address = %self.control.base_url, "sandbox stopped");
    }
}
