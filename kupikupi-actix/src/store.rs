//! The merchant's order store: how the routes read orders and record payments.

use std::sync::Arc;

use async_trait::async_trait;
use kupikupi::{Kopecks, KupiKupiOrder, OrderId, Payment, PaymentId, PaymentStatus};

/// The merchant's typed order id of a store.
pub type IdOf<S> = <<S as OrderStore>::Order as KupiKupiOrder>::Id;

/// Access to the shop's orders, implemented by the merchant over the shop's
/// own database.
///
/// The routes keep no database of their own: every decision is made from
/// what [`OrderStore::load`] returns, and every outcome is written through
/// [`OrderStore::record`]. The shop's database stays the single source of
/// truth, so any number of shop instances can serve the routes behind a load
/// balancer, as long as the store keeps this contract:
///
/// 1. **`load` reads committed state.** It returns the order and the payment
///    recorded for it so far ([`LoadedOrder::payment`]), or `None` for an
///    order that does not exist (yet).
/// 2. **`record` is a compare-and-set.** For the kinds that change the
///    payment ([`EventKind::StatusChanged`] and [`EventKind::Paid`]) the
///    store writes [`PaymentEvent::new_payment`] only if the payment
///    recorded right now is still [`PaymentEvent::expected`], in one atomic
///    step (a transaction, or an `UPDATE ... WHERE` on the old values).
///    If it is not, the store writes nothing and returns
///    [`RecordOutcome::Outdated`]; the routes then load again and decide
///    anew. Because every write names the state it replaces, two instances
///    racing on one order cannot both win, and a status can only move
///    forward.
/// 3. **`record` is durable and idempotent.** It returns `Ok` only after the
///    write is committed. Recording an event that is already recorded
///    changes nothing and still returns `Ok`. The compare-and-set makes this
///    true for payment changes. [`EventKind::AmountMismatch`] and
///    [`EventKind::ConflictingFinalStatus`] leave the recorded payment as it
///    is and need no compare-and-set; store them under a unique key such as
///    (order, payment id, kind, status), so that a redelivery does not add a
///    second row.
/// 4. **[`EventKind::Paid`] marks the order paid in the same atomic write**
///    that stores the payment, so the order is never paid without its
///    payment record or the other way round.
/// 5. **Errors are returned, never swallowed.** A failed load or record
///    makes the notification route answer with a 5xx status, so the service
///    delivers the notification again later.
///
/// A SQL store can implement `record` for the payment-changing kinds as
///
/// ```sql
/// UPDATE orders
///    SET payment_id = $new_payment_id, payment_status = $new_status,
///        paid = paid OR $is_paid
///  WHERE id = $id
///    AND payment_id IS NOT DISTINCT FROM $expected_payment_id
///    AND payment_status IS NOT DISTINCT FROM $expected_status
/// ```
///
/// and return [`RecordOutcome::Outdated`] when no row was updated.
///
/// # Example
///
/// An in-memory store, enough for a demo or a test:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// use kupikupi::{Kopecks, KupiKupiOrder, OrderError, Phone};
/// use kupikupi_actix::{
///     LoadedOrder, OrderStore, PaymentEvent, RecordOutcome, RecordedPayment, async_trait,
/// };
///
/// #[derive(Clone)]
/// struct Order {
///     id: u64,
///     total: u64,
/// }
///
/// impl KupiKupiOrder for Order {
///     type Id = u64;
///     fn id(&self) -> &u64 { &self.id }
///     fn amount(&self) -> Result<Kopecks, OrderError> { Ok(Kopecks::new(self.total)) }
///     fn phone(&self) -> Result<Option<Phone>, OrderError> { Ok(None) }
///     fn description(&self) -> Option<String> { None }
/// }
///
/// #[derive(Default)]
/// struct Memory {
///     orders: Mutex<HashMap<u64, (Order, Option<RecordedPayment>)>>,
///     events: Mutex<Vec<PaymentEvent>>,
/// }
///
/// #[async_trait]
/// impl OrderStore for Memory {
///     type Order = Order;
///     type Error = std::convert::Infallible;
///
///     async fn load(&self, id: &u64) -> Result<Option<LoadedOrder<Order>>, Self::Error> {
///         let orders = self.orders.lock().unwrap();
///         Ok(orders
///             .get(id)
///             .map(|(order, payment)| LoadedOrder::new(order.clone(), payment.clone())))
///     }
///
///     async fn record(&self, id: &u64, event: &PaymentEvent) -> Result<RecordOutcome, Self::Error> {
///         let mut orders = self.orders.lock().unwrap();
///         let Some((_, payment)) = orders.get_mut(id) else {
///             return Ok(RecordOutcome::Outdated);
///         };
///         if let Some(new_payment) = event.new_payment() {
///             if payment.as_ref() != event.expected.as_ref() {
///                 return Ok(RecordOutcome::Outdated);
///             }
///             *payment = Some(new_payment);
///         }
///         let mut events = self.events.lock().unwrap();
///         if !events.contains(event) {
///             events.push(event.clone());
///         }
///         Ok(RecordOutcome::Recorded)
///     }
/// }
/// ```
#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// The shop's order type.
    type Order: KupiKupiOrder + Send + Sync;

    /// The store's error, for example the database driver's.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Loads an order by the merchant's id, together with the payment
    /// recorded for it so far. Returns `None` when there is no such order.
    async fn load(&self, id: &IdOf<Self>) -> Result<Option<LoadedOrder<Self::Order>>, Self::Error>;

    /// Records a payment event durably: a compare-and-set on the order's
    /// recorded payment, as the trait documentation describes.
    async fn record(
        &self,
        id: &IdOf<Self>,
        event: &PaymentEvent,
    ) -> Result<RecordOutcome, Self::Error>;
}

