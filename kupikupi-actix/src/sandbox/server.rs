//! The state shared by the HTTP workers and the background tasks, and the
//! routes.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::web;
use kupikupi::{PaymentId, SecretKey, UidPlatform};
use tokio::runtime::Handle;
use tokio::task::JoinSet;
use tracing::{debug, warn};
use url::Url;

use super::config::RetrySchedule;
use super::delivery::{self, DeliveryLog};
use super::model::{ApiFailure, Outbox};
use super::state::State;
use super::{admin, api, pages};

/// Everything the handlers and tasks of one sandbox share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) deliveries: DeliveryLog,
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetrySchedule,
    pub(crate) started: Instant,
    /// Deadline timers and deliveries; `None` once the sandbox stopped.
    tasks: Mutex<Option<JoinSet<()>>>,
    /// The runtime that started the sandbox, where background tasks run.
    runtime: Handle,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        http: reqwest::Client,
        retry: RetrySchedule,
        runtime: Handle,
    ) -> Self {
        Shared {
            state: Mutex::new(state),
            deliveries: DeliveryLog::new(),
            http,
            retry,
            started: Instant::now(),
            tasks: Mutex::new(Some(JoinSet::new())),
            runtime,
        }
    }

    /// Runs `change` on the state under the lock, then starts the timers and
    /// deliveries it queued.
    ///
    /// # Errors
    ///
    /// Returns error code 99 when a panic elsewhere poisoned the lock, since
    /// the state may then be half-updated.
    pub(crate) fn with_state<R>(
        self: &Arc<Self>,
        change: impl FnOnce(&mut State, Instant, &mut Outbox) -> R,
    ) -> Result<R, ApiFailure> {
        let mut outbox = Outbox::default();
        let result = {
            let mut state = self.state.lock().map_err(|_| {
                warn!("sandbox state lock is poisoned; returning error code 99");
                ApiFailure::internal("the sandbox state is unavailable")
            })?;
            change(&mut state, Instant::now(), &mut outbox)
        };
        self.send(outbox);
        Ok(result)
    }

    /// Like [`Shared::with_state`], but takes over a poisoned lock, for the
    /// test API where an error would only hide the state.
    pub(crate) fn with_state_anyway<R>(
        self: &Arc<Self>,
        change: impl FnOnce(&mut State, Instant, &mut Outbox) -> R,
    ) -> R {
        let mut outbox = Outbox::default();
        let result = {
            let mut state = self.lock_anyway();
            change(&mut state, Instant::now(), &mut outbox)
        };
        self.send(outbox);
        result
    }

    fn lock_anyway(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| {
            warn!("sandbox state lock is poisoned; reading the state as it is");
            PoisonError::into_inner(poisoned)
        })
    }

    /// The notification URL and secret key of a platform, if it has a URL.
    pub(crate) fn delivery_target(&self, uid: &UidPlatform) -> Option<(Url, SecretKey)> {
        let state = self.lock_anyway();
        let url = state.notification_url(uid)??.clone();
        let secret = state.secret(uid)?.clone();
        Some((url, secret))
    }

    fn send(self: &Arc<Self>, outbox: Outbox) {
        for (payment_id, after) in outbox.deadlines {
            let shared = Arc::clone(self);
            self.spawn(async move { expire_later(shared, payment_id, after).await });
        }
        for outgoing in outbox.outgoing {
            delivery::dispatch(self, outgoing);
        }
    }

    /// Starts a background task on the sandbox's runtime, unless the sandbox
    /// stopped.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        match tasks.as_mut() {
            Some(set) => {
                // Reap finished tasks so a long-running sandbox does not keep
                // their results.
                while set.try_join_next().is_some() {}
                set.spawn_on(task, &self.runtime);
            }
            None => debug!("sandbox stopped; background task not started"),
        }
    }

    /// Aborts every background task and waits for them to end.
    pub(crate) async fn stop_tasks(&self) {
        let tasks = self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut set) = tasks {
            let count = set.len();
            set.shutdown().await;
            debug!(tasks = count, "sandbox background tasks stopped");
        }
    }

    /// Aborts every background task without waiting, for `Drop`.
    pub(crate) fn abort_tasks(&self) {
        let tasks = self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut set) = tasks {
            set.abort_all();
        }
    }
}

/// Expires a payment once its deadline has passed, so that the
/// `DEADLINE_EXPIRED` notification goes out even if nobody looks at it.
async fn expire_later(shared: Arc<Shared>, payment_id: PaymentId, after: Duration) {
    tokio::time::sleep(after).await;
    let expired = shared
        .with_state_anyway(|state, now, outbox| state.expire_if_due(&payment_id, now, outbox));
    if expired {
        debug!(payment_id = %payment_id, "payment deadline expired");
    }
}

/// Mounts the API, the pages and the control endpoints.
pub(crate) fn routes(config: &mut web::ServiceConfig) {
    api::routes(config);
    pages::routes(config);
    admin::routes(config);
}
