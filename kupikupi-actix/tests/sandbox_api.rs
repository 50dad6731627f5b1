//! Protocol conformance of the sandbox's API over real HTTP: the golden Token
//! vectors, every error code, and `Init` idempotency.

#![cfg(feature = "sandbox")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sandbox_common;

use kupikupi::retry::RetryPolicy;
use kupikupi::{Client, ErrorCode, Kopecks, PaymentStatus, SecretKey, UidPlatform};
use kupikupi_actix::sandbox::{Faults, Sandbox, SandboxPlatform};
use sandbox_common::*;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Vector {
    name: String,
    body: String,
    secret: String,
    token: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../../kupikupi/tests/data/token_vectors.json")).unwrap()
}

/// Adds the Token to the body's text without re-serializing it, which
/// would change how numbers such as `6300.0` are written.
fn splice_token(body: &str, token: &str) -> String {
    let trimmed = body.trim_end();
    let without_brace = trimmed.strip_suffix('}').unwrap();
    let separator = if without_brace.trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    format!("{without_brace}{separator}\"Token\":\"{token}\"}}")
}

/// A Token with its last hex digit changed.
fn altered(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    let replacement = if last == "0" { "1" } else { "0" };
    format!("{head}{replacement}")
}

fn code(reply: &Value) -> &str {
    reply["ErrorCode"].as_str().unwrap()
}

#[tokio::test]
async fn golden_vectors_are_verified_exactly() {
    let mut builder = Sandbox::builder();
    let mut registered = Vec::new();
    for vector in vectors() {
        let body: Value = serde_json::from_str(&vector.body).unwrap();
        if let Some(uid) = body.get("UidPlatform").and_then(Value::as_str)
            && !registered.iter().any(|known: &String| known == uid)
        {
            registered.push(uid.to_owned());
            builder = builder.add_platform(SandboxPlatform::new(
                UidPlatform::new(uid).unwrap(),
                SecretKey::new(vector.secret.clone()).unwrap(),
            ));
        }
    }
    let sandbox = builder.start().await.unwrap();

    let mut checked = 0;
    for vector in vectors() {
        let body: Value = serde_json::from_str(&vector.body).unwrap();
        // Bodies without a platform, or with a Token already, cannot reach the
        // Token check; the core crate's tests cover them.
        if body.get("UidPlatform").is_none() || body.get("Token").is_some() {
            continue;
        }
        let right = post_raw(
            &sandbox,
            "CheckOut",
            &splice_token(&vector.body, &vector.token),
        )
        .await;
        assert_ne!(code(&right), "1", "vector {:?}: {right}", vector.name);
        assert_ne!(code(&right), "2", "vector {:?}: {right}", vector.name);
        assert_ne!(
            right["Details"], "Token",
            "vector {:?}: {right}",
            vector.name
        );

        let wrong = post_raw(
            &sandbox,
            "CheckOut",
            &splice_token(&vector.body, &altered(&vector.token)),
        )
        .await;
        assert_eq!(code(&wrong), "1", "vector {:?}: {wrong}", vector.name);
        assert_eq!(wrong["Success"], false, "vector {:?}", vector.name);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} vectors reached the sandbox");
    sandbox.stop().await;
}