#[async_trait]
impl<S: OrderStore> OrderStore for Arc<S> {
    type Order = S::Order;
    type Error = S::Error;

    async fn load(&self, id: &IdOf<Self>) -> Result<Option<LoadedOrder<Self::Order>>, Self::Error> {
        S::load(self, id).await
    }

    async fn record(
        &self,
        id: &IdOf<Self>,
        event: &PaymentEvent,
    ) -> Result<RecordOutcome, Self::Error> {
        S::record(self, id, event).await
    }
}

/// An order as the store loaded it: the order and its recorded payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadedOrder<O> {
    /// The merchant's order.
    pub order: O,
    /// The payment recorded so far, or `None` if nothing was recorded yet.
    pub payment: Option<RecordedPayment>,
}

impl<O> LoadedOrder<O> {
    /// Pairs an order with its recorded payment.
    pub fn new(order: O, payment: Option<RecordedPayment>) -> Self {
        LoadedOrder { order, payment }
    }

    /// Whether the recorded payment is confirmed, so the order is paid.
    pub fn is_paid(&self) -> bool {
        self.payment
            .as_ref()
            .is_some_and(|payment| payment.status.is_paid())
    }
}

/// The payment state a store keeps per order: the service's payment id and
/// its latest status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RecordedPayment {
    /// The service's id of the payment.
    pub payment_id: PaymentId,
    /// The latest status recorded for it.
    pub status: PaymentStatus,
}

impl RecordedPayment {
    /// Builds the recorded state, for example from two database columns.
    pub fn new(payment_id: PaymentId, status: PaymentStatus) -> Self {
        RecordedPayment { payment_id, status }
    }
}

/// What kind of payment event the store is asked to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// The payment moved forward to a status other than `CONFIRMED`: opened,
    /// form shown, or ended without a transfer. Replaces the recorded
    /// payment.
    StatusChanged,
    /// The payment was confirmed for the order's exact amount: replaces the
    /// recorded payment and marks the order paid.
    Paid,
    /// The service reported an amount that differs from the order's. The
    /// recorded payment stays as it is and the order is not paid; an
    /// operator should look at it.
    AmountMismatch,
    /// The service reported a final status that differs from the final
    /// status already recorded, or a second confirmed payment. The recorded
    /// payment stays as it is; an operator should look at it.
    ConflictingFinalStatus,
}

