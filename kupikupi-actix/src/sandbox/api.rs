//! The service's API: `Balance`, `Init` and `CheckOut`.
//!
//! Every call is answered with HTTP 200 and a JSON body carrying `Success`
//! and `ErrorCode`; a refusal adds `Message` and `Details`. The checks run in
//! this order: the body is a JSON object (else code 3), `UidPlatform` is
//! present (3) and registered (2), the `Token` is present (3) and matches (1),
//! then the method's own fields (3, 4, 5, 6, 7).

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use kupikupi::token::{self, TokenError};
use kupikupi::wire::{error_code, field, method};
use kupikupi::{Kopecks, OrderId, Phone, UidPlatform};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tracing::debug;
use url::Url;

use super::model::{ApiFailure, InitFields, PaymentReply};
use super::server::Shared;

/// The longest `Description` accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 250;

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route(&format!("/{}", method::BALANCE), web::post().to(balance))
        .route(&format!("/{}", method::INIT), web::post().to(init))
        .route(
            &format!("/{}", method::CHECK_OUT),
            web::post().to(check_out),
        );
}

async fn balance(shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    answer(&shared.into_inner(), method::BALANCE, &body)
}

async fn init(shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    answer(&shared.into_inner(), method::INIT, &body)
}

async fn check_out(shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    answer(&shared.into_inner(), method::CHECK_OUT, &body)
}

/// A request whose envelope and Token have been checked.
struct Request {
    uid: UidPlatform,
    fields: Map<String, Value>,
}

fn answer(shared: &Arc<Shared>, method: &'static str, body: &[u8]) -> HttpResponse {
    let mut uid_text = None;
    let result = authenticate(shared, body).and_then(|request| {
        uid_text = Some(request.uid.to_string());
        match method {
            method::BALANCE => balance_reply(shared, &request),
            method::INIT => init_reply(shared, &request),
            _ => check_out_reply(shared, &request),
        }
    });
    let reply = match result {
        Ok(mut reply) => {
            reply.insert(field::SUCCESS.into(), Value::Bool(true));
            reply.insert(field::ERROR_CODE.into(), Value::from(error_code::OK));
            debug!(
                method,
                uid_platform = uid_text.as_deref().unwrap_or(""),
                code = error_code::OK,
                "API call answered"
            );
            reply
        }
        Err(failure) => {
            debug!(
                method,
                uid_platform = uid_text.as_deref().unwrap_or(""),
                code = failure.code,
                message = %failure.message,
                details = %failure.details,
                "API call refused"
            );
            failure_reply(&failure)
        }
    };
    HttpResponse::Ok().json(Value::Object(reply))
}

fn failure_reply(failure: &ApiFailure) -> Map<String, Value> {
    let mut reply = Map::new();
    reply.insert(field::SUCCESS.into(), Value::Bool(false));
    reply.insert(field::ERROR_CODE.into(), Value::from(failure.code));
    reply.insert(field::MESSAGE.into(), Value::from(failure.message.as_str()));
    reply.insert(field::DETAILS.into(), Value::from(failure.details.as_str()));
    reply
}

/// Checks the body's shape, the platform and the Token.
fn authenticate(shared: &Arc<Shared>, body: &[u8]) -> Result<Request, ApiFailure> {
    let fields: Map<String, Value> = serde_json::from_slice(body).map_err(|source| {
        ApiFailure::invalid_body(format!("the body is not a JSON object: {source}"))
    })?;
    let uid_text = match fields.get(field::UID_PLATFORM) {
        None | Some(Value::Null) => return Err(ApiFailure::missing(field::UID_PLATFORM)),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => {
            return Err(ApiFailure::invalid(
                field::UID_PLATFORM,
                "expected a string",
            ));
        }
    };
    let uid = UidPlatform::new(uid_text)
        .map_err(|source| ApiFailure::invalid(field::UID_PLATFORM, source))?;
    let (secret, faults) = shared.with_state(|state, _, _| {
        let secret = state.secret(&uid).cloned();
        let faults = state.faults(&uid).cloned().unwrap_or_default();
        (secret, faults)
    })?;
    let secret = secret.ok_or_else(|| {
        ApiFailure::new(
            error_code::UNKNOWN_PLATFORM,
            "unknown platform",
            format!("no platform {uid} is registered"),
        )
    })?;
    token::verify(body, &secret).map_err(token_failure)?;
    if faults.internal_errors {
        return Err(ApiFailure::internal(
            "injected by the internal-errors fault",
        ));
    }
    Ok(Request { uid, fields })
}

fn token_failure(error: TokenError) -> ApiFailure {
    match error {
        TokenError::Mismatch => ApiFailure::new(
            error_code::INVALID_TOKEN,
            "invalid token",
            "the Token does not match the body and the platform's secret key",
        ),
        TokenError::Missing => ApiFailure::missing(field::TOKEN),
        TokenError::NotAString => ApiFailure::invalid(field::TOKEN, "expected a string"),
        TokenError::DuplicateKey(key) => ApiFailure::invalid(&key, "the key appears twice"),
        other => ApiFailure::invalid_body(other.to_string()),
    }
}