#[tokio::test]
async fn balance_reply_has_phone_and_points() {
    let sandbox = start().await;
    let balance = client(&sandbox).balance(&rich()).await.unwrap();
    assert_eq!(balance.balance, Kopecks::new(RICH_BALANCE));
    assert_eq!(balance.phone, rich());

    let reply = post_raw(
        &sandbox,
        "Balance",
        &signed(r#"{"UidPlatform":"shop-1","Phone":"+7 900 123-45-67"}"#),
    )
    .await;
    assert_eq!(reply["Success"], true);
    assert_eq!(reply["ErrorCode"], "0");
    assert_eq!(reply["Phone"], 79001234567_u64);
    assert_eq!(reply["Balance"], RICH_BALANCE);
    sandbox.stop().await;
}

#[tokio::test]
async fn wrong_secret_is_code_1() {
    let sandbox = start().await;
    let impostor = Client::builder(
        uid(),
        SecretKey::new("not-the-secret").unwrap(),
        sandbox.base_url().as_str(),
    )
    .retry(RetryPolicy::never())
    .build()
    .unwrap();
    let error = impostor.balance(&rich()).await.unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::InvalidToken));
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_platform_is_code_2() {
    let sandbox = start().await;
    let stranger = Client::builder(
        UidPlatform::new("nobody").unwrap(),
        secret(),
        sandbox.base_url().as_str(),
    )
    .retry(RetryPolicy::never())
    .build()
    .unwrap();
    let error = stranger.balance(&rich()).await.unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::UnknownPlatform));
    sandbox.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_code_3_naming_the_field() {
    let sandbox = start().await;
    let unsigned_cases = [
        ("Balance", "not json", "body"),
        ("Balance", "[1,2]", "body"),
        ("Balance", r#"{"Phone":79001234567}"#, "UidPlatform"),
        ("Balance", r#"{"UidPlatform":["shop-1"]}"#, "UidPlatform"),
        (
            "Balance",
            r#"{"UidPlatform":"shop-1","Phone":79001234567}"#,
            "Token",
        ),
        (
            "Balance",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"Token":5}"#,
            "Token",
        ),
        (
            "Balance",
            r#"{"UidPlatform":"shop-1","Phone":1,"Phone":2,"Token":"x"}"#,
            "Phone",
        ),
    ];
    for (method, body, field) in unsigned_cases {
        let reply = post_raw(&sandbox, method, body).await;
        assert_eq!(code(&reply), "3", "{method} {body}: {reply}");
        assert_eq!(reply["Details"], field, "{method} {body}: {reply}");
        assert_eq!(reply["Success"], false, "{method} {body}");
        assert!(
            reply["Message"].as_str().unwrap().contains("invalid"),
            "{reply}"
        );
    }

    let signed_cases = [
        ("Balance", r#"{"UidPlatform":"shop-1"}"#, "Phone"),
        (
            "Balance",
            r#"{"UidPlatform":"shop-1","Phone":12345}"#,
            "Phone",
        ),
        (
            "Balance",
            r#"{"UidPlatform":"shop-1","Phone":"7900abc4567"}"#,
            "Phone",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"Amount":100}"#,
            "OrderId",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"a b","Amount":100}"#,
            "OrderId",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1"}"#,
            "Amount",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1","Amount":0}"#,
            "Amount",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1","Amount":-5}"#,
            "Amount",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1","Amount":1.5}"#,
            "Amount",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1","Amount":100,"Description":7}"#,
            "Description",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1","Amount":100,"SuccessURL":"/relative"}"#,
            "SuccessURL",
        ),
        (
            "Init",
            r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":"1","Amount":100,"FailURL":"javascript:alert(1)"}"#,
            "FailURL",
        ),
        (
            "CheckOut",
            r#"{"UidPlatform":"shop-1","Amount":100}"#,
            "OrderId",
        ),
        (
            "CheckOut",
            r#"{"UidPlatform":"shop-1","OrderId":"1"}"#,
            "Amount",
        ),
    ];
    for (method, body, field) in signed_cases {
        let reply = post_raw(&sandbox, method, &signed(body)).await;
        assert_eq!(code(&reply), "3", "{method} {body}: {reply}");
        assert_eq!(reply["Details"], field, "{method} {body}: {reply}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn long_description_is_code_3() {
    let sandbox = start().await;
    let request = request("long-1", 100, rich()).description("x".repeat(251));
    let error = client(&sandbox).init(&request).await.unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::InvalidRequest));
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_phone_is_code_4() {
    let sandbox = start().await;
    let stranger = kupikupi::Phone::parse("79990000000").unwrap();
    let client = client(&sandbox);
    let error = client.balance(&stranger).await.unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::PhoneNotRegistered));
    let error = client
        .init(&request("o-4", 100, stranger))
        .await
        .unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::PhoneNotRegistered));
    sandbox.stop().await;
}

