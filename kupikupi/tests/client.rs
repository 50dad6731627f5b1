//! The client against a stand-in service on 127.0.0.1: every reply the
//! protocol allows, the failures it does not, and how often each is retried.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kupikupi::token;
use kupikupi::{
    Error, ErrorCode, FieldError, InitOutcome, InitRequest, Kopecks, MalformedReply, OrderId,
    PaymentStatus, Phone, SecretKey,
};
use serde_json::{Value, json};
use support::{PHONE, Reply, SECRET, Service, form, ok, payment, refused};

fn phone() -> Phone {
    Phone::parse(PHONE).unwrap()
}

fn order(id: &str) -> OrderId {
    OrderId::new(id).unwrap()
}

fn init_request(id: &str) -> InitRequest {
    InitRequest::new(order(id), Kopecks::new(97_200), phone())
}

fn balance_reply() -> Reply {
    ok(json!({"Phone": 79005550123u64, "Balance": 150_000}))
}

#[tokio::test]
async fn balance_reads_points() {
    let service = Service::start(|_, _, _| balance_reply()).await;
    let balance = service.client().balance(&phone()).await.unwrap();
    assert_eq!(balance.balance, Kopecks::new(150_000));
    assert_eq!(balance.phone, phone());
    assert_eq!(service.count("Balance"), 1);
}

#[tokio::test]
async fn requests_are_signed_and_carry_platform() {
    let service = Service::start(|_, _, _| balance_reply()).await;
    service.client().balance(&phone()).await.unwrap();
    let seen = &service.seen()[0];
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body["UidPlatform"], "platform-test");
    assert_eq!(body["Phone"], 79005550123u64);
    assert!(token::verify(&seen.body, &SecretKey::new(SECRET).unwrap()).is_ok());
    assert!(
        seen.headers
            .to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    assert!(
        seen.headers
            .to_ascii_lowercase()
            .contains("user-agent: kupikupi-rs/")
    );
    assert!(seen.headers.starts_with("POST /api/Balance "));
}

#[tokio::test]
async fn init_returns_form() {
    let service = Service::start(|_, _, _| form("1042", 97_200, "https://pay.example/f/1")).await;
    let request = init_request("1042").description("Заказ 1042");
    let InitOutcome::Form(started) = service.client().init(&request).await.unwrap() else {
        panic!("expected a form");
    };
    assert_eq!(started.url.as_str(), "https://pay.example/f/1");
    assert_eq!(started.payment.status, PaymentStatus::New);
    assert_eq!(started.payment.payment_id.as_str(), "pay-1042");
    let body: Value = serde_json::from_slice(&service.seen()[0].body).unwrap();
    assert_eq!(body["Description"], "Заказ 1042");
    assert_eq!(body["Amount"], 97_200);
    assert_eq!(body["OrderId"], "1042");
}

#[tokio::test]
async fn init_sends_return_urls() {
    let service = Service::start(|_, _, _| form("1", 97_200, "https://pay.example/f")).await;
    let request = init_request("1")
        .success_url("https://shop.example/ok".parse().unwrap())
        .fail_url("https://shop.example/fail".parse().unwrap());
    service.client().init(&request).await.unwrap();
    let body: Value = serde_json::from_slice(&service.seen()[0].body).unwrap();
    assert_eq!(body["SuccessURL"], "https://shop.example/ok");
    assert_eq!(body["FailURL"], "https://shop.example/fail");
}

#[tokio::test]
async fn init_rejects_zero_amount_before_sending() {
    let service = Service::start(|_, _, _| form("1", 0, "https://pay.example/f")).await;
    let request = InitRequest::new(order("1"), Kopecks::ZERO, phone());
    let error = service.client().init(&request).await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert_eq!(service.count("Init"), 0);
}

#[tokio::test]
async fn init_accepts_http_form_on_loopback() {
    let service = Service::start(|_, _, _| form("1", 97_200, "http://127.0.0.1:9/form")).await;
    assert!(service.client().init(&init_request("1")).await.is_ok());
}