impl EventKind {
    /// Whether this kind replaces the recorded payment, so the store applies
    /// it as a compare-and-set.
    pub fn changes_payment(self) -> bool {
        matches!(self, EventKind::StatusChanged | EventKind::Paid)
    }

    /// A short lowercase name for logs and database columns.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StatusChanged => "status_changed",
            EventKind::Paid => "paid",
            EventKind::AmountMismatch => "amount_mismatch",
            EventKind::ConflictingFinalStatus => "conflicting_final_status",
        }
    }
}

/// Where the reported status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventSource {
    /// A notification the service sent to the shop, with a verified Token.
    Notification,
    /// The service's answer to `CheckOut`, asked when the customer returned
    /// from the form, at checkout, or to resolve a status this version does
    /// not know.
    CheckOut,
    /// The service's reply to `Init` at checkout: the payment just started,
    /// or the open one the customer is sent back to.
    Init,
}

impl EventSource {
    /// A short lowercase name for logs and database columns.
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Notification => "notification",
            EventSource::CheckOut => "check_out",
            EventSource::Init => "init",
        }
    }
}

/// One payment event for the store to record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentEvent {
    /// What happened.
    pub kind: EventKind,
    /// The order id as the service knows it, with the deployment prefix.
    pub order_id: OrderId,
    /// The service's payment id.
    pub payment_id: PaymentId,
    /// The status the service reported.
    pub status: PaymentStatus,
    /// The amount the service reported.
    pub amount: Kopecks,
    /// Where the report came from.
    pub source: EventSource,
    /// The recorded payment this event was decided against: the value a
    /// compare-and-set expects to find.
    pub expected: Option<RecordedPayment>,
}

impl PaymentEvent {
    /// Builds an event from a reported payment. The routes build every event
    /// they record; this constructor lets a merchant test their store.
    ///
    /// ```
    /// use kupikupi::{Kopecks, OrderId, Payment, PaymentId, PaymentStatus};
    /// use kupikupi_actix::{EventKind, EventSource, PaymentEvent, RecordedPayment};
    ///
    /// let payment_id = PaymentId::new("p-1")?;
    /// let payment = Payment::new(OrderId::new("shop-7")?, Kopecks::new(500), payment_id.clone(), PaymentStatus::Confirmed);
    /// let started = RecordedPayment::new(payment_id, PaymentStatus::New);
    /// let event = PaymentEvent::new(EventKind::Paid, &payment, EventSource::Notification, Some(started));
    /// assert!(event.is_paid());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        kind: EventKind,
        payment: &Payment,
        source: EventSource,
        expected: Option<RecordedPayment>,
    ) -> Self {
        PaymentEvent {
            kind,
            order_id: payment.order_id.clone(),
            payment_id: payment.payment_id.clone(),
            status: payment.status.clone(),
            amount: payment.amount,
            source,
            expected,
        }
    }

    /// The payment to store if the compare-and-set succeeds, or `None` for
    /// kinds that leave the recorded payment as it is.
    pub fn new_payment(&self) -> Option<RecordedPayment> {
        self.kind
            .changes_payment()
            .then(|| RecordedPayment::new(self.payment_id.clone(), self.status.clone()))
    }

    /// Whether this event marks the order paid.
    pub fn is_paid(&self) -> bool {
        self.kind == EventKind::Paid
    }
}

/// The result of [`OrderStore::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordOutcome {
    /// The event is recorded (now or by an earlier identical call).
    Recorded,
    /// The recorded payment is no longer [`PaymentEvent::expected`], so
    /// nothing was written; the routes load the order again and decide anew.
    Outdated,
}
