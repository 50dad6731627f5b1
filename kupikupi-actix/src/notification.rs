//! `POST {prefix}/notifications`: the service reports a payment status.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kupikupi::token::TokenError;
use kupikupi::{FieldError, KupiKupiOrder, NotificationError};
use tracing::{Instrument, debug, debug_span, warn};

use crate::reconcile::{ApplyError, Report, apply};
use crate::respond::Problem;
use crate::routes::Shared;
use crate::store::{EventSource, OrderStore};

/// The largest notification body accepted: 64 KiB.
pub const MAX_NOTIFICATION_BYTES: usize = 64 * 1024;

/// The shortest time between two warnings about rejected notifications.
const REJECTION_WARN_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) async fn handle<S: OrderStore>(
    request: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared<S>>,
) -> HttpResponse {
    let span = debug_span!(
        "kupikupi.notification",
        order_id = tracing::field::Empty,
        payment_id = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    match receive(&request, payload, &shared)
        .instrument(span.clone())
        .await
    {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("OK"),
        Err(problem) => {
            let _entered = span.enter();
            // A foreign order id is another deployment's notification, not a
            // sign of a wrong secret, so it does not count as a rejection.
            if problem.status().is_client_error() && problem.status() != StatusCode::NOT_FOUND {
                shared.rejections.note(problem.status());
            }
            problem.respond(&request)
        }
    }
}

async fn receive<S: OrderStore>(
    request: &HttpRequest,
    payload: web::Payload,
    shared: &Shared<S>,
) -> Result<(), Problem> {
    check_content_length(request)?;
    check_content_type(request)?;
    let body = match payload.to_bytes_limited(MAX_NOTIFICATION_BYTES).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            debug!(%error, "reading the notification body failed");
            return Err(bad_request());
        }
        Err(_) => return Err(too_large()),
    };

    let notification = shared.method.verify_notification(&body).map_err(|error| {
        debug!(reason = rejection_reason(&error), "notification rejected");
        rejection_problem(&error)
    })?;
    let span = tracing::Span::current();
    span.record("order_id", tracing::field::display(&notification.order_id));
    span.record(
        "payment_id",
        tracing::field::display(&notification.payment_id),
    );
    span.record("status", tracing::field::display(&notification.status));
    debug!(amount = notification.amount.get(), "notification verified");

    let id = <S::Order as KupiKupiOrder>::parse_order_id(&notification.order_id).map_err(|_| {
        warn!(
            "notification for an order id without this shop's prefix or id format; check the order type's ID_PREFIX"
        );
        Problem::new(
            StatusCode::NOT_FOUND,
            "order_not_found",
            "Order not found",
            "The order is not one of this shop's.",
        )
    })?;

    let report = Report {
        payment: notification.payment(),
        source: EventSource::Notification,
    };
    match apply(shared, &id, &notification.order_id, report).await {
        Ok(_) => Ok(()),
        Err(error) => Err(apply_problem(&error)),
    }
}

/// Maps a failure to apply a notification to a 5xx reply, so that the
/// service delivers the notification again later, and logs it.
fn apply_problem<E: std::error::Error>(error: &ApplyError<E>) -> Problem {
    match error {
        ApplyError::UnknownOrder => {
            warn!(
                "notification for an order the store does not know; not acknowledged, the service will deliver it again"
            );
        }
        ApplyError::InvalidOrder(reason) => {
            warn!(%reason, "the stored order cannot be checked against the notification; not acknowledged");
        }
        ApplyError::Store(source) => {
            warn!(error = %source, "the order store failed; notification not acknowledged, the service will deliver it again");
        }
        ApplyError::Contention => {
            warn!(%error, "notification not acknowledged");
        }
        ApplyError::CheckOut(source) => {
            warn!(error = %source, "CheckOut failed while resolving the notification; not acknowledged");
        }
    }
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not_recorded",
        "Not recorded",
        "The notification was not recorded; deliver it again later.",
    )
}

fn check_content_length(request: &HttpRequest) -> Result<(), Problem> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > MAX_NOTIFICATION_BYTES as u64 => Err(too_large()),
        _ => Ok(()),
    }
}