#[tokio::test]
async fn init_rejects_plain_http_form() {
    let service = Service::start(|_, _, _| form("1", 97_200, "http://pay.example/form")).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::InsecurePaymentUrl(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn init_rejects_relative_form() {
    let service = Service::start(|_, _, _| form("1", 97_200, "/form/1")).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(matches!(error, Error::MalformedReply { .. }), "{error:?}");
}

#[tokio::test]
async fn init_rejects_reply_for_other_order() {
    let service = Service::start(|_, _, _| form("2", 97_200, "https://pay.example/f")).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::Mismatch { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn init_rejects_reply_for_other_amount() {
    let service = Service::start(|_, _, _| form("1", 1, "https://pay.example/f")).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(matches!(error, Error::MalformedReply { .. }), "{error:?}");
}

#[tokio::test]
async fn check_out_reads_payment() {
    let service = Service::start(|_, _, _| ok(payment("77", 500, "CONFIRMED"))).await;
    let payment = service
        .client()
        .check_out(&order("77"), Kopecks::new(500))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Confirmed);
    assert_eq!(payment.amount, Kopecks::new(500));
}

#[tokio::test]
async fn check_out_keeps_unknown_status() {
    let service = Service::start(|_, _, _| ok(payment("77", 500, "ON_HOLD"))).await;
    let payment = service
        .client()
        .check_out(&order("77"), Kopecks::new(500))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Unknown("ON_HOLD".into()));
}

#[tokio::test]
async fn check_out_rejects_reply_for_other_order() {
    let service = Service::start(|_, _, _| ok(payment("78", 500, "NEW"))).await;
    let error = service
        .client()
        .check_out(&order("77"), Kopecks::new(500))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MalformedReply { .. }), "{error:?}");
}

#[tokio::test]
async fn each_error_code_is_an_api_error_without_retry() {
    let cases = [
        ("1", ErrorCode::InvalidToken),
        ("2", ErrorCode::UnknownPlatform),
        ("3", ErrorCode::InvalidRequest),
        ("4", ErrorCode::PhoneNotRegistered),
        ("5", ErrorCode::NotEnoughPoints),
        ("6", ErrorCode::PaymentConflict),
        ("7", ErrorCode::OrderNotFound),
        ("99", ErrorCode::Internal),
        ("42", ErrorCode::Other("42".into())),
    ];
    for (code, expected) in cases {
        let service = Service::start(move |_, _, _| refused(code)).await;
        let client = service.client();
        let balance = client.balance(&phone()).await.unwrap_err();
        let init = client.init(&init_request("1")).await.unwrap_err();
        let check_out = client
            .check_out(&order("1"), Kopecks::new(1))
            .await
            .unwrap_err();
        for error in [&balance, &init, &check_out] {
            assert_eq!(error.api_code(), Some(&expected), "code {code}: {error:?}");
        }
        assert_eq!(service.count("Balance"), 1, "code {code}");
        assert_eq!(service.count("Init"), 1, "code {code}");
        assert_eq!(service.count("CheckOut"), 1, "code {code}");
    }
}

#[tokio::test]
async fn api_error_keeps_message_and_details() {
    let service = Service::start(|_, _, _| refused("3")).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    let Error::Api { error: api, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.message.as_deref(), Some("refused"));
    assert_eq!(api.details.as_deref(), Some("Phone"));
    assert!(error.to_string().contains("error code 3"), "{error}");
}

#[tokio::test]
async fn error_code_as_integer_is_read() {
    let service =
        Service::start(|_, _, _| Reply::Json(200, json!({"Success": false, "ErrorCode": 5}))).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::NotEnoughPoints));
}

#[tokio::test]
async fn refusal_with_http_400_is_api_error() {
    let service =
        Service::start(|_, _, _| Reply::Json(400, json!({"Success": false, "ErrorCode": "3"})))
            .await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::InvalidRequest));
}

#[tokio::test]
async fn html_404_is_http_status_error() {
    let service =
        Service::start(|_, _, _| Reply::Raw(404, vec![], b"<h1>Not found</h1>".to_vec())).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(error, Error::HttpStatus { status: 404, .. }),
        "{error:?}"
    );
    assert_eq!(service.count("Balance"), 1);
}

