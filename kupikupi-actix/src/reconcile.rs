//! Deciding what a reported payment status means for an order, and
//! recording it through the store. Notifications, the return route and
//! checkout all go through [`apply`], so a status is recorded the same way
//! whichever way it arrived.

use kupikupi::{Kopecks, KupiKupiOrder, OrderError, OrderId, Payment, PaymentStatus, Transition};
use tracing::{Instrument, debug, debug_span, warn};

use crate::routes::Shared;
use crate::store::{
    EventKind, EventSource, IdOf, LoadedOrder, OrderStore, PaymentEvent, RecordOutcome,
    RecordedPayment,
};

/// How many times a compare-and-set is retried after another writer moved
/// the order first. Each retry means some writer succeeded, so running out
/// needs sustained contention on a single order.
const MAX_RECORD_ATTEMPTS: usize = 8;

/// A payment status reported by the service, and how it arrived.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) payment: Payment,
    pub(crate) source: EventSource,
}

/// The order's state after a report was applied.
#[derive(Debug)]
pub(crate) struct Settled<O> {
    /// The order as last loaded.
    pub(crate) order: O,
    /// The recorded payment now.
    pub(crate) payment: Option<RecordedPayment>,
    /// The kind of event recorded, if one was.
    pub(crate) recorded: Option<EventKind>,
    /// The report the decision was made on: the one given, or the
    /// service's answer to `CheckOut` if it was asked.
    pub(crate) report: Report,
}

impl<O> Settled<O> {
    pub(crate) fn is_paid(&self) -> bool {
        self.payment
            .as_ref()
            .is_some_and(|payment| payment.status.is_paid())
    }
}

/// Why a report could not be applied.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError<E: std::error::Error + 'static> {
    #[error("the store has no such order")]
    UnknownOrder,
    #[error("the stored order cannot be paid: {0}")]
    InvalidOrder(#[source] OrderError),
    #[error("the order store failed: {0}")]
    Store(#[source] E),
    #[error("the order kept changing; gave up after {MAX_RECORD_ATTEMPTS} attempts to record")]
    Contention,
    #[error("CheckOut failed: {0}")]
    CheckOut(#[source] kupikupi::Error),
}

/// What to do with a reported status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Record(EventKind),
    Skip(SkipReason),
    AskService,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipReason {
    /// The same status is recorded already.
    Duplicate,
    /// An earlier status, or one of another payment of an already paid order.
    Stale,
    /// Neither the report nor `CheckOut` gave a status this version knows.
    Undecided,
    /// `CheckOut` found no payment for the order.
    NoPayment,
}

impl SkipReason {
    fn as_str(self) -> &'static str {
        match self {
            SkipReason::Duplicate => "duplicate",
            SkipReason::Stale => "stale",
            SkipReason::Undecided => "undecided",
            SkipReason::NoPayment => "no_payment",
        }
    }
}

/// Decides what a reported payment means against the recorded one.
///
/// `reported_is_latest` is true for `CheckOut` answers, which always
/// describe the order's latest payment.
pub(crate) fn decide(
    recorded: Option<&RecordedPayment>,
    reported: &Payment,
    order_amount: Kopecks,
    reported_is_latest: bool,
) -> Decision {
    // A notification may only move a payment this shop already knows from
    // the service's own replies (Init at checkout, or CheckOut). The Token
    // concatenates values without separators, so a captured notification can
    // be re-split into another order id and payment id with a valid Token;
    // any payment id not on record is therefore confirmed with CheckOut.
    let known_payment = recorded.is_some_and(|recorded| recorded.payment_id == reported.payment_id);
    if !reported_is_latest && !known_payment {
        return Decision::AskService;
    }
    if reported.amount != order_amount {
        return Decision::Record(EventKind::AmountMismatch);
    }
    let Some(recorded) = recorded else {
        return forward_or_ask(&reported.status, reported_is_latest);
    };
    if recorded.payment_id == reported.payment_id {
        return match recorded.status.transition_to(&reported.status) {
            Transition::Forward => Decision::Record(kind_of(&reported.status)),
            Transition::Duplicate => Decision::Skip(SkipReason::Duplicate),
            Transition::Stale => Decision::Skip(SkipReason::Stale),
            Transition::Conflict => Decision::Record(EventKind::ConflictingFinalStatus),
            Transition::Undecided if reported_is_latest => Decision::Skip(SkipReason::Undecided),
            Transition::Undecided => Decision::AskService,
        };
    }
    // Another payment of the same order. The service opens a new payment
    // only after the previous one failed, and confirms at most one.
    if recorded.status.is_paid() {
        return if reported.status.is_paid() {
            Decision::Record(EventKind::ConflictingFinalStatus)
        } else {
            Decision::Skip(SkipReason::Stale)
        };
    }
    if reported.status.is_paid() {
        return Decision::Record(EventKind::Paid);
    }
    // Which of the two payments is the later one only the service can say.
    if reported_is_latest {
        forward_or_ask(&reported.status, true)
    } else {
        Decision::AskService
    }
}

fn forward_or_ask(status: &PaymentStatus, reported_is_latest: bool) -> Decision {
    match status {
        PaymentStatus::Unknown(_) if reported_is_latest => Decision::Skip(SkipReason::Undecided),
        PaymentStatus::Unknown(_) => Decision::AskService,
        known => Decision::Record(kind_of(known)),
    }
}

fn kind_of(status: &PaymentStatus) -> EventKind {
    if status.is_paid() {
        EventKind::Paid
    } else {
        EventKind::StatusChanged
    }
}

/// Applies a report to an order: holds the order's lock, loads it, decides,
/// and records through the store's compare-and-set, loading again whenever
/// another writer got there first. Asks `CheckOut` once when the report
/// alone cannot be decided.
pub(crate) async fn apply<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    order_id: &OrderId,
    report: Report,
) -> Result<Settled<S::Order>, ApplyError<S::Error>> {
    let span = debug_span!(
        "kupikupi.apply",
        order_id = %order_id,
        payment_id = %report.payment.payment_id,
        status = %report.payment.status,
        source = report.source.as_str(),
    );
    apply_locked(shared, id, order_id, report)
        .instrument(span)
        .await
}

