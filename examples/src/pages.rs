//! The shop's own pages: the catalogue, creating an order and the order
//! page with the "Pay with KupiKupi points" button.

use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use kupikupi::{ErrorCode, Kopecks, PaymentMethod, PaymentOrder, PaymentStatus, Phone};
use serde::Deserialize;
use tracing::{debug, warn};

use crate::ShopState;
use crate::db::StoredOrder;

/// A product on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// The product's key in forms.
    pub sku: &'static str,
    /// The name shown to customers and on the payment form.
    pub name: &'static str,
    /// The price in kopecks.
    pub price_kopecks: i64,
}

/// Everything the shop sells.
pub const CATALOGUE: &[Product] = &[
    Product {
        sku: "coffee",
        name: "Coffee beans, 1 kg",
        price_kopecks: 97_200,
    },
    Product {
        sku: "kettle",
        name: "Gooseneck kettle",
        price_kopecks: 354_000,
    },
    Product {
        sku: "grinder",
        name: "Burr grinder",
        price_kopecks: 1_290_000,
    },
];

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(catalogue))
        .route("/orders", web::post().to(create_order))
        .route("/orders/{id}", web::get().to(order_page));
}

fn escape(text: &str) -> String {
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

fn price(kopecks: i64) -> String {
    u64::try_from(kopecks)
        .map(|kopecks| Kopecks::new(kopecks).to_string())
        .unwrap_or_else(|_| format!("{kopecks} kopecks"))
}

/// A whole page around `body`, which must already be escaped.
fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Corner Coffee</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<header><a href=\"/\">Corner Coffee</a></header>\n<main>\n{body}\n</main>\n\
         </body>\n</html>\n",
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

const STYLE: &str = "body{font-family:sans-serif;margin:0;color:#222}\
header{background:#4a2c1d;padding:.75rem 2rem}header a{color:#fff;text-decoration:none;font-weight:bold}\
main{max-width:44rem;margin:2rem}.product{border:1px solid #ddd;padding:1rem;margin-bottom:1rem}\
.paid{color:#06601f;font-size:1.4rem}.error{color:#a00}.points{font-size:1.2rem}\
button{background:#e2462f;color:#fff;border:0;padding:.6rem 1rem;font-size:1rem;cursor:pointer}";

fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    page(
        status,
        "Error",
        &format!(
            "<h1>Something went wrong</h1>\n<p class=\"error\">{}</p>\n<p><a href=\"/\">Back to the shop</a></p>",
            escape(message)
        ),
    )
}

async fn catalogue(state: web::Data<ShopState>) -> HttpResponse {
    let phone = state.demo_phone.as_deref().unwrap_or("");
    let mut body = String::from("<h1>Catalogue</h1>\n");
    for product in CATALOGUE {
        let _ = write!(
            body,
            "<section class=\"product\">\n<h2>{name}</h2>\n<p>{price}</p>\n\
             <form method=\"post\" action=\"/orders\">\n\
             <input type=\"hidden\" name=\"sku\" value=\"{sku}\">\n\
             <label>Phone <input id=\"phone-{sku}\" name=\"phone\" type=\"tel\" required \
             value=\"{phone}\" placeholder=\"+7 900 123-45-67\"></label>\n\
             <button type=\"submit\" id=\"order-{sku}\">Order</button>\n</form>\n</section>\n",
            name = escape(product.name),
            price = escape(&price(product.price_kopecks)),
            sku = escape(product.sku),
            phone = escape(phone),
        );
    }
    page(StatusCode::OK, "Catalogue", &body)
}

/// The order form's fields.
#[derive(Debug, Deserialize)]
struct NewOrder {
    sku: String,
    phone: String,
}

async fn create_order(state: web::Data<ShopState>, form: web::Form<NewOrder>) -> HttpResponse {
    let Some(product) = CATALOGUE.iter().find(|product| product.sku == form.sku) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This product is not in the catalogue.",
        );
    };
    let phone = match Phone::parse(&form.phone) {
        Ok(phone) => phone,
        Err(error) => {
            debug!(%error, "order rejected: invalid phone");
            return error_page(
                StatusCode::BAD_REQUEST,
                "The phone number is not valid. Enter 11 digits starting with 7, like +7 900 123-45-67.",
            );
        }
    };
    match state
        .db
        .create_order(product.name, product.price_kopecks, &phone)
        .await
    {
        Ok(id) => {
            debug!(order_id = id, sku = product.sku, phone = %phone, "order created");
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/orders/{id}")))
                .finish()
        }
        Err(error) => {
            warn!(%error, sku = product.sku, "order could not be stored");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The order could not be saved. Try again.",
            )
        }
    }
}

/// The order page's query: `?payment=failed` after a failed payment.
#[derive(Debug, Deserialize)]
struct OrderQuery {
    payment: Option<String>,
}

