//! Checking an order's payment with the service outside any request, for
//! payments whose notifications were all lost and whose customer never came
//! back to the shop.

use kupikupi::KupiKupiOrder;
use tracing::{Instrument, debug, debug_span};

use crate::reconcile::{ApplyError, Report, apply};
use crate::routes::{KupiKupiRoutes, Shared};
use crate::store::{EventSource, IdOf, OrderStore, RecordedPayment};

/// Why [`KupiKupiRoutes::check_payment`] could not check an order.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckPaymentError<E: std::error::Error + 'static> {
    /// The store has no order with this id.
    #[error("the store has no such order")]
    UnknownOrder,
    /// The stored order has an invalid id or amount.
    #[error("the stored order cannot be paid: {0}")]
    InvalidOrder(#[source] kupikupi::OrderError),
    /// The order store failed.
    #[error("the order store failed: {0}")]
    Store(#[source] E),
    /// `CheckOut` failed; try again later.
    #[error("CheckOut failed: {0}")]
    Service(#[source] kupikupi::Error),
    /// Other writers kept changing the order; try again later.
    #[error("the order kept changing while the payment was recorded")]
    Contention,
}

impl<S: OrderStore> KupiKupiRoutes<S> {
    /// Asks the service for the order's latest payment and records any
    /// forward move, exactly as a notification or the return route would.
    /// Returns the payment recorded afterwards.
    ///
    /// The service delivers notifications again when the shop does not
    /// acknowledge them, but only a bounded number of times, and a customer
    /// may close the tab instead of coming back. Call this for orders whose
    /// recorded payment is still open: when their page is shown, and from a
    /// periodic job, so that a payment the customer made is never left
    /// unrecorded.
    ///
    /// # Errors
    ///
    /// Returns [`CheckPaymentError`] when the order is unknown or invalid,
    /// the store fails, or the service cannot be asked.
    pub async fn check_payment(
        &self,
        id: &IdOf<S>,
    ) -> Result<Option<RecordedPayment>, CheckPaymentError<S::Error>> {
        let span = debug_span!("kupikupi.check_payment", id = %id);
        check(self.shared(), id).instrument(span).await
    }
}

async fn check<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
) -> Result<Option<RecordedPayment>, CheckPaymentError<S::Error>> {
    let loaded = shared
        .store
        .load(id)
        .await
        .map_err(CheckPaymentError::Store)?
        .ok_or(CheckPaymentError::UnknownOrder)?;
    if loaded.is_paid() {
        return Ok(loaded.payment);
    }
    let order_id = loaded
        .order
        .order_id()
        .map_err(CheckPaymentError::InvalidOrder)?;
    let amount = loaded
        .order
        .amount()
        .map_err(CheckPaymentError::InvalidOrder)?;
    let Some(payment) = shared
        .method
        .payment_status(&order_id, amount)
        .await
        .map_err(CheckPaymentError::Service)?
    else {
        debug!(order_id = %order_id, "the service has no payment for the order");
        return Ok(loaded.payment);
    };
    let report = Report {
        payment,
        source: EventSource::CheckOut,
    };
    match apply(shared, id, &order_id, report).await {
        Ok(settled) => Ok(settled.payment),
        Err(ApplyError::UnknownOrder) => Err(CheckPaymentError::UnknownOrder),
        Err(ApplyError::InvalidOrder(error)) => Err(CheckPaymentError::InvalidOrder(error)),
        Err(ApplyError::Store(error)) => Err(CheckPaymentError::Store(error)),
        Err(ApplyError::CheckOut(error)) => Err(CheckPaymentError::Service(error)),
        Err(ApplyError::Contention) => Err(CheckPaymentError::Contention),
    }
}
