//! The `PaymentMethod` trait and its KupiKupi implementation.

use std::fmt;

use async_trait::async_trait;
use tracing::debug;
use url::Url;

use crate::error::{ErrorCode, NotificationError};
use crate::model::{InitOutcome, InitRequest, Notification, Payment};
use crate::{
    Client, Error, Kopecks, KupiKupiOrder, OrderError, OrderId, Phone, verify_notification,
};

/// An order ready to be paid: what any payment method needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentOrder {
    /// The order id sent to the payment service, with any deployment prefix.
    pub order_id: OrderId,
    /// The amount to pay; positive.
    pub amount: Kopecks,
    /// The paying customer, if known.
    pub phone: Option<Phone>,
    /// Text shown to the customer.
    pub description: Option<String>,
    /// Absolute URL the customer returns to after a successful payment.
    pub success_url: Option<Url>,
    /// Absolute URL the customer returns to after a failed payment.
    pub fail_url: Option<Url>,
}

impl PaymentOrder {
    /// Builds a payment order from the required fields.
    pub fn new(order_id: OrderId, amount: Kopecks) -> Self {
        PaymentOrder {
            order_id,
            amount,
            phone: None,
            description: None,
            success_url: None,
            fail_url: None,
        }
    }

    /// Reads a merchant's order. Relative return URLs of the order type are
    /// resolved against `base`, the shop's public address; without a base
    /// they are left out.
    ///
    /// # Errors
    ///
    /// Returns [`OrderError`] when the order's id, amount or phone is invalid.
    pub fn from_order<O: KupiKupiOrder + ?Sized>(
        order: &O,
        base: Option<&Url>,
    ) -> Result<Self, OrderError> {
        let resolve = |target: Option<String>| -> Option<Url> {
            let target = target?;
            match base {
                Some(base) => base.join(&target).ok(),
                None => Url::parse(&target).ok(),
            }
        };
        Ok(PaymentOrder {
            order_id: order.order_id()?,
            amount: order.amount()?,
            phone: order.phone()?,
            description: order.description(),
            success_url: resolve(order.success_url()),
            fail_url: resolve(order.fail_url()),
        })
    }

    /// Sets the customer's phone.
    pub fn phone(mut self, phone: Phone) -> Self {
        self.phone = Some(phone);
        self
    }
}

/// What any payment method of a shop offers. KupiKupi is one; a shop can put
/// others behind the same trait and choose between them at checkout.
///
/// The trait is object safe: keep methods as `Arc<dyn PaymentMethod>`.
#[async_trait]
pub trait PaymentMethod: Send + Sync + fmt::Debug {
    /// A short name for logs and pages, such as `"kupikupi"`.
    fn name(&self) -> &'static str;

    /// Whether this method can pay the order now; for KupiKupi, whether the
    /// customer's points cover the amount.
    async fn can_pay(&self, order: &PaymentOrder) -> Result<bool, Error>;

    /// Starts a payment and returns where to send the customer.
    async fn start_payment(&self, order: &PaymentOrder) -> Result<InitOutcome, Error>;

    /// The order's latest payment, or `None` if it has none.
    async fn payment_status(
        &self,
        order_id: &OrderId,
        amount: Kopecks,
    ) -> Result<Option<Payment>, Error>;

    /// Verifies a raw notification body and reads it.
    fn verify_notification(&self, body: &[u8]) -> Result<Notification, NotificationError>;

    /// Whether a URL returned by [`PaymentMethod::start_payment`] may be
    /// given to the customer's browser as a redirect.
    fn is_trusted_form_url(&self, url: &Url) -> bool;
}

/// KupiKupi points as a [`PaymentMethod`].
///
/// ```
/// use kupikupi::{Client, KupiKupi, SecretKey, UidPlatform};
///
/// let client = Client::builder(
///     UidPlatform::new("M2hULcD5OiYGkmSK")?,
///     SecretKey::new("yIKirCvplm0N1DOg")?,
///     "https://api.kupikupi.example/",
/// )
/// .build()?;
/// let kupikupi = KupiKupi::new(client).form_host("pay.kupikupi.example");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct KupiKupi {
    client: Client,
    form_hosts: Vec<String>,
}

impl KupiKupi {
    /// Wraps a configured client. The payment form is trusted on the host of
    /// the client's base URL; add others with [`KupiKupi::form_host`].
    pub fn new(client: Client) -> Self {
        let form_hosts = client
            .base_url()
            .host_str()
            .map(str::to_owned)
            .into_iter()
            .collect();
        KupiKupi { client, form_hosts }
    }

    /// Trusts one more host for the payment form.
    pub fn form_host(mut self, host: impl Into<String>) -> Self {
        self.form_hosts.push(host.into());
        self
    }

    /// The client inside.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl PaymentMethod for KupiKupi {
    fn name(&self) -> &'static str {
        "kupikupi"
    }

    async fn can_pay(&self, order: &PaymentOrder) -> Result<bool, Error> {
        let phone = order
            .phone
            .as_ref()
            .ok_or(Error::InvalidInput(OrderError::MissingPhone))?;
        match self.client.balance(phone).await {
            Ok(balance) => Ok(balance.balance >= order.amount),
            Err(error) if error.api_code() == Some(&ErrorCode::PhoneNotRegistered) => {
                debug!(order_id = %order.order_id, "customer has no KupiKupi account");
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    async fn start_payment(&self, order: &PaymentOrder) -> Result<InitOutcome, Error> {
        let phone = order
            .phone
            .clone()
            .ok_or(Error::InvalidInput(OrderError::MissingPhone))?;
        let mut request = InitRequest::new(order.order_id.clone(), order.amount, phone);
        request.description = order.description.clone();
        request.success_url = order.success_url.clone();
        request.fail_url = order.fail_url.clone();
        self.client.init(&request).await
    }

    async fn payment_status(
        &self,
        order_id: &OrderId,
        amount: Kopecks,
    ) -> Result<Option<Payment>, Error> {
        match self.client.check_out(order_id, amount).await {
            Ok(payment) => Ok(Some(payment)),
            Err(error) if error.api_code() == Some(&ErrorCode::OrderNotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn verify_notification(&self, body: &[u8]) -> Result<Notification, NotificationError> {
        verify_notification(body, self.client.uid_platform(), self.client.secret_key())
    }

    fn is_trusted_form_url(&self, url: &Url) -> bool {
        crate::client::is_secure_url(url)
            && url.host_str().is_some_and(|host| {
                self.form_hosts
                    .iter()
                    .any(|trusted| trusted.eq_ignore_ascii_case(host))
            })
    }
}
