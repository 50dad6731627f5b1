//! The async client for the service's three methods.

mod builder;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tracing::{Instrument, debug, debug_span, warn};
use url::Url;

pub use self::builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, is_secure_url};
use crate::error::{ApiError, ErrorCode, FieldError, MalformedReply};
use crate::fields::Fields;
use crate::model::{Balance, InitOutcome, InitRequest, Payment, PaymentForm};
use crate::retry::{Failure, Idempotency, RetryPolicy, should_retry};
use crate::wire::{field, method};
use crate::{Error, Kopecks, OrderError, OrderId, Phone, SecretKey, UidPlatform, token};

/// The largest reply body the client reads: 1 MiB.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// A client for the KupiKupi API.
///
/// It holds one pooled HTTP client; clone it freely, the clones share the
/// pool. Every request is signed with the secret key, which never appears in
/// `Debug` output or logs.
///
/// ```no_run
/// use kupikupi::{Client, Phone, SecretKey, UidPlatform};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder(
///     UidPlatform::new(std::env::var("KUPIKUPI_UID_PLATFORM")?)?,
///     SecretKey::new(std::env::var("KUPIKUPI_SECRET_KEY")?)?,
///     &std::env::var("KUPIKUPI_BASE_URL")?,
/// )
/// .build()?;
/// let balance = client.balance(&Phone::parse("+7 900 123-45-67")?).await?;
/// println!("{} points", balance.balance);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    uid_platform: UidPlatform,
    secret_key: SecretKey,
    base_url: Url,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("uid_platform", &self.inner.uid_platform)
            .field("base_url", &self.inner.base_url.as_str())
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client. All three arguments are required; the
    /// base URL is checked by [`ClientBuilder::build`].
    pub fn builder(
        uid_platform: UidPlatform,
        secret_key: SecretKey,
        base_url: &str,
    ) -> ClientBuilder {
        ClientBuilder::new(uid_platform, secret_key, base_url)
    }

    /// The platform this client signs for.
    pub fn uid_platform(&self) -> &UidPlatform {
        &self.inner.uid_platform
    }

    /// The secret key, for verifying notifications.
    pub(crate) fn secret_key(&self) -> &SecretKey {
        &self.inner.secret_key
    }

    /// The base URL, with a trailing `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Asks for a customer's points balance.
    ///
    /// Retried on transport failures and 5xx replies.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Api`] with [`ErrorCode::PhoneNotRegistered`] for an
    /// unknown customer, and the transport and reply errors of [`Error`].
    pub async fn balance(&self, phone: &Phone) -> Result<Balance, Error> {
        let span = debug_span!("kupikupi.call", method = method::BALANCE, phone = %phone);
        async {
            let mut request = Map::new();
            request.insert(field::PHONE.into(), Value::from(phone.as_u64()));
            let mut reply = self
                .call(method::BALANCE, Idempotency::ReadOnly, request)
                .await?;
            let malformed = |reason: FieldError| malformed(method::BALANCE, reason.into());
            let phone = reply
                .optional(field::PHONE)
                .map_err(malformed)?
                .unwrap_or_else(|| phone.clone());
            let balance = reply.required(field::BALANCE).map_err(malformed)?;
            Ok(Balance { phone, balance })
        }
        .instrument(span)
        .await
    }

    /// Asks for the latest payment of an order.
    ///
    /// Retried on transport failures and 5xx replies. The reply's amount is
    /// the payment's own; compare it with the order's before trusting it.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Api`] with [`ErrorCode::OrderNotFound`] when the
    /// order has no payment, and the transport and reply errors of [`Error`].
    pub async fn check_out(&self, order_id: &OrderId, amount: Kopecks) -> Result<Payment, Error> {
        let span = debug_span!("kupikupi.call", method = method::CHECK_OUT, order_id = %order_id);
        async {
            let mut request = Map::new();
            request.insert(field::ORDER_ID.into(), Value::from(order_id.as_str()));
            request.insert(field::AMOUNT.into(), Value::from(amount.get()));
            let mut reply = self
                .call(method::CHECK_OUT, Idempotency::ReadOnly, request)
                .await?;
            let payment = read_payment(method::CHECK_OUT, &mut reply)?;
            if &payment.order_id != order_id {
                return Err(mismatch(method::CHECK_OUT, &payment));
            }
            debug!(payment_id = %payment.payment_id, status = %payment.status, "payment found");
            Ok(payment)
        }
        .instrument(span)
        .await
    }

    /// Starts a points transfer for an order and returns the form to send
    /// the customer to.
    ///
    /// `Init` is idempotent per order at the service: while the order's
    /// payment is open, a repeated call with the same amount returns the
    /// same payment and form. This method retries only when the request
    /// never left this machine. When a try times out or the connection
    /// breaks after sending, it asks `CheckOut` first: a confirmed payment is
    /// returned as [`InitOutcome::Finished`]; otherwise one more `Init` is
    /// sent, which the service answers with the open payment if the first
    /// one got through.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] for a zero amount, [`Error::Api`] with
    /// [`ErrorCode::NotEnoughPoints`], [`ErrorCode::PhoneNotRegistered`] or
    /// [`ErrorCode::PaymentConflict`] when the service refuses, and the
    /// transport and reply errors of [`Error`].
    pub async fn init(&self, request: &InitRequest) -> Result<InitOutcome, Error> {
        let span = debug_span!(
            "kupikupi.call",
            method = method::INIT,
            order_id = %request.order_id,
            amount = request.amount.get(),
            phone = %request.phone,
        );
        async {
            if request.amount.is_zero() {
                return Err(Error::InvalidInput(OrderError::NonPositiveAmount("0".into())));
            }
            match self.send_init(request).await {
                Err(error) if error.may_have_reached_service() && is_uncertain(&error) => {
                    warn!(%error, "Init outcome unknown; asking CheckOut before sending Init again");
                    self.reconcile_init(request, error).await
                }
                other => other,
            }
        }
        .instrument(span)
        .await
    }

    async fn reconcile_init(
        &self,
        request: &InitRequest,
        first_error: Error,
    ) -> Result<InitOutcome, Error> {
        match self.check_out(&request.order_id, request.amount).await {
            Ok(payment) if payment.status.is_paid() => {
                debug!(payment_id = %payment.payment_id, "order already paid; no new payment started");
                Ok(InitOutcome::Finished(payment))
            }
            Ok(payment) => {
                debug!(payment_id = %payment.payment_id, status = %payment.status, "payment found; sending Init again for its form");
                self.send_init(request).await
            }
            Err(error) if error.api_code() == Some(&ErrorCode::OrderNotFound) => {
                debug!("no payment found; sending Init again");
                self.send_init(request).await
            }
            Err(error) => {
                warn!(%error, "CheckOut after an uncertain Init failed; not sending Init again");
                Err(first_error)
            }
        }
    }

    async fn send_init(&self, request: &InitRequest) -> Result<InitOutcome, Error> {
        let mut body = Map::new();
        body.insert(field::PHONE.into(), Value::from(request.phone.as_u64()));
        body.insert(
            field::ORDER_ID.into(),
            Value::from(request.order_id.as_str()),
        );
        body.insert(field::AMOUNT.into(), Value::from(request.amount.get()));
        if let Some(description) = &request.description {
            body.insert(field::DESCRIPTION.into(), Value::from(description.as_str()));
        }
        if let Some(url) = &request.success_url {
            body.insert(field::SUCCESS_URL.into(), Value::from(url.as_str()));
        }
        if let Some(url) = &request.fail_url {
            body.insert(field::FAIL_URL.into(), Value::from(url.as_str()));
        }
        let mut reply = self.call(method::INIT, Idempotency::Creates, body).await?;

        let payment = read_payment(method::INIT, &mut reply)?;
        if payment.order_id != request.order_id || payment.amount != request.amount {
            return Err(mismatch(method::INIT, &payment));
        }
        let url_text: String = reply
            .required(field::PAYMENT_URL)
            .map_err(|reason| malformed(method::INIT, reason.into()))?;
        let url = Url::parse(&url_text)
            .ok()
            .filter(|url| {
                is_secure_url(url) && url.username().is_empty() && url.password().is_none()
            })
            .ok_or_else(|| malformed(method::INIT, MalformedReply::InsecurePaymentUrl(url_text)))?;
        debug!(payment_id = %payment.payment_id, status = %payment.status, "payment started");
        Ok(InitOutcome::Form(PaymentForm { payment, url }))
    }

    /// Signs and sends a request, retrying as the method allows, and returns
    /// the fields of a successful reply.
    async fn call(
        &self,
        method: &'static str,
        idempotency: Idempotency,
        mut body: Map<String, Value>,
    ) -> Result<Fields, Error> {
        body.insert(
            field::UID_PLATFORM.into(),
            Value::from(self.inner.uid_platform.as_str()),
        );
        token::sign_object(&mut body, &self.inner.secret_key);
        let bytes = serde_json::to_vec(&body)
            .map_err(|source| malformed(method, MalformedReply::Json(source)))?;
        let url = self.inner.base_url.join(method).map_err(|source| {
            Error::Config(format!(
                "cannot join method {method} to the base URL: {source}"
            ))
        })?;

        let retry = self.inner.retry;
        let mut attempt = 1;
        loop {
            let result = self
                .send_once(method, &url, &bytes)
                .instrument(debug_span!("attempt", number = attempt))
                .await;
            let failure = match &result {
                Ok(_) => return result,
                Err(error) => classify(error),
            };
            let Some(failure) = failure else {
                return result;
            };
            if attempt >= retry.max_attempts || !should_retry(idempotency, failure) {
                if attempt > 1 {
                    warn!(method, attempts = attempt, "giving up after retries");
                }
                return result;
            }
            let delay = retry.delay(attempt);
            if let Err(error) = &result {
                debug!(method, attempt, ?delay, %error, "retrying");
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        method: &'static str,
        url: &Url,
        body: &[u8],
    ) -> Result<Fields, Error> {
        debug!(method, "sending request");
        let response = self
            .inner
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|source| self.transport_error(method, source))?;
        let status = response.status();
        debug!(method, status = status.as_u16(), "reply received");
        if status.is_redirection() || status.is_server_error() {
            return Err(Error::HttpStatus {
                method,
                status: status.as_u16(),
            });
        }
        let bytes = self.read_limited(method, response).await?;
        let parsed = parse_reply(method, &bytes);
        match parsed {
            // A refusal counts whatever the status; anything else needs a 2xx.
            Err(error @ Error::Api { .. }) => Err(error),
            _ if !status.is_success() => Err(Error::HttpStatus {
                method,
                status: status.as_u16(),
            }),
            other => other,
        }
    }

    async fn read_limited(
        &self,
        method: &'static str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, Error> {
        let too_large = || {
            malformed(
                method,
                MalformedReply::TooLarge {
                    limit: MAX_REPLY_BYTES,
                },
            )
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_REPLY_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|source| self.transport_error(method, source))?
        {
            if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    fn transport_error(&self, method: &'static str, source: reqwest::Error) -> Error {
        if source.is_timeout() {
            Error::Timeout {
                method,
                timeout: self.inner.timeout,
            }
        } else {
            Error::Connect {
                method,
                before_sending: source.is_connect(),
                source,
            }
        }
    }
}

/// Reads the envelope of a reply: a refusal becomes [`Error::Api`].
fn parse_reply(method: &'static str, bytes: &[u8]) -> Result<Fields, Error> {
    let object: Map<String, Value> = serde_json::from_slice(bytes)
        .map_err(|source| malformed(method, MalformedReply::Json(source)))?;
    let mut fields = Fields(object);
    let reason = |reason: FieldError| malformed(method, reason.into());
    let success: bool = fields.required(field::SUCCESS).map_err(reason)?;
    let code = fields.code(field::ERROR_CODE).map_err(reason)?;
    if success
        && code
            .as_deref()
            .is_none_or(|code| code == crate::wire::error_code::OK)
    {
        return Ok(fields);
    }
    let error = ApiError::new(
        ErrorCode::from_wire(code.as_deref().unwrap_or_default()),
        fields.optional(field::MESSAGE).ok().flatten(),
        fields.optional(field::DETAILS).ok().flatten(),
    );
    debug!(
        method,
        code = error.code.as_wire(),
        "request rejected by the service"
    );
    Err(Error::Api { method, error })
}

fn read_payment(method: &'static str, reply: &mut Fields) -> Result<Payment, Error> {
    let reason = |reason: FieldError| malformed(method, reason.into());
    Ok(Payment {
        order_id: reply.required(field::ORDER_ID).map_err(reason)?,
        amount: reply.required(field::AMOUNT).map_err(reason)?,
        payment_id: reply.required(field::PAYMENT_ID).map_err(reason)?,
        status: reply.required(field::STATUS).map_err(reason)?,
    })
}

fn malformed(method: &'static str, reason: MalformedReply) -> Error {
    Error::MalformedReply { method, reason }
}

fn mismatch(method: &'static str, payment: &Payment) -> Error {
    malformed(
        method,
        MalformedReply::Mismatch {
            order_id: payment.order_id.to_string(),
            amount: payment.amount.get().to_string(),
        },
    )
}

/// How a try failed, for the retry decision; `None` for failures that a
/// retry cannot fix (a refusal, a malformed reply, a redirect or a 4xx).
fn classify(error: &Error) -> Option<Failure> {
    match error {
        Error::Connect {
            before_sending: true,
            ..
        } => Some(Failure::NotSent),
        Error::Connect {
            before_sending: false,
            ..
        }
        | Error::Timeout { .. } => Some(Failure::Uncertain),
        Error::HttpStatus { status, .. } if *status >= 500 => Some(Failure::ServerError),
        _ => None,
    }
}

/// Whether an `Init` failure leaves the payment's existence unknown.
fn is_uncertain(error: &Error) -> bool {
    classify(error) == Some(Failure::Uncertain)
}
