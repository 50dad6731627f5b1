//! Notification delivery: signing, POSTing, retrying, and the log of every
//! attempt.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kupikupi::wire::{NOTIFICATION_ACK, field};
use kupikupi::{OrderId, PaymentId, PaymentStatus, SecretKey, UidPlatform, token};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::watch;
use tracing::{debug, warn};
use url::Url;

use super::config::{Faults, WrongSecret};
use super::model::{Notice, Outgoing};
use super::server::Shared;

/// The maximum number of bytes of a rejecting reply's body kept in the
/// delivery log.
const LOGGED_BODY_BYTES: usize = 512;

/// One notification and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Delivery {
    /// The delivery's number, counting from 1 in the order notifications were
    /// queued.
    pub id: u64,
    /// The platform notified.
    pub uid_platform: UidPlatform,
    /// The merchant's order id.
    pub order_id: OrderId,
    /// The payment the notification reports.
    pub payment_id: PaymentId,
    /// The status the notification reports.
    pub status: PaymentStatus,
    /// The delivery's current state.
    pub state: DeliveryState,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// Queued, between attempts, or waiting for the notification before it
    /// in an out-of-order chain. A delivery cut off by
    /// [`SandboxHandle::stop`](super::SandboxHandle::stop) stays pending.
    Pending,
    /// The shop answered HTTP 200 with the body `OK`.
    Delivered,
    /// Every attempt of the retry schedule failed.
    GaveUp,
    /// Dropped by the drop fault; never sent.
    Dropped,
}

/// One attempt to deliver a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// The attempt's number, from 1.
    pub number: u32,
    /// Where it was sent; `None` when the platform had no notification URL.
    pub url: Option<Url>,
    /// Whether it was signed with a wrong secret key by the wrong-secret fault.
    pub wrong_secret: bool,
    /// Milliseconds from the sandbox's start to the attempt.
    pub sent_at_ms: u64,
    /// What happened.
    pub result: AttemptResult,
}

/// What happened to one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptResult {
    /// HTTP 200 with the body `OK`: delivered.
    Accepted,
    /// Any other reply.
    Rejected {
        /// The HTTP status.
        http_status: u16,
        /// The start of the reply body, lossily decoded as UTF-8.
        body: String,
    },
    /// No reply: the connection failed or timed out.
    Failed {
        /// The transport error.
        error: String,
    },
    /// The platform has no notification URL yet.
    NoNotificationUrl,
}

impl AttemptResult {
    /// Whether the shop accepted the notification.
    pub fn is_accepted(&self) -> bool {
        matches!(self, AttemptResult::Accepted)
    }
}

/// The log of all deliveries, and a signal that it changed.
#[derive(Debug)]
pub(crate) struct DeliveryLog {
    entries: Mutex<Vec<Delivery>>,
    changed: watch::Sender<u64>,
}

impl DeliveryLog {
    pub(crate) fn new() -> Self {
        DeliveryLog {
            entries: Mutex::new(Vec::new()),
            changed: watch::Sender::new(0),
        }
    }

    /// Runs `change` on the entries and wakes waiters. A poisoned lock is
    /// taken over: each change below writes whole fields, so no entry is left
    /// half-written by a panic elsewhere.
    fn update<R>(&self, change: impl FnOnce(&mut Vec<Delivery>) -> R) -> R {
        let result = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut entries)
        };
        self.changed.send_modify(|version| *version += 1);
        result
    }

    pub(crate) fn snapshot(&self) -> Vec<Delivery> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn add(&self, notice: &Notice, state: DeliveryState) -> u64 {
        self.update(|entries| {
            let id = u64::try_from(entries.len())
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            entries.push(Delivery {
                id,
                uid_platform: notice.uid.clone(),
                order_id: notice.order_id.clone(),
                payment_id: notice.payment_id.clone(),
                status: notice.status.clone(),
                state,
                attempts: Vec::new(),
            });
            id
        })
    }

    fn record(&self, id: u64, attempt: DeliveryAttempt, state: DeliveryState) {
        self.update(|entries| {
            if let Some(entry) = entry_mut(entries, id) {
                entry.attempts.push(attempt);
                entry.state = state;
            }
        });
    }
}

fn entry_mut(entries: &mut [Delivery], id: u64) -> Option<&mut Delivery> {
    let index = usize::try_from(id.checked_sub(1)?).ok()?;
    entries.get_mut(index)
}

/// Queues released notifications: logs them, and starts one task per copy
/// that delivers the chain in order.
pub(crate) fn dispatch(shared: &Arc<Shared>, outgoing: Outgoing) {
    let Outgoing { chain, faults } = outgoing;
    if faults.drop {
        for notice in &chain {
            let id = shared.deliveries.add(notice, DeliveryState::Dropped);
            debug!(
                delivery = id,
                uid_platform = %notice.uid,
                order_id = %notice.order_id,
                payment_id = %notice.payment_id,
                status = %notice.status,
                "notification dropped by the drop fault"
            );
        }
        return;
    }
    let copies = if faults.duplicate { 2 } else { 1 };
    for _ in 0..copies {
        let queued: Vec<(u64, Notice)> = chain
            .iter()
            .map(|notice| {
                let id = shared.deliveries.add(notice, DeliveryState::Pending);
                (id, notice.clone())
            })
            .collect();
        let task_shared = Arc::clone(shared);
        let task_faults = faults.clone();
        shared.spawn(async move { deliver_chain(task_shared, queued, task_faults).await });
    }
}

async fn deliver_chain(shared: Arc<Shared>, chain: Vec<(u64, Notice)>, faults: Faults) {
    if !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    for (id, notice) in chain {
        deliver(&shared, id, &notice, faults.wrong_secret).await;
    }
}

