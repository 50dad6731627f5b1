//! The values that go into and come out of the sandbox state: API
//! failures, queued notifications, replies, and the views of forms,
//! accounts and payments.

use std::time::Duration;

use kupikupi::wire::error_code;
use kupikupi::{Kopecks, OrderId, PaymentId, PaymentStatus, Phone, UidPlatform};
use serde::Serialize;
use url::Url;

use super::config::Faults;

/// A refusal of an API call: the protocol's error code, a message, and the
/// details (the name of the field at fault, where there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) details: String,
}

impl ApiFailure {
    pub(crate) fn new(
        code: &'static str,
        message: impl Into<String>,
        details: impl Into<String>,
    ) -> Self {
        ApiFailure {
            code,
            message: message.into(),
            details: details.into(),
        }
    }

    /// Code 3 for a missing field; `Details` is the field's name.
    pub(crate) fn missing(field: &str) -> Self {
        ApiFailure::new(
            error_code::INVALID_REQUEST,
            format!("invalid request: the field {field} is missing"),
            field,
        )
    }

    /// Code 3 for a malformed field; `Details` is the field's name.
    pub(crate) fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        ApiFailure::new(
            error_code::INVALID_REQUEST,
            format!("invalid request: the field {field} is invalid: {problem}"),
            field,
        )
    }

    /// Code 3 for a body that is not a JSON object with unique keys.
    pub(crate) fn invalid_body(problem: impl std::fmt::Display) -> Self {
        ApiFailure::new(
            error_code::INVALID_REQUEST,
            format!("invalid request: {problem}"),
            "body",
        )
    }

    /// Code 99.
    pub(crate) fn internal(details: impl Into<String>) -> Self {
        ApiFailure::new(error_code::INTERNAL, "internal error", details)
    }
}

/// A notification to deliver, with the fields it carries besides the Token.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub(crate) uid: UidPlatform,
    pub(crate) order_id: OrderId,
    pub(crate) payment_id: PaymentId,
    pub(crate) amount: Kopecks,
    pub(crate) phone: Phone,
    pub(crate) status: PaymentStatus,
    pub(crate) success: bool,
    pub(crate) error_code: &'static str,
}

/// Notifications to deliver one after another, with the platform's faults as
/// they were when the notifications were released.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) chain: Vec<Notice>,
    pub(crate) faults: Faults,
}

/// The timers and notifications a state change queues, started once the
/// lock is released.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub(crate) outgoing: Vec<Outgoing>,
    /// Payments whose deadline timer has to be started.
    pub(crate) deadlines: Vec<(PaymentId, Duration)>,
}

/// The fields of a valid `Init` request.
#[derive(Debug)]
pub(crate) struct InitFields {
    pub(crate) phone: Phone,
    pub(crate) order_id: OrderId,
    pub(crate) amount: Kopecks,
    pub(crate) description: Option<String>,
    pub(crate) success_url: Option<Url>,
    pub(crate) fail_url: Option<Url>,
}

/// A payment as `Init` and `CheckOut` report it.
#[derive(Debug, Clone)]
pub(crate) struct PaymentReply {
    pub(crate) order_id: OrderId,
    pub(crate) amount: Kopecks,
    pub(crate) payment_id: PaymentId,
    pub(crate) status: PaymentStatus,
    pub(crate) form_url: Url,
}

/// What the payment form shows.
#[derive(Debug, Clone)]
pub(crate) struct FormView {
    pub(crate) form_key: String,
    pub(crate) shop_name: String,
    pub(crate) description: Option<String>,
    pub(crate) order_id: OrderId,
    pub(crate) amount: Kopecks,
    pub(crate) phone: Phone,
    pub(crate) status: PaymentStatus,
    pub(crate) codes_left: u8,
    pub(crate) time_left: Duration,
    /// Where the customer goes now that the payment is final, if the merchant
    /// sent a URL for this outcome.
    pub(crate) return_url: Option<Url>,
}

/// The result of a code entered on the form.
#[derive(Debug, Clone)]
pub(crate) enum CodeOutcome {
    /// The payment is final (now or already); the view shows how it ended.
    Final(FormView),
    /// The code was wrong and the form takes more tries.
    WrongCode(FormView),
}

/// A transfer code the customer has not used yet, as the account page and
/// [`SandboxHandle::pending_codes`](super::SandboxHandle::pending_codes) list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PendingCode {
    /// The payment the code confirms.
    pub payment_id: PaymentId,
    /// The merchant's platform.
    pub uid_platform: UidPlatform,
    /// The merchant's order id.
    pub order_id: OrderId,
    /// The amount the code transfers.
    pub amount: Kopecks,
    /// The transfer code to type on the form: six digits.
    pub code: String,
    /// The payment's status, `NEW` or `FORM_SHOWED`.
    pub status: PaymentStatus,
    /// The payment form's address.
    pub payment_url: Url,
}

/// A customer's account: balance and unused transfer codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Account {
    /// The customer's phone, as the 11-digit integer the protocol uses.
    pub phone: Phone,
    /// The points balance.
    pub balance: Kopecks,
    /// Codes of the customer's open payments, oldest first.
    pub pending: Vec<PendingCode>,
}

/// A payment as the sandbox stores it, for tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PaymentSnapshot {
    /// The payment's id.
    pub payment_id: PaymentId,
    /// The merchant's platform.
    pub uid_platform: UidPlatform,
    /// The merchant's order id.
    pub order_id: OrderId,
    /// The amount.
    pub amount: Kopecks,
    /// The paying customer.
    pub phone: Phone,
    /// The current status.
    pub status: PaymentStatus,
    /// Wrong codes entered so far.
    pub wrong_codes: u8,
    /// The payment form's address.
    pub payment_url: Url,
}
