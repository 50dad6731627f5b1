//! Requests, replies and notifications.

use url::Url;

use crate::{Kopecks, OrderId, PaymentId, PaymentStatus, Phone, UidPlatform};

/// A customer's points balance, the reply to `Balance`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Balance {
    /// The customer.
    pub phone: Phone,
    /// Available points, in kopecks.
    pub balance: Kopecks,
}

/// The arguments of `Init`: which order to pay, how much, and by whom.
///
/// ```
/// use kupikupi::{InitRequest, Kopecks, OrderId, Phone};
///
/// let request = InitRequest::new(
///     OrderId::new("1042")?,
///     Kopecks::from_rubles(972).unwrap(),
///     Phone::parse("+7 900 123-45-67")?,
/// )
/// .description("Order 1042")
/// .success_url("https://shop.example/orders/1042".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InitRequest {
    /// The merchant's order id, with any deployment prefix.
    pub order_id: OrderId,
    /// The amount to transfer; must be positive.
    pub amount: Kopecks,
    /// The paying customer.
    pub phone: Phone,
    /// Text shown on the payment form.
    pub description: Option<String>,
    /// Where the form sends the customer after a confirmed payment.
    pub success_url: Option<Url>,
    /// Where the form sends the customer after a failed payment.
    pub fail_url: Option<Url>,
}

impl InitRequest {
    /// Starts a request with the required fields.
    pub fn new(order_id: OrderId, amount: Kopecks, phone: Phone) -> Self {
        InitRequest {
            order_id,
            amount,
            phone,
            description: None,
            success_url: None,
            fail_url: None,
        }
    }

    /// Sets the text shown on the payment form.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets where the customer returns after a confirmed payment.
    pub fn success_url(mut self, url: Url) -> Self {
        self.success_url = Some(url);
        self
    }

    /// Sets where the customer returns after a failed or cancelled payment.
    pub fn fail_url(mut self, url: Url) -> Self {
        self.fail_url = Some(url);
        self
    }
}

/// One payment of an order, as `Init` and `CheckOut` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Payment {
    /// The order id as sent to the service.
    pub order_id: OrderId,
    /// The amount of the payment.
    pub amount: Kopecks,
    /// The service's id of this payment.
    pub payment_id: PaymentId,
    /// The current status.
    pub status: PaymentStatus,
}

impl Payment {
    /// Builds a payment record, for example from a merchant's database.
    pub fn new(
        order_id: OrderId,
        amount: Kopecks,
        payment_id: PaymentId,
        status: PaymentStatus,
    ) -> Self {
        Payment {
            order_id,
            amount,
            payment_id,
            status,
        }
    }
}

/// A started payment and the hosted form to send the customer to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentForm {
    /// The payment.
    pub payment: Payment,
    /// The form's address; an absolute `https` URL (or `http` on loopback).
    pub url: Url,
}

/// What `Init` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitOutcome {
    /// A payment is open; send the customer to the form.
    Form(PaymentForm),
    /// `Init` timed out and `CheckOut` then found that the order's payment
    /// is already final, so there is no form to show. Only a confirmed
    /// payment ends up here.
    Finished(Payment),
}

/// A verified notification from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notification {
    /// The merchant's platform; checked against the configured one.
    pub uid_platform: UidPlatform,
    /// The order id as sent to the service.
    pub order_id: OrderId,
    /// The service's payment id.
    pub payment_id: PaymentId,
    /// The amount transferred or requested.
    pub amount: Kopecks,
    /// The customer, if the service includes the phone.
    pub phone: Option<Phone>,
    /// The new status.
    pub status: PaymentStatus,
    /// The service's success flag.
    pub success: Option<bool>,
    /// The service's error code, `"0"` on success.
    pub error_code: Option<String>,
}

impl Notification {
    /// The payment this notification reports.
    pub fn payment(&self) -> Payment {
        Payment::new(
            self.order_id.clone(),
            self.amount,
            self.payment_id.clone(),
            self.status.clone(),
        )
    }
}
