//! `POST {prefix}/checkout/{id}`: starts or resumes the order's payment and
//! sends the customer to the service's form.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kupikupi::{Error, ErrorCode, InitOutcome, KupiKupiOrder, OrderError, PaymentOrder, Phone};
use tracing::{Instrument, debug, debug_span, warn};
use url::Url;

use crate::reconcile::{ApplyError, Report, apply};
use crate::respond::{Problem, escape_html, page, see_other};
use crate::routes::Shared;
use crate::store::{EventSource, IdOf, LoadedOrder, OrderStore};

/// The largest checkout form accepted; the form contains one phone number.
const MAX_FORM_BYTES: usize = 4 * 1024;

pub(crate) async fn handle<S: OrderStore>(
    request: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared<S>>,
) -> HttpResponse {
    let Some(id) = path_id::<S>(&request) else {
        return not_found().respond(&request);
    };
    let span = debug_span!("kupikupi.checkout", order_id = tracing::field::Empty);
    let result = checkout(&request, payload, &shared, &id)
        .instrument(span)
        .await;
    match result {
        Ok(response) => response,
        Err(problem) => problem.respond(&request),
    }
}

/// Parses the merchant's order id from the path. Only the id's canonical
/// text form is accepted, so that one order has exactly one address.
pub(crate) fn path_id<S: OrderStore>(request: &HttpRequest) -> Option<IdOf<S>> {
    let text = request.match_info().get("order_id")?;
    let id: IdOf<S> = text.parse().ok()?;
    (id.to_string() == text).then_some(id)
}

async fn checkout<S: OrderStore>(
    request: &HttpRequest,
    payload: web::Payload,
    shared: &Shared<S>,
    id: &IdOf<S>,
) -> Result<HttpResponse, Problem> {
    let posted_phone = read_posted_phone(request, payload).await?;
    let loaded = load_order(shared, id).await?;
    let order = &loaded.order;
    let order_id = order.order_id().map_err(|error| invalid_order(&error))?;
    tracing::Span::current().record("order_id", tracing::field::display(&order_id));

    if loaded.is_paid() {
        debug!("order already paid; sending the customer to its success page");
        return Ok(paid_response(shared, order));
    }

    let amount = order.amount().map_err(|error| invalid_order(&error))?;
    let phone = match posted_phone {
        Some(text) => Phone::parse(&text).map_err(|error| {
            debug!(%error, "posted phone rejected");
            phone_problem(
                shared,
                id,
                "The phone number is not valid. Enter 11 digits starting with 7.",
            )
        })?,
        None => match order.phone() {
            Ok(Some(phone)) => phone,
            Ok(None) => {
                return Err(phone_problem(
                    shared,
                    id,
                    "Enter the phone number of your KupiKupi account to pay with points.",
                ));
            }
            Err(error) => {
                debug!(%error, "the order's phone is not valid; asking the customer");
                return Err(phone_problem(
                    shared,
                    id,
                    "The phone number is not valid. Enter 11 digits starting with 7.",
                ));
            }
        },
    };

    let mut payment_order = PaymentOrder::new(order_id.clone(), amount).phone(phone);
    payment_order.description = order.description();
    let (success_url, fail_url) = form_return_urls(shared, id, order);
    payment_order.success_url = success_url;
    payment_order.fail_url = fail_url;

    match shared.method.start_payment(&payment_order).await {
        Ok(InitOutcome::Form(form)) if form.payment.status.is_final() => {
            // No form to show for a payment that is already over.
            debug!(payment_id = %form.payment.payment_id, status = %form.payment.status, "Init returned a final payment");
            let report = Report {
                payment: form.payment,
                source: EventSource::Init,
            };
            settle_and_redirect(shared, id, &order_id, report).await
        }
        Ok(InitOutcome::Form(form)) => {
            record_started(shared, id, &order_id, &form.payment).await;
            if shared.method.is_trusted_form_url(&form.url) {
                debug!(payment_id = %form.payment.payment_id, status = %form.payment.status, "sending the customer to the payment form");
                Ok(see_other(form.url.as_str()))
            } else {
                warn!(payment_id = %form.payment.payment_id, host = form.url.host_str().unwrap_or(""), "the payment form is on a host the payment method does not trust; not redirecting");
                Err(service_failed())
            }
        }
        Ok(InitOutcome::Finished(payment)) => {
            debug!(payment_id = %payment.payment_id, status = %payment.status, "the order's payment is already final");
            let report = Report {
                payment,
                source: EventSource::CheckOut,
            };
            settle_and_redirect(shared, id, &order_id, report).await
        }
        Ok(other) => {
            warn!(outcome = ?other, "Init returned an outcome this version does not handle");
            Err(service_failed())
        }
        Err(error) => start_failed(shared, id, &order_id, amount, error).await,
    }
}

