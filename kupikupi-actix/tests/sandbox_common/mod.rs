//! Helpers shared by the sandbox tests: a sandbox with one shop and two
//! customers, a client for it, a notification receiver, and form requests.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use kupikupi::retry::RetryPolicy;
use kupikupi::{
    Client, InitOutcome, InitRequest, Kopecks, Notification, OrderId, PaymentForm, Phone,
    SecretKey, UidPlatform, verify_notification,
};
use kupikupi_actix::sandbox::{RetrySchedule, Sandbox, SandboxBuilder, SandboxHandle};
use url::Url;

pub const UID: &str = "shop-1";
pub const SECRET: &str = "shop-1-secret";
/// The rich customer: 1,000.00 ₽ of points.
pub const RICH: &str = "79001234567";
pub const RICH_BALANCE: u64 = 100_000;
/// The poor customer: 5.00 ₽ of points.
pub const POOR: &str = "79007654321";
pub const POOR_BALANCE: u64 = 500;

/// How long a test waits for something the sandbox does in the background.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn uid() -> UidPlatform {
    UidPlatform::new(UID).unwrap()
}

pub fn secret() -> SecretKey {
    SecretKey::new(SECRET).unwrap()
}

pub fn rich() -> Phone {
    Phone::parse(RICH).unwrap()
}

pub fn poor() -> Phone {
    Phone::parse(POOR).unwrap()
}

pub fn order(id: &str) -> OrderId {
    OrderId::new(id).unwrap()
}

/// A sandbox with one platform and two customers, quick retries and a
/// long deadline.
pub fn builder() -> SandboxBuilder {
    Sandbox::builder()
        .platform(uid(), secret())
        .customer(rich(), Kopecks::new(RICH_BALANCE))
        .customer(poor(), Kopecks::new(POOR_BALANCE))
        .retry_schedule(RetrySchedule::new([Duration::from_millis(20); 4]))
        .delivery_timeout(Duration::from_secs(5))
}

pub async fn start() -> SandboxHandle {
    builder().start().await.unwrap()
}

/// A client for the test platform that does not retry, so each call is one
/// request.
pub fn client(sandbox: &SandboxHandle) -> Client {
    Client::builder(uid(), secret(), sandbox.base_url().as_str())
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// A plain HTTP client that does not follow redirects. The tests talk only
/// plain HTTP on loopback, so it trusts no TLS roots; loading the system's
/// roots would make each of the thousands of clients the load test builds
/// take milliseconds.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .tls_certs_only([])
        .build()
        .unwrap()
}

/// Starts a payment and returns its form.
pub async fn init(client: &Client, request: &InitRequest) -> PaymentForm {
    match client.init(request).await.unwrap() {
        InitOutcome::Form(form) => form,
        other => panic!("expected a form, got {other:?}"),
    }
}

pub fn request(order_id: &str, amount: u64, phone: Phone) -> InitRequest {
    InitRequest::new(order(order_id), Kopecks::new(amount), phone)
}

/// Sends a signed body to an API method and returns the reply as JSON.
pub async fn post_raw(sandbox: &SandboxHandle, method: &str, body: &str) -> serde_json::Value {
    let url = sandbox.base_url().join(method).unwrap();
    let response = http()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "HTTP status of {method}");
    json(response).await
}

/// Reads a response body as JSON.
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Signs a JSON object with the test secret.
pub fn signed(body: &str) -> String {
    kupikupi::token::sign_json(body, &secret()).unwrap()
}

/// The transfer code of a payment, read from the account JSON over HTTP.
pub async fn code_for(sandbox: &SandboxHandle, phone: &Phone, payment_id: &str) -> String {
    let response = http()
        .get(sandbox.account_json_url(phone))
        .send()
        .await
        .unwrap();
    let account = json(response).await;
    let pending = account["pending"].as_array().unwrap();
    let entry = pending
        .iter()
        .find(|entry| entry["payment_id"] == payment_id)
        .unwrap_or_else(|| panic!("no pending code for {payment_id} in {account}"));
    entry["code"].as_str().unwrap().to_owned()
}

/// Opens the form and returns its HTML.
pub async fn open_form(form: &PaymentForm) -> String {
    let response = http().get(form.url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Posts a code to the form and returns the response.
pub async fn submit_code(form: &PaymentForm, code: &str) -> reqwest::Response {
    http()
        .post(form.url.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("code={code}"))
        .send()
        .await
        .unwrap()
}

/// Presses Cancel on the form.
pub async fn cancel(form: &PaymentForm) -> reqwest::Response {
    let url = Url::parse(&format!("{}/cancel", form.url)).unwrap();
    http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap()
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
}

/// A notification as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    /// The verified notification, or why verification failed.
    pub verified: Result<Notification, String>,
}

/// How the receiver answers one notification.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: &'static str,
}

pub const OK: Reply = Reply {
    status: 200,
    body: "OK",
};

/// A real HTTP server that verifies notifications like a shop: a bad Token
/// gets HTTP 400; a good one gets the next scripted reply, or `200 OK` once
/// the script is empty.
pub struct Receiver {
    pub url: Url,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    server: ServerHandle,
}

#[derive(Clone)]
struct ReceiverState {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

async fn receive(state: web::Data<ReceiverState>, body: web::Bytes) -> HttpResponse {
    let verified = verify_notification(&body, &uid(), &secret()).map_err(|error| error.to_string());
    let valid = verified.is_ok();
    state.received.lock().unwrap().push(Received {
        body: String::from_utf8_lossy(&body).into_owned(),
        verified,
    });
    if !valid {
        return HttpResponse::BadRequest().body("invalid notification");
    }
    let reply = state.script.lock().unwrap().pop_front().unwrap_or(OK);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap())
        .body(reply.body)
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Receiver {
        let state = ReceiverState {
            received: Arc::default(),
            script: Arc::new(Mutex::new(script.into())),
        };
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/notify", web::post().to(receive))
        })
        .workers(1)
        .keep_alive(Duration::from_secs(120))
        .client_request_timeout(Duration::ZERO)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let address = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: Url::parse(&format!("http://{address}/notify")).unwrap(),
            received: state.received,
            script: state.script,
            server: handle,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The statuses of the notifications that verified, in arrival order.
    pub fn statuses(&self) -> Vec<String> {
        self.received()
            .into_iter()
            .filter_map(|received| received.verified.ok())
            .map(|notification| notification.status.to_string())
            .collect()
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}