async fn order_page(
    state: web::Data<ShopState>,
    id: web::Path<i64>,
    query: web::Query<OrderQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let stored = match state.db.order(id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "No order has this number."),
        Err(error) => {
            warn!(%error, order_id = id, "order could not be loaded");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The order could not be loaded. Try again.",
            );
        }
    };
    // A payment still open here may have been made while every notification
    // was lost and the customer never came back; ask the service.
    let open = stored
        .payment
        .as_ref()
        .is_some_and(|payment| !payment.status.is_final());
    let stored = if open {
        refreshed(&state, id, stored).await
    } else {
        stored
    };
    let order = &stored.order;
    let masked = Phone::parse(&order.phone)
        .map(|phone| phone.masked())
        .unwrap_or_else(|_| "(invalid phone)".to_owned());
    let mut body = format!(
        "<h1>Order {id}</h1>\n<p>{product}: <strong>{amount}</strong></p>\n<p>Phone: {phone}</p>\n",
        product = escape(&order.product),
        amount = escape(&price(order.total_kopecks)),
        phone = escape(&masked),
    );
    if stored.paid {
        body.push_str(
            "<p class=\"paid\" id=\"status\">Paid with KupiKupi points. Thank you!</p>\n",
        );
        return page(StatusCode::OK, "Order paid", &body);
    }
    body.push_str(&payment_state(&stored, query.payment.as_deref()));
    body.push_str(&pay_section(&state, &stored).await);
    page(StatusCode::OK, "Order", &body)
}

/// Checks an open payment with the service and reloads the order; on any
/// failure the order is shown as it was, and the next view checks again.
async fn refreshed(state: &ShopState, id: i64, stored: StoredOrder) -> StoredOrder {
    if let Err(error) = state.routes.check_payment(&id).await {
        warn!(%error, order_id = id, "checking the open payment failed");
        return stored;
    }
    match state.db.order(id).await {
        Ok(Some(reloaded)) => reloaded,
        Ok(None) => stored,
        Err(error) => {
            warn!(%error, order_id = id, "order could not be reloaded");
            stored
        }
    }
}

/// A line about the last payment attempt, if there was one.
fn payment_state(stored: &StoredOrder, outcome: Option<&str>) -> String {
    let status = stored.payment.as_ref().map(|payment| &payment.status);
    let text = match status {
        Some(PaymentStatus::Rejected) => "The payment was rejected.",
        Some(PaymentStatus::Canceled) => "The payment was cancelled.",
        Some(PaymentStatus::DeadlineExpired) => "The payment form expired before it was finished.",
        Some(status) if !status.is_final() => "A payment is in progress.",
        _ if outcome == Some("failed") => "The payment did not go through.",
        _ => return "<p id=\"status\">Not paid yet.</p>\n".to_owned(),
    };
    let wire = status.map(PaymentStatus::as_wire).unwrap_or("none");
    format!(
        "<p id=\"status\" class=\"error\" data-status=\"{}\">{}</p>\n",
        escape(wire),
        escape(text)
    )
}

/// The customer's points and, when they cover the order, the pay button.
async fn pay_section(state: &ShopState, stored: &StoredOrder) -> String {
    let order = &stored.order;
    let payment_order = match PaymentOrder::from_order(order, Some(&state.public_url)) {
        Ok(payment_order) => payment_order,
        Err(error) => {
            warn!(%error, order_id = order.id, "order cannot be paid with points");
            return "<p class=\"error\">This order cannot be paid with points.</p>\n".to_owned();
        }
    };
    let mut section = String::new();
    if let Some(phone) = &payment_order.phone {
        match state.kupikupi.client().balance(phone).await {
            Ok(balance) => {
                let _ = writeln!(
                    section,
                    "<p class=\"points\" id=\"points\">Your KupiKupi points: {}</p>",
                    escape(&balance.balance.to_string())
                );
            }
            Err(error) if error.api_code() == Some(&ErrorCode::PhoneNotRegistered) => {
                section.push_str("<p id=\"points\">This phone has no KupiKupi account.</p>\n");
            }
            Err(error) => {
                warn!(%error, order_id = order.id, "balance could not be read");
                section.push_str(
                    "<p class=\"error\" id=\"points\">KupiKupi is not reachable right now.</p>\n",
                );
            }
        }
    }
    match state.kupikupi.can_pay(&payment_order).await {
        Ok(true) => {
            let _ = write!(
                section,
                "<form method=\"post\" action=\"/kupikupi/checkout/{id}\">\n\
                 <button type=\"submit\" id=\"pay\">Pay with KupiKupi points</button>\n</form>\n",
                id = order.id
            );
        }
        Ok(false) => {
            section.push_str(
                "<p id=\"not-enough\">Your points do not cover this order, so it cannot be paid with KupiKupi.</p>\n",
            );
        }
        Err(error) => {
            warn!(%error, order_id = order.id, "could not check whether points cover the order");
        }
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_markup() {
        assert_eq!(
            escape(r#"<b a="x">'&'</b>"#),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn catalogue_prices_are_positive() {
        for product in CATALOGUE {
            assert!(product.price_kopecks > 0, "{}", product.sku);
        }
    }
}