async fn apply_locked<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    order_id: &OrderId,
    mut report: Report,
) -> Result<Settled<S::Order>, ApplyError<S::Error>> {
    let _guard = shared.locks.lock(order_id.clone()).await;
    for _ in 0..MAX_RECORD_ATTEMPTS {
        let loaded = load(shared, id).await?;
        let amount = loaded.order.amount().map_err(ApplyError::InvalidOrder)?;
        let is_latest = report.source != EventSource::Notification;
        let decision = decide(loaded.payment.as_ref(), &report.payment, amount, is_latest);
        match decision {
            Decision::Record(kind) => {
                let event = PaymentEvent {
                    kind,
                    order_id: order_id.clone(),
                    payment_id: report.payment.payment_id.clone(),
                    status: report.payment.status.clone(),
                    amount: report.payment.amount,
                    source: report.source,
                    expected: loaded.payment.clone(),
                };
                let outcome = shared
                    .store
                    .record(id, &event)
                    .await
                    .map_err(ApplyError::Store)?;
                if outcome == RecordOutcome::Outdated {
                    debug!(
                        kind = kind.as_str(),
                        "order changed meanwhile; loading it again"
                    );
                    continue;
                }
                log_recorded(&event, amount);
                return Ok(Settled {
                    payment: event.new_payment().or(loaded.payment),
                    order: loaded.order,
                    recorded: Some(kind),
                    report,
                });
            }
            Decision::Skip(reason) => {
                if reason == SkipReason::Undecided {
                    warn!(
                        status = %report.payment.status,
                        "the service reports a payment status this version does not know; nothing recorded"
                    );
                } else {
                    debug!(reason = reason.as_str(), "nothing to record");
                }
                return Ok(Settled {
                    order: loaded.order,
                    payment: loaded.payment,
                    recorded: None,
                    report,
                });
            }
            // `decide` never asks about a `CheckOut` answer, so the service
            // is asked at most once; the loop bound stops it in any case.
            Decision::AskService => {
                if let PaymentStatus::Unknown(status) = &report.payment.status {
                    warn!(
                        status = %status,
                        "unknown payment status reported; asking CheckOut for the current one"
                    );
                } else {
                    debug!(
                        "the report cannot be ordered against the recorded payment; asking CheckOut"
                    );
                }
                match shared.method.payment_status(order_id, amount).await {
                    Ok(Some(payment)) => {
                        debug!(payment_id = %payment.payment_id, status = %payment.status, "CheckOut answered");
                        report = Report {
                            payment,
                            source: EventSource::CheckOut,
                        };
                    }
                    Ok(None) => {
                        debug!(reason = SkipReason::NoPayment.as_str(), "nothing to record");
                        return Ok(Settled {
                            order: loaded.order,
                            payment: loaded.payment,
                            recorded: None,
                            report,
                        });
                    }
                    Err(error) => return Err(ApplyError::CheckOut(error)),
                }
            }
        }
    }
    Err(ApplyError::Contention)
}

async fn load<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
) -> Result<LoadedOrder<S::Order>, ApplyError<S::Error>> {
    shared
        .store
        .load(id)
        .await
        .map_err(ApplyError::Store)?
        .ok_or(ApplyError::UnknownOrder)
}

fn log_recorded(event: &PaymentEvent, order_amount: Kopecks) {
    match event.kind {
        EventKind::StatusChanged | EventKind::Paid => debug!(
            kind = event.kind.as_str(),
            payment_id = %event.payment_id,
            status = %event.status,
            "payment event recorded"
        ),
        EventKind::AmountMismatch => warn!(
            payment_id = %event.payment_id,
            status = %event.status,
            reported_amount = event.amount.get(),
            order_amount = order_amount.get(),
            "the service reports another amount than the order's; recorded as a mismatch, the order is not paid"
        ),
        EventKind::ConflictingFinalStatus => warn!(
            payment_id = %event.payment_id,
            status = %event.status,
            recorded_payment_id = event.expected.as_ref().map(|payment| payment.payment_id.as_str()),
            recorded_status = event.expected.as_ref().map(|payment| payment.status.as_wire()),
            "the service reports a final status that conflicts with the recorded one; recorded as a conflict, the recorded status stands"
        ),
    }
}