/// Records the payment `Init` returned, so that notifications for it are
/// recognised. A failure here is logged and the customer still goes to the
/// form: a notification for a payment not on record is confirmed with
/// `CheckOut` instead, so nothing is lost, only slower.
async fn record_started<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    order_id: &kupikupi::OrderId,
    payment: &kupikupi::Payment,
) {
    let report = Report {
        payment: payment.clone(),
        source: EventSource::Init,
    };
    if let Err(error) = apply(shared, id, order_id, report).await {
        warn!(%error, payment_id = %payment.payment_id, "recording the started payment failed; its notifications will be confirmed with CheckOut");
    }
}

/// Handles a failed `Init`; nothing was charged in any of these cases.
async fn start_failed<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    order_id: &kupikupi::OrderId,
    amount: kupikupi::Kopecks,
    error: Error,
) -> Result<HttpResponse, Problem> {
    match error.api_code() {
        Some(ErrorCode::NotEnoughPoints) => {
            debug!("the customer has too few points; no payment started");
            Err(Problem::new(
                StatusCode::PAYMENT_REQUIRED,
                "not_enough_points",
                "Not enough points",
                "Your KupiKupi balance does not cover this order. No payment was started and nothing was charged. Choose another way to pay.",
            ))
        }
        Some(ErrorCode::PhoneNotRegistered) => {
            debug!("no KupiKupi account for the phone; asking for another");
            Err(phone_problem(
                shared,
                id,
                "No KupiKupi account uses this phone number. Enter the number of your account.",
            ))
        }
        Some(ErrorCode::PaymentConflict) => {
            debug!("Init reports a conflicting payment; asking CheckOut");
            match shared.method.payment_status(order_id, amount).await {
                Ok(Some(payment)) if payment.status.is_paid() => {
                    let report = Report {
                        payment,
                        source: EventSource::CheckOut,
                    };
                    settle_and_redirect(shared, id, order_id, report).await
                }
                Ok(_) => {
                    warn!(
                        "Init reports a payment conflict but the order is not paid; the order's amount may have changed after a payment started"
                    );
                    Err(Problem::new(
                        StatusCode::CONFLICT,
                        "payment_conflict",
                        "Payment cannot be started",
                        "A payment for this order is already in progress for another amount. Nothing was charged. Contact the shop.",
                    ))
                }
                Err(check_error) => {
                    warn!(error = %check_error, "CheckOut after a payment conflict failed");
                    Err(service_failed())
                }
            }
        }
        Some(ErrorCode::InvalidRequest) => {
            warn!(%error, "the service rejected Init as invalid");
            Err(service_failed())
        }
        _ if matches!(error, Error::InvalidInput(_)) => {
            debug!(%error, "Init rejected before sending");
            Err(phone_problem(
                shared,
                id,
                "Enter the phone number of your KupiKupi account to pay with points.",
            ))
        }
        _ => {
            warn!(%error, "starting the payment failed; nothing was charged");
            Err(service_failed())
        }
    }
}