#[tokio::test]
async fn server_error_retries_reads_three_times() {
    let service = Service::start(|_, _, _| Reply::Raw(500, vec![], b"oops".to_vec())).await;
    let client = service.client();
    let balance = client.balance(&phone()).await.unwrap_err();
    let check_out = client
        .check_out(&order("1"), Kopecks::new(1))
        .await
        .unwrap_err();
    assert!(
        matches!(balance, Error::HttpStatus { status: 500, .. }),
        "{balance:?}"
    );
    assert!(
        matches!(check_out, Error::HttpStatus { status: 500, .. }),
        "{check_out:?}"
    );
    assert_eq!(service.count("Balance"), 3);
    assert_eq!(service.count("CheckOut"), 3);
}

#[tokio::test]
async fn server_error_on_init_is_not_retried() {
    let service = Service::start(|_, _, _| Reply::Raw(503, vec![], vec![])).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(error, Error::HttpStatus { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(service.count("Init"), 1);
    assert_eq!(service.count("CheckOut"), 0);
}

#[tokio::test]
async fn server_error_then_success_is_retried_to_success() {
    let service = Service::start(|_, previous, _| {
        if previous == 0 {
            Reply::Raw(502, vec![], vec![])
        } else {
            balance_reply()
        }
    })
    .await;
    assert!(service.client().balance(&phone()).await.is_ok());
    assert_eq!(service.count("Balance"), 2);
}

#[tokio::test]
async fn timeout_retries_reads_three_times() {
    let service = Service::start(|_, _, _| Reply::Hang).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.may_have_reached_service());
    assert_eq!(service.count("Balance"), 3);
}

#[tokio::test]
async fn init_timeout_asks_check_out_then_sends_init_once_more() {
    let service = Service::start(|method, previous, _| match (method, previous) {
        ("Init", 0) => Reply::Hang,
        ("Init", _) => form("1", 97_200, "https://pay.example/f"),
        _ => ok(payment("1", 97_200, "NEW")),
    })
    .await;
    let outcome = service.client().init(&init_request("1")).await.unwrap();
    assert!(matches!(outcome, InitOutcome::Form(_)), "{outcome:?}");
    assert_eq!(service.count("Init"), 2);
    assert_eq!(service.count("CheckOut"), 1);
    let methods: Vec<String> = service.seen().into_iter().map(|seen| seen.method).collect();
    assert_eq!(methods, ["Init", "CheckOut", "Init"]);
}

#[tokio::test]
async fn init_timeout_with_confirmed_payment_returns_it() {
    let service = Service::start(|method, _, _| match method {
        "Init" => Reply::Hang,
        _ => ok(payment("1", 97_200, "CONFIRMED")),
    })
    .await;
    let outcome = service.client().init(&init_request("1")).await.unwrap();
    let InitOutcome::Finished(payment) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(payment.status, PaymentStatus::Confirmed);
    assert_eq!(service.count("Init"), 1);
}

#[tokio::test]
async fn init_timeout_without_payment_sends_init_again() {
    let service = Service::start(|method, previous, _| match (method, previous) {
        ("Init", 0) => Reply::Hang,
        ("Init", _) => form("1", 97_200, "https://pay.example/f"),
        _ => refused("7"),
    })
    .await;
    assert!(service.client().init(&init_request("1")).await.is_ok());
    assert_eq!(service.count("Init"), 2);
    assert_eq!(service.count("CheckOut"), 1);
}

#[tokio::test]
async fn init_timeout_with_check_out_down_sends_no_second_init() {
    let service = Service::start(|_, _, _| Reply::Hang).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { method: "Init", .. }),
        "{error:?}"
    );
    assert_eq!(service.count("Init"), 1);
    assert_eq!(service.count("CheckOut"), 3);
}

#[tokio::test]
async fn init_timeout_twice_stops_after_second_init() {
    let service = Service::start(|method, _, _| match method {
        "Init" => Reply::Hang,
        _ => refused("7"),
    })
    .await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(service.count("Init"), 2);
}