#[cfg(test)]
mod tests {
    use kupikupi::{PaymentId, PaymentStatus::*};

    use super::*;

    const AMOUNT: Kopecks = Kopecks::new(500);

    fn report(payment_id: &str, status: PaymentStatus) -> Payment {
        Payment::new(
            OrderId::new("7").unwrap(),
            AMOUNT,
            PaymentId::new(payment_id).unwrap(),
            status,
        )
    }

    fn recorded(payment_id: &str, status: PaymentStatus) -> RecordedPayment {
        RecordedPayment::new(PaymentId::new(payment_id).unwrap(), status)
    }

    #[test]
    fn first_service_reply_recorded() {
        assert_eq!(
            decide(None, &report("p1", New), AMOUNT, true),
            Decision::Record(EventKind::StatusChanged)
        );
        assert_eq!(
            decide(None, &report("p1", Confirmed), AMOUNT, true),
            Decision::Record(EventKind::Paid)
        );
    }

    #[test]
    fn notification_without_record_asks_service() {
        assert_eq!(
            decide(None, &report("p1", Confirmed), AMOUNT, false),
            Decision::AskService
        );
        assert_eq!(
            decide(None, &report("p1", FormShowed), AMOUNT, false),
            Decision::AskService
        );
    }

    #[test]
    fn notification_for_unknown_payment_asks_service() {
        let open = recorded("p1", New);
        assert_eq!(
            decide(Some(&open), &report("p2", Confirmed), AMOUNT, false),
            Decision::AskService
        );
        let mut shifted = report("p2", Confirmed);
        shifted.amount = Kopecks::new(499);
        assert_eq!(
            decide(Some(&open), &shifted, AMOUNT, false),
            Decision::AskService
        );
    }

    #[test]
    fn other_amount_is_mismatch() {
        let mut payment = report("p1", Confirmed);
        payment.amount = Kopecks::new(499);
        let open = recorded("p1", New);
        assert_eq!(
            decide(Some(&open), &payment, AMOUNT, false),
            Decision::Record(EventKind::AmountMismatch)
        );
        assert_eq!(
            decide(None, &payment, AMOUNT, true),
            Decision::Record(EventKind::AmountMismatch)
        );
    }

    #[test]
    fn same_payment_follows_transitions() {
        let form = recorded("p1", FormShowed);
        assert_eq!(
            decide(Some(&form), &report("p1", Confirmed), AMOUNT, false),
            Decision::Record(EventKind::Paid)
        );
        assert_eq!(
            decide(Some(&form), &report("p1", New), AMOUNT, false),
            Decision::Skip(SkipReason::Stale)
        );
        assert_eq!(
            decide(Some(&form), &report("p1", FormShowed), AMOUNT, false),
            Decision::Skip(SkipReason::Duplicate)
        );
    }

    #[test]
    fn different_final_is_conflict() {
        let paid = recorded("p1", Confirmed);
        assert_eq!(
            decide(Some(&paid), &report("p1", Canceled), AMOUNT, false),
            Decision::Record(EventKind::ConflictingFinalStatus)
        );
    }

    #[test]
    fn unknown_status_asks_service() {
        let unknown = Unknown("HELD".into());
        assert_eq!(
            decide(None, &report("p1", unknown.clone()), AMOUNT, false),
            Decision::AskService
        );
        assert_eq!(
            decide(None, &report("p1", unknown), AMOUNT, true),
            Decision::Skip(SkipReason::Undecided)
        );
    }

    #[test]
    fn confirmed_other_payment_pays_open_order() {
        let failed = recorded("p1", Rejected);
        assert_eq!(
            decide(Some(&failed), &report("p2", Confirmed), AMOUNT, true),
            Decision::Record(EventKind::Paid)
        );
    }

    #[test]
    fn other_payment_after_paid_is_stale() {
        let paid = recorded("p1", Confirmed);
        assert_eq!(
            decide(Some(&paid), &report("p2", Canceled), AMOUNT, true),
            Decision::Skip(SkipReason::Stale)
        );
    }

    #[test]
    fn second_confirmed_payment_is_conflict() {
        let paid = recorded("p1", Confirmed);
        assert_eq!(
            decide(Some(&paid), &report("p2", Confirmed), AMOUNT, true),
            Decision::Record(EventKind::ConflictingFinalStatus)
        );
    }

    #[test]
    fn other_open_payment_asks_service() {
        let failed = recorded("p1", Rejected);
        assert_eq!(
            decide(Some(&failed), &report("p2", New), AMOUNT, false),
            Decision::AskService
        );
        assert_eq!(
            decide(Some(&failed), &report("p2", New), AMOUNT, true),
            Decision::Record(EventKind::StatusChanged)
        );
    }
}
