//! `GET {prefix}/return/{id}`: the customer comes back from the payment
//! form. The payment is checked with `CheckOut` and recorded as a
//! notification would be, so a lost notification cannot leave a paid order
//! unpaid. Then the customer goes on to the order's success or fail URL.
//! The query string is never read.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kupikupi::KupiKupiOrder;
use tracing::{Instrument, debug, debug_span, warn};

use crate::checkout::{invalid_order, not_found, paid_response, path_id, store_failed};
use crate::reconcile::{ApplyError, Report, apply};
use crate::respond::{Problem, escape_html, page, see_other};
use crate::routes::Shared;
use crate::store::{EventKind, EventSource, IdOf, OrderStore};

pub(crate) async fn handle<S: OrderStore>(
    request: HttpRequest,
    shared: web::Data<Shared<S>>,
) -> HttpResponse {
    let Some(id) = path_id::<S>(&request) else {
        return not_found().respond(&request);
    };
    let span = debug_span!("kupikupi.return", order_id = tracing::field::Empty);
    match settle(&shared, &id).instrument(span).await {
        Ok(response) => response,
        Err(problem) => problem.respond(&request),
    }
}

async fn settle<S: OrderStore>(shared: &Shared<S>, id: &IdOf<S>) -> Result<HttpResponse, Problem> {
    let loaded = match shared.store.load(id).await {
        Ok(Some(loaded)) => loaded,
        Ok(None) => {
            debug!(id = %id, "no such order");
            return Err(not_found());
        }
        Err(error) => {
            warn!(id = %id, %error, "loading the order failed");
            return Err(store_failed());
        }
    };
    let order_id = loaded
        .order
        .order_id()
        .map_err(|error| invalid_order(&error))?;
    tracing::Span::current().record("order_id", tracing::field::display(&order_id));
    if loaded.is_paid() {
        debug!("order already paid");
        return Ok(paid_response(shared, &loaded.order));
    }
    let amount = loaded
        .order
        .amount()
        .map_err(|error| invalid_order(&error))?;

    let payment = match shared.method.payment_status(&order_id, amount).await {
        Ok(Some(payment)) => payment,
        Ok(None) => {
            debug!("the service has no payment for the order");
            return Ok(failed_response(shared, &loaded.order));
        }
        Err(error) => {
            warn!(%error, "CheckOut failed on the customer's return; the payment stays unchecked until a notification arrives");
            return Err(Problem::new(
                StatusCode::BAD_GATEWAY,
                "payment_status_unavailable",
                "Payment not checked yet",
                "KupiKupi could not be reached to check the payment. If you confirmed it, the order is marked paid as soon as KupiKupi reports it. Reload this page in a minute.",
            ));
        }
    };
    let report = Report {
        payment,
        source: EventSource::CheckOut,
    };
    let settled = match apply(shared, id, &order_id, report).await {
        Ok(settled) => settled,
        Err(ApplyError::UnknownOrder) => return Err(not_found()),
        Err(ApplyError::InvalidOrder(error)) => return Err(invalid_order(&error)),
        Err(error) => {
            warn!(%error, "recording the payment on the customer's return failed");
            return Err(store_failed());
        }
    };

    if settled.is_paid() {
        Ok(paid_response(shared, &settled.order))
    } else if settled.recorded == Some(EventKind::AmountMismatch)
        || settled.report.payment.status.is_failed()
    {
        Ok(failed_response(shared, &settled.order))
    } else {
        debug!(status = %settled.report.payment.status, "payment still open");
        Ok(pending_response(shared, id))
    }
}

fn failed_response<S: OrderStore>(shared: &Shared<S>, order: &S::Order) -> HttpResponse {
    match shared.order_target(order, false) {
        Some(target) => see_other(&target),
        None => page(
            "Payment not completed",
            "The payment with KupiKupi points was not completed, and nothing was charged.",
            "",
        ),
    }
}

/// The customer is back but the payment is still open: let them continue it
/// (checkout resumes the same payment) or check again.
fn pending_response<S: OrderStore>(shared: &Shared<S>, id: &IdOf<S>) -> HttpResponse {
    let checkout = escape_html(&shared.route_path("checkout", id));
    let again = escape_html(&shared.route_path("return", id));
    let extra = format!(
        "<form method=\"post\" action=\"{checkout}\">\
         <button type=\"submit\">Continue the payment</button></form>\
         <p><a href=\"{again}\">Check again</a></p>"
    );
    page(
        "Payment not finished yet",
        "KupiKupi has not confirmed the payment yet. Continue it, or check again if you have just confirmed it.",
        &extra,
    )
}