#[tokio::test]
async fn too_few_points_is_code_5() {
    let sandbox = start().await;
    let error = client(&sandbox)
        .init(&request("o-5", POOR_BALANCE + 1, poor()))
        .await
        .unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::NotEnoughPoints));
    sandbox.stop().await;
}

#[tokio::test]
async fn conflicting_init_is_code_6() {
    let sandbox = start().await;
    let client = client(&sandbox);
    init(&client, &request("o-6", 1_000, rich())).await;

    let other_amount = client
        .init(&request("o-6", 2_000, rich()))
        .await
        .unwrap_err();
    assert_eq!(other_amount.api_code(), Some(&ErrorCode::PaymentConflict));

    let other_customer = client
        .init(&request("o-6", 1_000, poor()))
        .await
        .unwrap_err();
    assert_eq!(other_customer.api_code(), Some(&ErrorCode::PaymentConflict));
    sandbox.stop().await;
}

#[tokio::test]
async fn init_after_confirmed_is_code_6() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let form = init(&client, &request("o-paid", 1_000, rich())).await;
    let code = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;
    submit_code(&form, &code).await;

    let again = client
        .init(&request("o-paid", 1_000, rich()))
        .await
        .unwrap_err();
    assert_eq!(again.api_code(), Some(&ErrorCode::PaymentConflict));
    sandbox.stop().await;
}

#[tokio::test]
async fn check_out_without_payment_is_code_7() {
    let sandbox = start().await;
    let error = client(&sandbox)
        .check_out(&order("never-started"), Kopecks::new(100))
        .await
        .unwrap_err();
    assert_eq!(error.api_code(), Some(&ErrorCode::OrderNotFound));
    sandbox.stop().await;
}

#[tokio::test]
async fn internal_errors_fault_is_code_99() {
    let sandbox = start().await;
    let client = client(&sandbox);
    sandbox
        .set_faults(&uid(), Faults::none().internal_errors(true))
        .unwrap();

    let balance = client.balance(&rich()).await.unwrap_err();
    assert_eq!(balance.api_code(), Some(&ErrorCode::Internal));
    let started = client
        .init(&request("o-99", 100, rich()))
        .await
        .unwrap_err();
    assert_eq!(started.api_code(), Some(&ErrorCode::Internal));
    let checked = client
        .check_out(&order("o-99"), Kopecks::new(100))
        .await
        .unwrap_err();
    assert_eq!(checked.api_code(), Some(&ErrorCode::Internal));

    sandbox.set_faults(&uid(), Faults::none()).unwrap();
    assert!(client.balance(&rich()).await.is_ok());
    sandbox.stop().await;
}

