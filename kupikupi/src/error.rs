//! The error type of the client and the notification verifier.

use std::fmt;
use std::time::Duration;

use crate::token::TokenError;
use crate::wire::error_code;
use crate::{OrderError, UidPlatform};

/// Everything that can go wrong when talking to the service.
///
/// The variants separate what the caller can act on differently. Invalid
/// input never left the process. `Connect` and `Timeout` are transport
/// failures, after which the state at the service may be unknown (see
/// [`Error::may_have_reached_service`]). `Api` is the service's rejection, and
/// `MalformedReply` is a reply this client cannot trust.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured wrongly. The message names what to change.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// An argument was rejected before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] OrderError),
    /// The connection to the service failed or broke.
    #[error("{method} request failed: could not reach the KupiKupi service")]
    Connect {
        /// The API method.
        method: &'static str,
        /// Whether the failure happened before the request was sent.
        before_sending: bool,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// No reply came in time.
    #[error("{method} request timed out after {timeout:?}")]
    Timeout {
        /// The API method.
        method: &'static str,
        /// The total timeout of one attempt.
        timeout: Duration,
    },
    /// The service replied with an HTTP status this client does not accept
    /// (a redirect, a 5xx after the last retry, or a 4xx without a reply body).
    #[error("{method} request failed: the KupiKupi service replied with HTTP status {status}")]
    HttpStatus {
        /// The API method.
        method: &'static str,
        /// The HTTP status code.
        status: u16,
    },
    /// The service refused the request (`Success: false`).
    #[error("{method} request refused by the KupiKupi service: {error}")]
    Api {
        /// The API method.
        method: &'static str,
        /// The service's error code and text.
        error: ApiError,
    },
    /// The reply is not what the protocol describes.
    #[error("{method} reply is malformed: {reason}")]
    MalformedReply {
        /// The API method.
        method: &'static str,
        /// What is wrong with it.
        reason: MalformedReply,
    },
    /// A notification failed verification.
    #[error(transparent)]
    Notification(#[from] NotificationError),
}

impl Error {
    /// The service's error code, if the service refused the request.
    pub fn api_code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// Whether the request may have reached the service, so that its effect
    /// is unknown. `false` for errors caught before sending and for a
    /// connection that could not be opened.
    pub fn may_have_reached_service(&self) -> bool {
        match self {
            Error::Config(_) | Error::InvalidInput(_) | Error::Notification(_) => false,
            Error::Connect { before_sending, .. } => !before_sending,
            _ => true,
        }
    }
}

/// The service's refusal: the `ErrorCode`, `Message` and `Details` of a reply
/// with `Success: false`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The error code.
    pub code: ErrorCode,
    /// The service's short message, if any.
    pub message: Option<String>,
    /// The service's details, for example the name of a malformed field.
    pub details: Option<String>,
}

