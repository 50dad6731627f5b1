//! The shop's orders in SQLite, and its [`OrderStore`]: the reference
//! implementation of the store contract.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use kupikupi::{KupiKupiOrder, PaymentId, PaymentStatus, Phone};
use kupikupi_actix::{LoadedOrder, OrderStore, PaymentEvent, RecordOutcome, RecordedPayment};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tracing::debug;

/// The schema. `payment_id` and `payment_status` are the recorded payment,
/// both `NULL` before the first one. `paid` is set in the same statement
/// that records a `CONFIRMED` payment and is never cleared.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product        TEXT    NOT NULL,
    total_kopecks  INTEGER NOT NULL CHECK (total_kopecks > 0),
    phone          TEXT    NOT NULL,
    payment_id     TEXT,
    payment_status TEXT,
    paid           INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1)),
    created_at     TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS payment_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id       INTEGER NOT NULL REFERENCES orders (id),
    payment_id     TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    amount_kopecks INTEGER NOT NULL,
    source         TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (order_id, payment_id, kind, status)
);
";

/// An order, as the shop stores it and sends it to KupiKupi.
#[derive(Debug, Clone, PartialEq, Eq, KupiKupiOrder)]
#[kupikupi(
    id_prefix = "shop-",
    success_url = "/orders/{id}",
    fail_url = "/orders/{id}?payment=failed"
)]
pub struct Order {
    /// The shop's order number.
    #[kupikupi(id)]
    pub id: i64,
    /// The price in kopecks.
    #[kupikupi(amount)]
    pub total_kopecks: i64,
    /// The customer's phone as entered, parsed when a payment starts.
    #[kupikupi(phone)]
    pub phone: String,
    /// The product's name, shown on the payment form.
    #[kupikupi(description)]
    pub product: String,
}

/// An order with its payment state, as the order page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    /// The order.
    pub order: Order,
    /// The payment recorded so far.
    pub payment: Option<RecordedPayment>,
    /// Whether a confirmed payment for the order's amount was recorded.
    pub paid: bool,
}

/// One row of the payment event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The service's payment id.
    pub payment_id: String,
    /// The event kind, as `EventKind::as_str` writes it.
    pub kind: String,
    /// The reported status, in its wire form.
    pub status: String,
    /// The reported amount in kopecks.
    pub amount_kopecks: i64,
    /// The report's source, as `EventSource::as_str` writes it.
    pub source: String,
}

/// A failed database operation.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite returned an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The blocking database task did not finish (the runtime shut down or
    /// the task panicked).
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A stored value is not what the shop writes, for example an amount
    /// that does not fit the column's type.
    #[error("invalid stored value: {0}")]
    Invalid(String),
}