#[tokio::test]
async fn init_reply_has_every_field() {
    let sandbox = start().await;
    let reply = post_raw(
        &sandbox,
        "Init",
        &signed(r#"{"UidPlatform":"shop-1","Phone":79001234567,"OrderId":1042,"Amount":97200}"#),
    )
    .await;
    assert_eq!(reply["Success"], true, "{reply}");
    assert_eq!(reply["ErrorCode"], "0");
    assert_eq!(reply["OrderId"], "1042");
    assert_eq!(reply["Amount"], 97200);
    assert_eq!(reply["Status"], "NEW");
    assert!(!reply["PaymentId"].as_str().unwrap().is_empty());
    let url = reply["PaymentURL"].as_str().unwrap();
    assert!(url.starts_with(sandbox.base_url().as_str()), "{url}");
    sandbox.stop().await;
}

#[tokio::test]
async fn init_is_idempotent_while_open() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let first = init(&client, &request("idem-1", 1_500, rich())).await;
    let second = init(&client, &request("idem-1", 1_500, rich())).await;
    assert_eq!(first.payment.payment_id, second.payment.payment_id);
    assert_eq!(first.url, second.url);
    assert_eq!(second.payment.status, PaymentStatus::New);

    open_form(&first).await;
    let third = init(&client, &request("idem-1", 1_500, rich())).await;
    assert_eq!(third.payment.payment_id, first.payment.payment_id);
    assert_eq!(third.payment.status, PaymentStatus::FormShowed);
    assert_eq!(
        sandbox.pending_codes(&rich()).len(),
        1,
        "one payment, one code"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn init_after_failure_starts_new_payment() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let first = init(&client, &request("retry-1", 1_500, rich())).await;
    cancel(&first).await;

    let second = init(&client, &request("retry-1", 1_500, rich())).await;
    assert_ne!(second.payment.payment_id, first.payment.payment_id);
    assert_ne!(second.url, first.url);
    assert_eq!(second.payment.status, PaymentStatus::New);

    let latest = client
        .check_out(&order("retry-1"), Kopecks::new(1_500))
        .await
        .unwrap();
    assert_eq!(latest.payment_id, second.payment.payment_id);
    sandbox.stop().await;
}

#[tokio::test]
async fn check_out_reports_each_status() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let form = init(&client, &request("co-1", 2_500, rich())).await;
    let status = || async {
        client
            .check_out(&order("co-1"), Kopecks::new(2_500))
            .await
            .unwrap()
            .status
    };
    assert_eq!(status().await, PaymentStatus::New);
    open_form(&form).await;
    assert_eq!(status().await, PaymentStatus::FormShowed);
    let code = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;
    submit_code(&form, &code).await;
    let payment = client
        .check_out(&order("co-1"), Kopecks::new(2_500))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Confirmed);
    assert_eq!(payment.amount, Kopecks::new(2_500));
    assert_eq!(payment.payment_id, form.payment.payment_id);
    sandbox.stop().await;
}

#[tokio::test]
async fn platforms_are_kept_apart() {
    let other_uid = UidPlatform::new("shop-2").unwrap();
    let other_secret = SecretKey::new("shop-2-secret").unwrap();
    let sandbox = builder()
        .platform(other_uid.clone(), other_secret.clone())
        .start()
        .await
        .unwrap();
    let other = Client::builder(other_uid, other_secret, sandbox.base_url().as_str())
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let mine = init(&client(&sandbox), &request("shared-id", 100, rich())).await;
    // The same order id at another platform is another order.
    let theirs = init(&other, &request("shared-id", 200, rich())).await;
    assert_ne!(mine.payment.payment_id, theirs.payment.payment_id);
    sandbox.stop().await;
}

#[tokio::test]
async fn builder_rejects_bad_configuration() {
    let none = Sandbox::builder().start().await.unwrap_err();
    assert!(none.to_string().contains("platform"), "{none}");

    let twice = Sandbox::builder()
        .platform(uid(), secret())
        .platform(uid(), secret())
        .start()
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("twice"), "{twice}");

    let customer_twice = builder()
        .customer(rich(), Kopecks::new(1))
        .start()
        .await
        .unwrap_err();
    assert!(
        customer_twice.to_string().contains("twice"),
        "{customer_twice}"
    );

    let huge_deadline = builder()
        .deadline(kupikupi_actix::sandbox::MAX_DEADLINE + std::time::Duration::from_secs(1))
        .start()
        .await
        .unwrap_err();
    assert!(
        huge_deadline.to_string().contains("365 days"),
        "{huge_deadline}"
    );
}

#[actix_web::test]
async fn starts_inside_actix_runtime() {
    let sandbox = start().await;
    let balance = client(&sandbox).balance(&rich()).await.unwrap();
    assert_eq!(balance.balance, Kopecks::new(RICH_BALANCE));
    sandbox.stop().await;
}

#[tokio::test]
async fn float_phone_is_rejected_without_echo() {
    let sandbox = start().await;
    let reply = post_raw(
        &sandbox,
        "Balance",
        &signed(r#"{"UidPlatform":"shop-1","Phone":79001234567.0}"#),
    )
    .await;
    assert_eq!(code(&reply), "3");
    assert_eq!(reply["Details"], "Phone");
    assert!(
        !reply["Message"].as_str().unwrap().contains("79001234567"),
        "{reply}"
    );
    sandbox.stop().await;
}
