//! Control endpoints for tests and for a sandbox run as a separate process:
//! a platform's faults and notification URL, as JSON.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kupikupi::UidPlatform;
use serde::{Deserialize, Serialize};
use tracing::debug;
use url::Url;

use super::config::Faults;
use super::server::Shared;

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/sandbox/platforms/{uid}/faults", web::get().to(get_faults))
        .route("/sandbox/platforms/{uid}/faults", web::put().to(put_faults))
        .route(
            "/sandbox/platforms/{uid}/notification-url",
            web::get().to(get_notification_url),
        )
        .route(
            "/sandbox/platforms/{uid}/notification-url",
            web::put().to(put_notification_url),
        );
}

/// The body of `GET` and `PUT /sandbox/platforms/{uid}/notification-url`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationUrl {
    url: Option<Url>,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: String,
}

fn error(status: actix_web::http::StatusCode, message: String) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody { error: message })
}

fn unknown_platform(uid: &str) -> HttpResponse {
    error(
        actix_web::http::StatusCode::NOT_FOUND,
        format!("no platform {uid:?} is registered"),
    )
}

fn unavailable() -> HttpResponse {
    error(
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
        "the sandbox state is unavailable".into(),
    )
}

async fn get_faults(shared: web::Data<Shared>, uid: web::Path<String>) -> HttpResponse {
    let Ok(uid) = UidPlatform::new(uid.as_str()) else {
        return unknown_platform(&uid);
    };
    match shared
        .into_inner()
        .with_state(|state, _, _| state.faults(&uid).cloned())
    {
        Err(_) => unavailable(),
        Ok(None) => unknown_platform(uid.as_str()),
        Ok(Some(faults)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(faults),
    }
}

async fn put_faults(
    shared: web::Data<Shared>,
    uid: web::Path<String>,
    faults: web::Json<Faults>,
) -> HttpResponse {
    let Ok(uid) = UidPlatform::new(uid.as_str()) else {
        return unknown_platform(&uid);
    };
    let faults = faults.into_inner();
    let stored = faults.clone();
    match shared
        .into_inner()
        .with_state(|state, _, _| state.set_faults(&uid, stored))
    {
        Err(_) => unavailable(),
        Ok(false) => unknown_platform(uid.as_str()),
        Ok(true) => {
            debug!(uid_platform = %uid, ?faults, "faults set over HTTP");
            HttpResponse::Ok().json(faults)
        }
    }
}

async fn get_notification_url(shared: web::Data<Shared>, uid: web::Path<String>) -> HttpResponse {
    let Ok(uid) = UidPlatform::new(uid.as_str()) else {
        return unknown_platform(&uid);
    };
    match shared
        .into_inner()
        .with_state(|state, _, _| state.notification_url(&uid).map(|url| url.cloned()))
    {
        Err(_) => unavailable(),
        Ok(None) => unknown_platform(uid.as_str()),
        Ok(Some(url)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(NotificationUrl { url }),
    }
}

async fn put_notification_url(
    shared: web::Data<Shared>,
    uid: web::Path<String>,
    body: web::Json<NotificationUrl>,
) -> HttpResponse {
    let Ok(uid) = UidPlatform::new(uid.as_str()) else {
        return unknown_platform(&uid);
    };
    let Some(url) = body.into_inner().url else {
        return error(
            actix_web::http::StatusCode::BAD_REQUEST,
            "the field url is missing".into(),
        );
    };
    if !matches!(url.scheme(), "http" | "https") {
        return error(
            actix_web::http::StatusCode::BAD_REQUEST,
            format!("invalid notification URL {url}: use http or https"),
        );
    }
    let stored = url.clone();
    match shared
        .into_inner()
        .with_state(|state, _, _| state.set_notification_url(&uid, stored))
    {
        Err(_) => unavailable(),
        Ok(false) => unknown_platform(uid.as_str()),
        Ok(true) => {
            debug!(uid_platform = %uid, url = %url, "notification URL set over HTTP");
            HttpResponse::Ok().json(NotificationUrl { url: Some(url) })
        }
    }
}