fn balance_reply(
    shared: &Arc<Shared>,
    request: &Request,
) -> Result<Map<String, Value>, ApiFailure> {
    let phone = phone(&request.fields)?;
    let balance = shared.with_state(|state, _, _| state.balance_call(&phone))??;
    let mut reply = Map::new();
    reply.insert(field::PHONE.into(), Value::from(phone.as_u64()));
    reply.insert(field::BALANCE.into(), Value::from(balance.get()));
    Ok(reply)
}

fn init_reply(shared: &Arc<Shared>, request: &Request) -> Result<Map<String, Value>, ApiFailure> {
    let fields = InitFields {
        phone: phone(&request.fields)?,
        order_id: required(&request.fields, field::ORDER_ID)?,
        amount: positive_amount(&request.fields)?,
        description: description(&request.fields)?,
        success_url: return_url(&request.fields, field::SUCCESS_URL)?,
        fail_url: return_url(&request.fields, field::FAIL_URL)?,
    };
    let payment =
        shared.with_state(|state, now, outbox| state.init(&request.uid, fields, now, outbox))??;
    let mut reply = payment_fields(&payment);
    reply.insert(
        field::PAYMENT_URL.into(),
        Value::from(payment.form_url.as_str()),
    );
    Ok(reply)
}

fn check_out_reply(
    shared: &Arc<Shared>,
    request: &Request,
) -> Result<Map<String, Value>, ApiFailure> {
    let order_id: OrderId = required(&request.fields, field::ORDER_ID)?;
    positive_amount(&request.fields)?;
    let payment = shared
        .with_state(|state, now, outbox| state.check_out(&request.uid, &order_id, now, outbox))??;
    Ok(payment_fields(&payment))
}

fn payment_fields(payment: &PaymentReply) -> Map<String, Value> {
    let mut reply = Map::new();
    reply.insert(
        field::ORDER_ID.into(),
        Value::from(payment.order_id.as_str()),
    );
    reply.insert(field::AMOUNT.into(), Value::from(payment.amount.get()));
    reply.insert(
        field::PAYMENT_ID.into(),
        Value::from(payment.payment_id.as_str()),
    );
    reply.insert(field::STATUS.into(), Value::from(payment.status.as_wire()));
    reply
}

fn optional<T: DeserializeOwned>(
    fields: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<T>, ApiFailure> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|source| ApiFailure::invalid(name, source)),
    }
}

fn required<T: DeserializeOwned>(
    fields: &Map<String, Value>,
    name: &'static str,
) -> Result<T, ApiFailure> {
    optional(fields, name)?.ok_or_else(|| ApiFailure::missing(name))
}

/// Reads `Phone`: an integer or a string. The error never repeats the
/// number, unlike serde's message for a value of the wrong type.
fn phone(fields: &Map<String, Value>) -> Result<Phone, ApiFailure> {
    let parsed = match fields.get(field::PHONE) {
        None | Some(Value::Null) => return Err(ApiFailure::missing(field::PHONE)),
        Some(Value::String(text)) => Phone::parse(text),
        Some(Value::Number(number)) => match number.as_u64() {
            Some(number) => Phone::from_u64(number),
            None => {
                return Err(ApiFailure::invalid(
                    field::PHONE,
                    "expected 11 digits starting with 7, as an integer or a string",
                ));
            }
        },
        Some(_) => {
            return Err(ApiFailure::invalid(
                field::PHONE,
                "expected an integer or a string",
            ));
        }
    };
    parsed.map_err(|source| ApiFailure::invalid(field::PHONE, source))
}

fn positive_amount(fields: &Map<String, Value>) -> Result<Kopecks, ApiFailure> {
    let amount: Kopecks = required(fields, field::AMOUNT)?;
    if amount.is_zero() {
        return Err(ApiFailure::invalid(
            field::AMOUNT,
            "the amount must be greater than zero",
        ));
    }
    Ok(amount)
}

fn description(fields: &Map<String, Value>) -> Result<Option<String>, ApiFailure> {
    let description: Option<String> = optional(fields, field::DESCRIPTION)?;
    if let Some(text) = &description {
        let length = text.chars().count();
        if length > MAX_DESCRIPTION_CHARS {
            return Err(ApiFailure::invalid(
                field::DESCRIPTION,
                format_args!("it has {length} characters, the maximum is {MAX_DESCRIPTION_CHARS}"),
            ));
        }
    }
    Ok(description)
}

/// A `SuccessURL` or `FailURL`: an absolute `http` or `https` URL.
fn return_url(fields: &Map<String, Value>, name: &'static str) -> Result<Option<Url>, ApiFailure> {
    let Some(text) = optional::<String>(fields, name)? else {
        return Ok(None);
    };
    let url = Url::parse(&text).map_err(|source| ApiFailure::invalid(name, source))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiFailure::invalid(
            name,
            "expected an absolute http or https URL",
        ));
    }
    Ok(Some(url))
}