impl ApiError {
    /// Builds an error from its parts.
    pub fn new(code: ErrorCode, message: Option<String>, details: Option<String>) -> Self {
        ApiError {
            code,
            message,
            details,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error code {} ({})",
            self.code.as_wire(),
            self.code.description()
        )?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(details) = &self.details {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

/// The service's error codes. Codes this version does not know are kept in
/// `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `1`: the Token does not match; check the secret key.
    InvalidToken,
    /// `2`: the `UidPlatform` is not registered.
    UnknownPlatform,
    /// `3`: a field is missing or malformed.
    InvalidRequest,
    /// `4`: no customer has this phone.
    PhoneNotRegistered,
    /// `5`: the customer has fewer points than the amount.
    NotEnoughPoints,
    /// `6`: the order already has a confirmed payment, or a payment for
    /// another amount.
    PaymentConflict,
    /// `7`: the order has no payment.
    OrderNotFound,
    /// `99`: the service failed internally.
    Internal,
    /// A code this version does not know.
    Other(String),
}

impl ErrorCode {
    /// Parses a wire code; `"0"` is not an error and becomes `Other("0")`.
    pub fn from_wire(code: &str) -> ErrorCode {
        match code {
            error_code::INVALID_TOKEN => ErrorCode::InvalidToken,
            error_code::UNKNOWN_PLATFORM => ErrorCode::UnknownPlatform,
            error_code::INVALID_REQUEST => ErrorCode::InvalidRequest,
            error_code::PHONE_NOT_REGISTERED => ErrorCode::PhoneNotRegistered,
            error_code::NOT_ENOUGH_POINTS => ErrorCode::NotEnoughPoints,
            error_code::PAYMENT_CONFLICT => ErrorCode::PaymentConflict,
            error_code::ORDER_NOT_FOUND => ErrorCode::OrderNotFound,
            error_code::INTERNAL => ErrorCode::Internal,
            other => ErrorCode::Other(other.to_owned()),
        }
    }

    /// The wire form of the code.
    pub fn as_wire(&self) -> &str {
        match self {
            ErrorCode::InvalidToken => error_code::INVALID_TOKEN,
            ErrorCode::UnknownPlatform => error_code::UNKNOWN_PLATFORM,
            ErrorCode::InvalidRequest => error_code::INVALID_REQUEST,
            ErrorCode::PhoneNotRegistered => error_code::PHONE_NOT_REGISTERED,
            ErrorCode::NotEnoughPoints => error_code::NOT_ENOUGH_POINTS,
            ErrorCode::PaymentConflict => error_code::PAYMENT_CONFLICT,
            ErrorCode::OrderNotFound => error_code::ORDER_NOT_FOUND,
            ErrorCode::Internal => error_code::INTERNAL,
            ErrorCode::Other(code) => code,
        }
    }

    /// A short English description of the code.
    pub fn description(&self) -> &'static str {
        match self {
            ErrorCode::InvalidToken => "invalid token",
            ErrorCode::UnknownPlatform => "unknown platform",
            ErrorCode::InvalidRequest => "invalid request",
            ErrorCode::PhoneNotRegistered => "phone not registered",
            ErrorCode::NotEnoughPoints => "not enough points",
            ErrorCode::PaymentConflict => "payment conflict",
            ErrorCode::OrderNotFound => "order not found",
            ErrorCode::Internal => "internal error of the service",
            ErrorCode::Other(_) => "unknown error code",
        }
    }
}

/// What is wrong with a reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedReply {
    /// The body is not JSON, or a field has the wrong type.
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The body is larger than the client reads.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A field is missing or invalid.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The payment form's address is not an absolute `https` URL (plain
    /// `http` is accepted only on loopback).
    #[error("the PaymentURL {0:?} is not an absolute https URL")]
    InsecurePaymentUrl(String),
    /// The reply describes another order or amount than the request.
    #[error("the reply is for order {order_id} and amount {amount}, not the ones requested")]
    Mismatch {
        /// The order id in the reply.
        order_id: String,
        /// The amount in the reply.
        amount: String,
    },
}

/// A field of a reply or notification that is missing or has an invalid value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A field the protocol requires is missing or `null`.
    #[error("the field {0} is missing")]
    Missing(&'static str),
    /// A field has a value of the wrong type or range.
    #[error("the field {field} is invalid: {source}")]
    Invalid {
        /// The wire name of the field.
        field: &'static str,
        /// The parse error, which names the value.
        #[source]
        source: serde_json::Error,
    },
}

/// Why a notification was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The Token is missing or wrong, or the body is not a JSON object with
    /// unique keys.
    #[error("notification rejected: {0}")]
    Token(#[from] TokenError),
    /// The `UidPlatform` is not this merchant's.
    #[error(
        "notification rejected: UidPlatform {received:?} is not the configured platform {expected}"
    )]
    WrongPlatform {
        /// The configured platform.
        expected: UidPlatform,
        /// The received value, if any.
        received: Option<String>,
    },
    /// A field is missing or has the wrong type.
    #[error("notification rejected: {0}")]
    Field(#[from] FieldError),
}