/// Accepts `application/json` and `application/*+json`, with no charset or
/// UTF-8.
fn check_content_type(request: &HttpRequest) -> Result<(), Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if is_json_utf8(content_type) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "Notifications must be sent as application/json.",
        ))
    }
}

pub(crate) fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let media_type = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let json = media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"));
    let utf8 = parts.all(|parameter| {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        !name.trim().eq_ignore_ascii_case("charset")
            || value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    json && utf8
}

fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "Payload too large",
        "Notifications larger than 64 KiB are not accepted.",
    )
}

fn bad_request() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed_notification",
        "Malformed notification",
        "The notification is not a valid JSON object with the required fields.",
    )
}

fn rejection_problem(error: &NotificationError) -> Problem {
    match error {
        NotificationError::Token(
            TokenError::Missing | TokenError::NotAString | TokenError::Mismatch,
        )
        | NotificationError::WrongPlatform { .. } => Problem::new(
            StatusCode::FORBIDDEN,
            "invalid_signature",
            "Forbidden",
            "The notification's Token or platform is not valid.",
        ),
        // Everything else is about the body's syntax or fields.
        _ => bad_request(),
    }
}

/// Names why a notification was rejected without quoting it: field errors
/// can contain the value, and the value may be the customer's phone.
fn rejection_reason(error: &NotificationError) -> &'static str {
    match error {
        NotificationError::Token(TokenError::Syntax(_) | TokenError::Json(_)) => {
            "body is not valid UTF-8 JSON"
        }
        NotificationError::Token(TokenError::NotAnObject) => "body is not a JSON object",
        NotificationError::Token(TokenError::DuplicateKey(_)) => "body repeats a key",
        NotificationError::Token(TokenError::Missing) => "no Token field",
        NotificationError::Token(TokenError::NotAString) => "Token is not a string",
        NotificationError::Token(TokenError::Mismatch) => "Token does not match",
        NotificationError::WrongPlatform { .. } => "UidPlatform is not this shop's",
        NotificationError::Field(FieldError::Missing(_)) => "a required field is missing",
        NotificationError::Field(FieldError::Invalid { .. }) => "a field has an invalid value",
        _ => "invalid notification",
    }
}

/// Logs rejected notifications: a warning at most every ten seconds with the
/// number rejected since the previous one, and each rejection at debug
/// level. Many rejections mean a wrong secret key or platform, or someone
/// probing the route.
#[derive(Debug)]
pub(crate) struct RejectionLog {
    started: Instant,
    /// Milliseconds after `started` of the last warning, plus one; 0 for none.
    last_warned: AtomicU64,
    since_warned: AtomicU64,
}

impl RejectionLog {
    pub(crate) fn new() -> Self {
        RejectionLog {
            started: Instant::now(),
            last_warned: AtomicU64::new(0),
            since_warned: AtomicU64::new(0),
        }
    }

    fn note(&self, status: StatusCode) {
        let rejected = self.since_warned.fetch_add(1, Ordering::Relaxed) + 1;
        let now = u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1);
        let last = self.last_warned.load(Ordering::Relaxed);
        let interval = u64::try_from(REJECTION_WARN_INTERVAL.as_millis()).unwrap_or(u64::MAX);
        let due = last == 0 || now.saturating_sub(last) >= interval;
        if due
            && self
                .last_warned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.since_warned.store(0, Ordering::Relaxed);
            warn!(
                status = status.as_u16(),
                rejected,
                "notification rejected; check the secret key, UidPlatform and NotificationURL if this repeats"
            );
        } else {
            debug!(status = status.as_u16(), "notification rejected");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_accepted() {
        assert!(is_json_utf8("application/json"));
        assert!(is_json_utf8("Application/JSON; charset=UTF-8"));
        assert!(is_json_utf8("application/json; charset=\"utf-8\""));
        assert!(is_json_utf8("application/problem+json"));
    }

    #[test]
    fn other_content_types_rejected() {
        assert!(!is_json_utf8(""));
        assert!(!is_json_utf8("text/plain"));
        assert!(!is_json_utf8("application/x-www-form-urlencoded"));
        assert!(!is_json_utf8("application/json; charset=windows-1251"));
        assert!(!is_json_utf8("application/jsonx"));
    }
}