/// Delivers one notification, retrying on the sandbox's schedule until the
/// shop accepts it or the attempts run out.
async fn deliver(shared: &Shared, id: u64, notice: &Notice, wrong_secret: WrongSecret) {
    let mut number = 1;
    loop {
        let wrong = match wrong_secret {
            WrongSecret::Never => false,
            WrongSecret::Always => true,
            WrongSecret::FirstAttempt => number == 1,
        };
        let attempt = attempt(shared, notice, number, wrong).await;
        let accepted = attempt.result.is_accepted();
        debug!(
            delivery = id,
            attempt = number,
            uid_platform = %notice.uid,
            order_id = %notice.order_id,
            payment_id = %notice.payment_id,
            status = %notice.status,
            wrong_secret = wrong,
            result = ?attempt.result,
            "notification attempt"
        );
        let pause = shared.retry.pause_after(number);
        let state = match (accepted, pause) {
            (true, _) => DeliveryState::Delivered,
            (false, Some(_)) => DeliveryState::Pending,
            (false, None) => DeliveryState::GaveUp,
        };
        shared.deliveries.record(id, attempt, state);
        match (accepted, pause) {
            (true, _) => return,
            (false, None) => {
                warn!(
                    delivery = id,
                    attempts = number,
                    uid_platform = %notice.uid,
                    order_id = %notice.order_id,
                    payment_id = %notice.payment_id,
                    status = %notice.status,
                    "notification not accepted after the last attempt; giving up"
                );
                return;
            }
            (false, Some(pause)) => tokio::time::sleep(pause).await,
        }
        number += 1;
    }
}

async fn attempt(shared: &Shared, notice: &Notice, number: u32, wrong: bool) -> DeliveryAttempt {
    let sent_at_ms = u64::try_from(shared.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let target = shared.delivery_target(&notice.uid);
    let (url, result) = match target {
        None => (None, AttemptResult::NoNotificationUrl),
        Some((url, secret)) => {
            let key = if wrong {
                wrong_key(&secret)
            } else {
                Some(secret)
            };
            let result = match key {
                Some(key) => post(shared, &url, &signed_body(notice, &key)).await,
                None => AttemptResult::Failed {
                    error: "could not derive a wrong secret key".into(),
                },
            };
            (Some(url), result)
        }
    };
    DeliveryAttempt {
        number,
        url,
        wrong_secret: wrong,
        sent_at_ms,
        result,
    }
}

/// A key that differs from `secret`, for the wrong-secret fault.
fn wrong_key(secret: &SecretKey) -> Option<SecretKey> {
    SecretKey::new(format!("{}-wrong", secret.expose())).ok()
}

/// The notification body, signed with `secret`.
pub(crate) fn signed_body(notice: &Notice, secret: &SecretKey) -> Vec<u8> {
    let mut body = Map::new();
    body.insert(field::UID_PLATFORM.into(), Value::from(notice.uid.as_str()));
    body.insert(
        field::ORDER_ID.into(),
        Value::from(notice.order_id.as_str()),
    );
    body.insert(
        field::PAYMENT_ID.into(),
        Value::from(notice.payment_id.as_str()),
    );
    body.insert(field::AMOUNT.into(), Value::from(notice.amount.get()));
    body.insert(field::PHONE.into(), Value::from(notice.phone.as_u64()));
    body.insert(field::STATUS.into(), Value::from(notice.status.as_wire()));
    body.insert(field::SUCCESS.into(), Value::from(notice.success));
    body.insert(field::ERROR_CODE.into(), Value::from(notice.error_code));
    token::sign_object(&mut body, secret);
    // A map of strings, numbers and booleans always serializes.
    serde_json::to_vec(&body).unwrap_or_default()
}

async fn post(shared: &Shared, url: &Url, body: &[u8]) -> AttemptResult {
    let response = shared
        .http
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_vec())
        .send()
        .await;
    let mut response = match response {
        Ok(response) => response,
        Err(error) => {
            return AttemptResult::Failed {
                error: error_chain(&error),
            };
        }
    };
    let http_status = response.status().as_u16();
    let mut received = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                received.extend_from_slice(&chunk);
                // One byte past the limit is enough to know the body is not
                // `OK` and to cut it for the log.
                if received.len() > LOGGED_BODY_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                return AttemptResult::Failed {
                    error: error_chain(&error),
                };
            }
        }
    }
    if http_status == 200 && received == NOTIFICATION_ACK.as_bytes() {
        return AttemptResult::Accepted;
    }
    received.truncate(LOGGED_BODY_BYTES);
    AttemptResult::Rejected {
        http_status,
        body: String::from_utf8_lossy(&received).into_owned(),
    }
}

/// The error and its sources in one line, so that "connection refused" is
/// not hidden behind "error sending request".
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Waits until `ready` holds for the delivery log, or `timeout` passes.
///
/// `ready` runs under the log's lock after each change, so the log is copied
/// only once, when it returns `true`.
pub(crate) async fn wait_for(
    log: &DeliveryLog,
    timeout: Duration,
    mut ready: impl FnMut(&[Delivery]) -> bool,
) -> Option<Vec<Delivery>> {
    let mut changes = log.subscribe();
    let wait = async {
        loop {
            changes.borrow_and_update();
            {
                let entries = log.entries.lock().unwrap_or_else(PoisonError::into_inner);
                if ready(&entries) {
                    return Some(entries.clone());
                }
            }
            if changes.changed().await.is_err() {
                return None;
            }
        }
    };
    tokio::time::timeout(timeout, wait).await.ok().flatten()
}