/// Records a final payment found at checkout and redirects by its outcome.
async fn settle_and_redirect<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    order_id: &kupikupi::OrderId,
    report: Report,
) -> Result<HttpResponse, Problem> {
    match apply(shared, id, order_id, report).await {
        Ok(settled) if settled.is_paid() => Ok(paid_response(shared, &settled.order)),
        Ok(_) => Err(service_failed()),
        Err(ApplyError::UnknownOrder) => Err(not_found()),
        Err(error) => {
            warn!(%error, "recording the order's final payment failed");
            Err(store_failed())
        }
    }
}

async fn load_order<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
) -> Result<LoadedOrder<S::Order>, Problem> {
    match shared.store.load(id).await {
        Ok(Some(loaded)) => Ok(loaded),
        Ok(None) => {
            debug!(id = %id, "no such order");
            Err(not_found())
        }
        Err(error) => {
            warn!(id = %id, %error, "loading the order failed");
            Err(store_failed())
        }
    }
}

/// The URLs the form sends the customer back to: the return route when a
/// public base URL is set, so the payment is checked on the way back; else
/// the order type's own URLs, if they are absolute or can be resolved.
fn form_return_urls<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    order: &S::Order,
) -> (Option<Url>, Option<Url>) {
    if let Some(url) = shared.return_url(id) {
        return (Some(url.clone()), Some(url));
    }
    let absolute = |target: Option<String>| target.and_then(|text| Url::parse(&text).ok());
    (
        absolute(shared.order_target(order, true)),
        absolute(shared.order_target(order, false)),
    )
}

pub(crate) fn paid_response<S: OrderStore>(shared: &Shared<S>, order: &S::Order) -> HttpResponse {
    match shared.order_target(order, true) {
        Some(target) => see_other(&target),
        None => page(
            "Payment confirmed",
            "Your order is paid with KupiKupi points. Thank you!",
            "",
        ),
    }
}

async fn read_posted_phone(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Option<String>, Problem> {
    let body = match payload.to_bytes_limited(MAX_FORM_BYTES).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            debug!(%error, "reading the checkout form failed");
            return Err(bad_form());
        }
        Err(_) => {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Form too large",
                "The checkout form is larger than expected.",
            ));
        }
    };
    if body.is_empty() {
        return Ok(None);
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported form",
            "Send the checkout form as application/x-www-form-urlencoded.",
        ));
    }
    if std::str::from_utf8(&body).is_err() {
        return Err(bad_form());
    }
    let phone = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "phone")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty());
    Ok(phone)
}

fn phone_problem<S: OrderStore>(
    shared: &Shared<S>,
    id: &IdOf<S>,
    message: &'static str,
) -> Problem {
    let action = escape_html(&shared.route_path("checkout", id));
    let form = format!(
        "<form method=\"post\" action=\"{action}\">\
         <label>Phone <input name=\"phone\" type=\"tel\" autocomplete=\"tel\" \
         placeholder=\"+7 900 000-00-00\" required></label> \
         <button type=\"submit\">Pay with points</button></form>"
    );
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid_phone",
        "Phone number needed",
        message,
    )
    .with_html(form)
}

pub(crate) fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "order_not_found",
        "Order not found",
        "There is no such order.",
    )
}

pub(crate) fn store_failed() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "shop_unavailable",
        "Try again shortly",
        "The shop cannot process the order right now. Nothing was charged. Please try again in a minute.",
    )
}

fn service_failed() -> Problem {
    Problem::new(
        StatusCode::BAD_GATEWAY,
        "payment_service_unavailable",
        "Payment service unavailable",
        "KupiKupi could not be reached to start the payment. Nothing was charged. Please try again in a few minutes or choose another way to pay.",
    )
}

pub(crate) fn invalid_order(error: &OrderError) -> Problem {
    warn!(%error, "the stored order cannot be paid with KupiKupi");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "invalid_order",
        "Order cannot be paid",
        "This order cannot be paid with KupiKupi points. Nothing was charged. Contact the shop.",
    )
}

fn bad_form() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed_form",
        "Malformed form",
        "The checkout form could not be read.",
    )
}