/// The shop's database: one SQLite connection in WAL mode with `synchronous
/// = FULL`, so a commit is on disk before the call returns.
///
/// Every call runs on Tokio's blocking thread pool. One connection is enough
/// for a small shop because SQLite has a single writer anyway. A busier
/// shop would keep a pool of readers beside it.
#[derive(Debug, Clone)]
pub struct Db {
    connection: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens or creates the database file and its tables.
    ///
    /// # Errors
    ///
    /// Returns [`DbError::Sqlite`] when the file cannot be opened or the
    /// schema cannot be created.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.execute_batch(SCHEMA)?;
        debug!(path = %path.display(), "database opened");
        Ok(Db {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held cannot leave a half-written
            // change behind: an unfinished rusqlite transaction rolls back
            // when it is dropped, so the connection is safe to reuse.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await?
    }

    /// Stores a new order and returns its number.
    ///
    /// # Errors
    ///
    /// Returns [`DbError`] when the insert fails.
    pub async fn create_order(
        &self,
        product: &str,
        total_kopecks: i64,
        phone: &Phone,
    ) -> Result<i64, DbError> {
        let product = product.to_owned();
        let phone = phone.full();
        self.run(move |connection| {
            connection.execute(
                "INSERT INTO orders (product, total_kopecks, phone) VALUES (?1, ?2, ?3)",
                params![product, total_kopecks, phone],
            )?;
            Ok(connection.last_insert_rowid())
        })
        .await
    }

    /// Loads an order with its payment state.
    ///
    /// # Errors
    ///
    /// Returns [`DbError`] when the query fails.
    pub async fn order(&self, id: i64) -> Result<Option<StoredOrder>, DbError> {
        self.run(move |connection| load_order(connection, id)).await
    }

    /// Loads an order for the KupiKupi routes.
    ///
    /// # Errors
    ///
    /// Returns [`DbError`] when the query fails.
    pub async fn order_with_payment(&self, id: i64) -> Result<Option<LoadedOrder<Order>>, DbError> {
        let stored = self.order(id).await?;
        Ok(stored.map(|stored| LoadedOrder::new(stored.order, stored.payment)))
    }

    /// Records a payment event as a compare-and-set in one transaction; see
    /// the [`OrderStore`] implementation for the contract it keeps.
    ///
    /// # Errors
    ///
    /// Returns [`DbError`] when the transaction fails; nothing is written then.
    pub async fn record_payment(
        &self,
        id: i64,
        event: &PaymentEvent,
    ) -> Result<RecordOutcome, DbError> {
        let event = event.clone();
        self.run(move |connection| record(connection, id, &event))
            .await
    }

    /// The payment events recorded for an order, oldest first.
    ///
    /// # Errors
    ///
    /// Returns [`DbError`] when the query fails.
    pub async fn payment_events(&self, id: i64) -> Result<Vec<EventRow>, DbError> {
        self.run(move |connection| {
            let mut statement = connection.prepare(
                "SELECT payment_id, kind, status, amount_kopecks, source
                   FROM payment_events WHERE order_id = ?1 ORDER BY id",
            )?;
            let rows = statement.query_map(params![id], |row| {
                Ok(EventRow {
                    payment_id: row.get(0)?,
                    kind: row.get(1)?,
                    status: row.get(2)?,
                    amount_kopecks: row.get(3)?,
                    source: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

fn load_order(connection: &Connection, id: i64) -> Result<Option<StoredOrder>, DbError> {
    let row = connection
        .query_row(
            "SELECT id, product, total_kopecks, phone, payment_id, payment_status, paid
               FROM orders WHERE id = ?1",
            params![id],
            |row| {
                Ok((
                    Order {
                        id: row.get(0)?,
                        product: row.get(1)?,
                        total_kopecks: row.get(2)?,
                        phone: row.get(3)?,
                    },
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, bool>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((order, payment_id, payment_status, paid)) = row else {
        return Ok(None);
    };
    let payment = match (payment_id, payment_status) {
        (Some(payment_id), Some(status)) => Some(RecordedPayment::new(
            PaymentId::new(payment_id)
                .map_err(|error| DbError::Invalid(format!("order {id}: {error}")))?,
            PaymentStatus::from_wire(&status),
        )),
        (None, None) => None,
        _ => {
            return Err(DbError::Invalid(format!(
                "order {id} has only one of payment_id and payment_status"
            )));
        }
    };
    Ok(Some(StoredOrder {
        order,
        payment,
        paid,
    }))
}

/// Applies the compare-and-set. Runs in an `IMMEDIATE` transaction, which takes
/// SQLite's write lock at `BEGIN`, so the `UPDATE`, the check of a repeated
/// write and the event row commit together or not at all.
fn record(
    connection: &mut Connection,
    id: i64,
    event: &PaymentEvent,
) -> Result<RecordOutcome, DbError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let outcome = match event.new_payment() {
        Some(new) => {
            let (expected_id, expected_status) = match &event.expected {
                Some(expected) => (
                    Some(expected.payment_id.as_str().to_owned()),
                    Some(expected.status.as_wire().to_owned()),
                ),
                None => (None, None),
            };
            // `IS` compares NULL as equal to NULL, like SQL's IS NOT
            // DISTINCT FROM. `MAX` keeps `paid` from ever going back to 0.
            let updated = transaction.execute(
                "UPDATE orders
                    SET payment_id = ?1, payment_status = ?2, paid = MAX(paid, ?3)
                  WHERE id = ?4 AND payment_id IS ?5 AND payment_status IS ?6",
                params![
                    new.payment_id.as_str(),
                    new.status.as_wire(),
                    event.is_paid(),
                    id,
                    expected_id,
                    expected_status
                ],
            )?;
            if updated == 1 {
                RecordOutcome::Recorded
            } else if is_repeat(&transaction, id, &new, event.is_paid())? {
                // The same write already happened, for example by a
                // redelivered notification: nothing to change, and `Ok`.
                RecordOutcome::Recorded
            } else {
                RecordOutcome::Outdated
            }
        }
        None => {
            let exists = transaction
                .query_row(
                    "SELECT 1 FROM orders WHERE id = ?1",
                    params![id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if exists {
                RecordOutcome::Recorded
            } else {
                RecordOutcome::Outdated
            }
        }
    };
    if outcome == RecordOutcome::Recorded {
        let amount = i64::try_from(event.amount.get()).map_err(|_| {
            DbError::Invalid(format!("amount {} does not fit the column", event.amount))
        })?;
        // The unique key (order, payment, kind, status) keeps a redelivered
        // event from adding a second row.
        transaction.execute(
            "INSERT OR IGNORE INTO payment_events
                 (order_id, payment_id, kind, status, amount_kopecks, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                event.payment_id.as_str(),
                event.kind.as_str(),
                event.status.as_wire(),
                amount,
                event.source.as_str()
            ],
        )?;
    }
    transaction.commit()?;
    debug!(
        order_id = id,
        payment_id = %event.payment_id,
        kind = event.kind.as_str(),
        status = %event.status,
        outcome = ?outcome,
        "payment event recorded"
    );
    Ok(outcome)
}

/// Whether the order already contains exactly the payment a write would store.
fn is_repeat(
    connection: &Connection,
    id: i64,
    new: &RecordedPayment,
    paid: bool,
) -> Result<bool, DbError> {
    let current = connection
        .query_row(
            "SELECT payment_id, payment_status, paid FROM orders WHERE id = ?1",
            params![id],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, bool>(2)?,
                ))
            },
        )
        .optional()?;
    Ok(current.is_some_and(|(payment_id, status, is_paid)| {
        payment_id.as_deref() == Some(new.payment_id.as_str())
            && status.as_deref() == Some(new.status.as_wire())
            && (is_paid || !paid)
    }))
}

/// The shop's [`OrderStore`], the reference implementation of the store
/// contract over SQLite.
///
/// - **Compare-and-set in one statement.** A payment change is one `UPDATE
///   ... WHERE payment_id IS ? AND payment_status IS ?` naming the recorded
///   payment it replaces, inside an `IMMEDIATE` transaction. When no row
///   matches, nothing is written and the result is
///   [`RecordOutcome::Outdated`], so two shop processes racing on one order
///   cannot both win.
/// - **Only forward.** The routes decide which status may follow which. The
///   store writes a change only over the exact state it was decided
///   against, and it sets `paid` with `MAX`, so `paid` is never cleared.
/// - **Paid atomically.** A confirmed payment and `paid = 1` are written by
///   the same statement.
/// - **Idempotent.** Repeating a write that already happened returns
///   [`RecordOutcome::Recorded`] without changing anything, and the event
///   log's unique key (order, payment id, kind, status) keeps one row per
///   event however often it is delivered.
/// - **Durable.** `Ok` is returned after `COMMIT`, with `synchronous =
///   FULL`; every error is returned, so the notification route answers with
///   a 5xx and the service delivers again.
#[kupikupi_actix::async_trait]
impl OrderStore for Db {
    type Order = Order;
    type Error = DbError;
    async fn load(&self, id: &i64) -> Result<Option<LoadedOrder<Order>>, DbError> {
        self.order_with_payment(*id).await
    }
    async fn record(&self, id: &i64, event: &PaymentEvent) -> Result<RecordOutcome, DbError> {
        self.record_payment(*id, event).await
    }
}