#[tokio::test]
async fn closed_connection_retries_reads() {
    let service = Service::start(|_, _, _| Reply::Close).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connect {
                before_sending: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(service.count("Balance"), 3);
}

#[tokio::test]
async fn closed_connection_on_init_asks_check_out() {
    let service = Service::start(|method, previous, _| match (method, previous) {
        ("Init", 0) => Reply::Close,
        ("Init", _) => form("1", 97_200, "https://pay.example/f"),
        _ => ok(payment("1", 97_200, "NEW")),
    })
    .await;
    assert!(service.client().init(&init_request("1")).await.is_ok());
    assert_eq!(service.count("Init"), 2);
    assert_eq!(service.count("CheckOut"), 1);
}

#[tokio::test]
async fn refused_connection_is_retried_for_every_method() {
    // Bind and drop a listener to get a port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = support::client_for(&format!("http://127.0.0.1:{port}/"));
    let error = client.init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connect {
                before_sending: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.may_have_reached_service());
    let error = client.balance(&phone()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connect {
                before_sending: true,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn garbage_reply_is_malformed_without_retry() {
    let service = Service::start(|_, _, _| Reply::Raw(200, vec![], b"<html>hello".to_vec())).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::Json(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(service.count("Balance"), 1);
}

#[tokio::test]
async fn reply_without_success_is_malformed() {
    let service = Service::start(|_, _, _| Reply::Json(200, json!({"Balance": 5}))).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::Field(FieldError::Missing("Success")),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn reply_missing_field_is_malformed() {
    let service = Service::start(|_, _, _| ok(json!({"OrderId": "1", "Amount": 97_200, "Status": "NEW", "PaymentURL": "https://p.example/"}))).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::Field(FieldError::Missing("PaymentId")),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn reply_with_fractional_balance_is_malformed() {
    let service = Service::start(|_, _, _| ok(json!({"Balance": 100.5}))).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::MalformedReply { .. }), "{error:?}");
    assert!(message.contains("Balance"), "{message}");
}

#[tokio::test]
async fn oversized_reply_is_rejected() {
    let body = vec![b' '; kupikupi::MAX_REPLY_BYTES + 1];
    let service = Service::start(move |_, _, _| Reply::Raw(200, vec![], body.clone())).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::TooLarge { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(service.count("Balance"), 1);
}

#[tokio::test]
async fn oversized_chunked_reply_is_rejected() {
    let service = Service::start(|_, _, _| Reply::Chunked(kupikupi::MAX_REPLY_BYTES + 10)).await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::TooLarge { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let target = Service::start(|_, _, _| balance_reply()).await;
    let location = format!("{}Balance", target.base_url);
    let service = Service::start(move |_, _, _| {
        Reply::Raw(307, vec![("Location".into(), location.clone())], vec![])
    })
    .await;
    let error = service.client().balance(&phone()).await.unwrap_err();
    assert!(
        matches!(error, Error::HttpStatus { status: 307, .. }),
        "{error:?}"
    );
    assert_eq!(service.count("Balance"), 1);
    assert_eq!(target.count("Balance"), 0);
}

#[test]
fn builder_rejects_public_http_base_url() {
    let built = kupikupi::Client::builder(
        kupikupi::UidPlatform::new("u").unwrap(),
        SecretKey::new("s").unwrap(),
        "http://api.example/",
    )
    .build();
    assert!(matches!(built, Err(Error::Config(_))));
}

#[test]
fn client_debug_hides_secret() {
    let client = support::client_for("http://127.0.0.1:1/");
    let debug = format!("{client:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("platform-test"), "{debug}");
}

#[tokio::test]
async fn success_body_with_http_404_is_rejected() {
    let service = Service::start(|_, _, _| {
        let Reply::Json(_, body) = form("1", 97_200, "https://pay.example/f") else {
            unreachable!()
        };
        Reply::Json(404, body)
    })
    .await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(error, Error::HttpStatus { status: 404, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn init_rejects_form_url_with_credentials() {
    let service =
        Service::start(|_, _, _| form("1", 97_200, "https://user:pw@pay.example/f")).await;
    let error = service.client().init(&init_request("1")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MalformedReply {
                reason: MalformedReply::InsecurePaymentUrl(_),
                ..
            }
        ),
        "{error:?}"
    );
}
