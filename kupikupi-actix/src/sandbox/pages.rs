//! The HTML pages: the payment form, the customer's account, the delivery
//! log and an index. They are plain HTML forms and links that work without
//! JavaScript, and every value they print is escaped.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use kupikupi::{PaymentStatus, Phone};
use serde::Deserialize;
use tracing::debug;

use super::delivery::{AttemptResult, DeliveryState};
use super::model::{Account, CodeOutcome, FormView};
use super::server::Shared;

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/pay/{key}", web::get().to(show_form))
        .route("/pay/{key}", web::post().to(submit_code))
        .route("/pay/{key}/cancel", web::post().to(cancel))
        .route("/sandbox/accounts/{phone}", web::get().to(account_page))
        .route(
            "/sandbox/accounts/{phone}/json",
            web::get().to(account_json),
        )
        .route("/sandbox/deliveries", web::get().to(deliveries_page))
        .route("/sandbox/deliveries/json", web::get().to(deliveries_json));
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A whole page around `body`, which must already be escaped.
fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · KupiKupi sandbox</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<main>\n<p class=\"banner\">KupiKupi sandbox: no real points move here.</p>\n\
         {body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html)
}

const STYLE: &str = "body{font-family:sans-serif;margin:2rem;color:#222}\
main{max-width:44rem}.banner{background:#fff3cd;padding:.5rem}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}\
.error{color:#a00}.amount{font-size:1.5rem}";

fn internal_error_page() -> HttpResponse {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "<h1>Internal error</h1><p>The sandbox could not read its state. Restart it.</p>",
    )
}

fn not_found_page(what: &str) -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("<h1>Not found</h1><p>{}</p>", escape(what)),
    )
}

async fn index(shared: web::Data<Shared>) -> HttpResponse {
    let shared = shared.into_inner();
    let Ok(customers) = shared.with_state(|state, _, _| state.customers()) else {
        return internal_error_page();
    };
    let mut body = String::from(
        "<h1>KupiKupi sandbox</h1>\n<p>The API answers <code>POST</code> requests at this \
         address followed by the method name.</p>\n<h2>Customer accounts</h2>\n<ul>\n",
    );
    for (phone, balance) in customers {
        let _ = writeln!(
            body,
            "<li><a href=\"/sandbox/accounts/{}\">{}</a>: {}</li>",
            escape(&phone.full()),
            escape(&phone.masked()),
            escape(&balance.to_string()),
        );
    }
    body.push_str("</ul>\n<p><a href=\"/sandbox/deliveries\">Notification deliveries</a></p>");
    page(StatusCode::OK, "Sandbox", &body)
}

async fn show_form(shared: web::Data<Shared>, key: web::Path<String>) -> HttpResponse {
    let shared = shared.into_inner();
    let result = shared.with_state(|state, now, outbox| state.open_form(&key, now, outbox));
    match result {
        Err(_) => internal_error_page(),
        Ok(None) => not_found_page("No payment has this form."),
        Ok(Some(view)) => {
            debug!(order_id = %view.order_id, status = %view.status, "payment form shown");
            form_or_result(&view, None)
        }
    }
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn submit_code(
    shared: web::Data<Shared>,
    key: web::Path<String>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let shared = shared.into_inner();
    let result =
        shared.with_state(|state, now, outbox| state.submit_code(&key, &form.code, now, outbox));
    match result {
        Err(_) | Ok(Err(_)) => internal_error_page(),
        Ok(Ok(None)) => not_found_page("No payment has this form."),
        Ok(Ok(Some(CodeOutcome::WrongCode(view)))) => {
            debug!(order_id = %view.order_id, codes_left = view.codes_left, "wrong transfer code");
            let message = format!(
                "Wrong code. {} {} left.",
                view.codes_left,
                if view.codes_left == 1 { "try" } else { "tries" }
            );
            form_or_result(&view, Some(&message))
        }
        Ok(Ok(Some(CodeOutcome::Final(view)))) => {
            debug!(order_id = %view.order_id, status = %view.status, "payment form finished");
            form_or_result(&view, None)
        }
    }
}

async fn cancel(shared: web::Data<Shared>, key: web::Path<String>) -> HttpResponse {
    let shared = shared.into_inner();
    match shared.with_state(|state, now, outbox| state.cancel(&key, now, outbox)) {
        Err(_) => internal_error_page(),
        Ok(None) => not_found_page("No payment has this form."),
        Ok(Some(view)) => {
            debug!(order_id = %view.order_id, status = %view.status, "payment form cancelled");
            form_or_result(&view, None)
        }
    }
}

/// The form for an open payment; for a final one, a redirect to the URL
/// the merchant sent in `Init` for that outcome, or a result page.
fn form_or_result(view: &FormView, error: Option<&str>) -> HttpResponse {
    if view.status.is_final() {
        return match &view.return_url {
            Some(url) => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            None => result_page(view),
        };
    }
    let mut body = format!(
        "<h1>Pay with KupiKupi points</h1>\n<p>Shop: <strong>{shop}</strong></p>\n",
        shop = escape(&view.shop_name)
    );
    if let Some(description) = &view.description {
        let _ = writeln!(body, "<p>{}</p>", escape(description));
    }
    let _ = write!(
        body,
        "<p>Order {order}</p>\n<p class=\"amount\">{amount}</p>\n\
         <p>Customer: {phone}</p>\n<p>The transfer code is on your account page. \
         Time left: {time_left}.</p>\n",
        order = escape(view.order_id.as_str()),
        amount = escape(&view.amount.to_string()),
        phone = escape(&view.phone.masked()),
        time_left = escape(&format_remaining(view.time_left)),
    );
    if let Some(error) = error {
        let _ = writeln!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    let key = escape(&view.form_key);
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/pay/{key}\">\n\
         <label for=\"code\">Transfer code</label>\n\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
         required autofocus>\n<button type=\"submit\">Pay</button>\n</form>\n\
         <form method=\"post\" action=\"/pay/{key}/cancel\">\n\
         <button type=\"submit\">Cancel</button>\n</form>"
    );
    page(StatusCode::OK, "Payment", &body)
}

fn result_page(view: &FormView) -> HttpResponse {
    let outcome = match &view.status {
        PaymentStatus::Confirmed => "The payment is confirmed: the points were transferred.",
        PaymentStatus::Rejected => "The payment was rejected.",
        PaymentStatus::Canceled => "The payment was cancelled.",
        PaymentStatus::DeadlineExpired => "The payment form expired.",
        _ => "The payment is not finished.",
    };
    let body = format!(
        "<h1>{outcome}</h1>\n<p>Shop: {shop}. Order {order}, {amount}. Status: \
         <code>{status}</code>.</p>\n<p>The shop gave no address to return to; close this \
         page.</p>",
        outcome = escape(outcome),
        shop = escape(&view.shop_name),
        order = escape(view.order_id.as_str()),
        amount = escape(&view.amount.to_string()),
        status = escape(view.status.as_wire()),
    );
    page(StatusCode::OK, "Payment result", &body)
}

/// Whole minutes and seconds, such as `14 min 5 s`.
fn format_remaining(remaining: Duration) -> String {
    let seconds = remaining.as_secs();
    match (seconds / 60, seconds % 60) {
        (0, seconds) => format!("{seconds} s"),
        (minutes, 0) => format!("{minutes} min"),
        (minutes, seconds) => format!("{minutes} min {seconds} s"),
    }
}

/// Why an account could not be shown.
enum AccountFailure {
    NotFound(String),
    Unavailable,
}

impl AccountFailure {
    fn page(self) -> HttpResponse {
        match self {
            AccountFailure::NotFound(message) => not_found_page(&message),
            AccountFailure::Unavailable => internal_error_page(),
        }
    }
}

fn load_account(shared: &Arc<Shared>, phone: &str) -> Result<Account, AccountFailure> {
    let phone = Phone::parse(phone)
        .map_err(|error| AccountFailure::NotFound(format!("No such account: {error}.")))?;
    let account = shared
        .with_state(|state, now, outbox| state.account(&phone, now, outbox))
        .map_err(|_| AccountFailure::Unavailable)?;
    account.ok_or_else(|| AccountFailure::NotFound("No customer has this phone.".into()))
}

async fn account_page(shared: web::Data<Shared>, phone: web::Path<String>) -> HttpResponse {
    let account = match load_account(&shared.into_inner(), &phone) {
        Ok(account) => account,
        Err(failure) => return failure.page(),
    };
    let mut body = format!(
        "<h1>Personal account</h1>\n<p>Phone: {phone}</p>\n<p class=\"amount\">Balance: \
         {balance}</p>\n<h2>Transfer codes</h2>\n",
        phone = escape(&account.phone.masked()),
        balance = escape(&account.balance.to_string()),
    );
    if account.pending.is_empty() {
        body.push_str("<p>No payments are waiting for a code.</p>");
    } else {
        body.push_str(
            "<table>\n<tr><th>Shop platform</th><th>Order</th><th>Amount</th>\
             <th>Code</th><th>Form</th></tr>\n",
        );
        for pending in &account.pending {
            let _ = writeln!(
                body,
                "<tr><td>{uid}</td><td>{order}</td><td>{amount}</td>\
                 <td><strong class=\"code\">{code}</strong></td>\
                 <td><a href=\"{url}\">open</a></td></tr>",
                uid = escape(pending.uid_platform.as_str()),
                order = escape(pending.order_id.as_str()),
                amount = escape(&pending.amount.to_string()),
                code = escape(&pending.code),
                url = escape(pending.payment_url.as_str()),
            );
        }
        body.push_str("</table>");
    }
    page(StatusCode::OK, "Personal account", &body)
}

async fn account_json(shared: web::Data<Shared>, phone: web::Path<String>) -> HttpResponse {
    match load_account(&shared.into_inner(), &phone) {
        Ok(account) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(account),
        Err(failure) => failure.page(),
    }
}

async fn deliveries_page(shared: web::Data<Shared>) -> HttpResponse {
    let deliveries = shared.deliveries.snapshot();
    let mut body = String::from(
        "<h1>Notification deliveries</h1>\n<table>\n<tr><th>#</th><th>Platform</th>\
         <th>Order</th><th>Payment</th><th>Status</th><th>State</th><th>Attempts</th></tr>\n",
    );
    for delivery in &deliveries {
        let mut attempts = String::new();
        for attempt in &delivery.attempts {
            let result = match &attempt.result {
                AttemptResult::Accepted => "accepted".to_owned(),
                AttemptResult::Rejected { http_status, body } => {
                    format!("rejected: HTTP {http_status}, body {body:?}")
                }
                AttemptResult::Failed { error } => format!("failed: {error}"),
                AttemptResult::NoNotificationUrl => "no notification URL".to_owned(),
            };
            let signature = if attempt.wrong_secret {
                ", wrong secret"
            } else {
                ""
            };
            let _ = write!(
                attempts,
                "<li>#{number} at {at} ms{signature}: {result}</li>",
                number = attempt.number,
                at = attempt.sent_at_ms,
                result = escape(&result),
            );
        }
        let state = match delivery.state {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::GaveUp => "gave up",
            DeliveryState::Dropped => "dropped",
        };
        let _ = writeln!(
            body,
            "<tr><td>{id}</td><td>{uid}</td><td>{order}</td><td>{payment}</td>\
             <td>{status}</td><td>{state}</td><td><ul>{attempts}</ul></td></tr>",
            id = delivery.id,
            uid = escape(delivery.uid_platform.as_str()),
            order = escape(delivery.order_id.as_str()),
            payment = escape(delivery.payment_id.as_str()),
            status = escape(delivery.status.as_wire()),
        );
    }
    body.push_str("</table>");
    page(StatusCode::OK, "Deliveries", &body)
}

async fn deliveries_json(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(shared.deliveries.snapshot())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn remaining_time_reads_naturally() {
        assert_eq!(format_remaining(Duration::from_secs(5)), "5 s");
        assert_eq!(format_remaining(Duration::from_secs(120)), "2 min");
        assert_eq!(format_remaining(Duration::from_secs(905)), "15 min 5 s");
    }
}
