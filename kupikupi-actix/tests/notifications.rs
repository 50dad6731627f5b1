//! The notification route against real HTTP on 127.0.0.1, counting the
//! store's calls and records.

// Helpers of these tests stop on the first failed step, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod routes_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use kupikupi::{Kopecks, PaymentStatus};
use kupikupi_actix::EventKind;
use routes_common::*;
use serde_json::{Map, Value};

const AMOUNT: u64 = 50_000;

async fn shop_with_order(id: u64) -> Shop {
    let store = MemoryStore::new();
    store.add_started(id, AMOUNT, Some(RICH), &format!("p-{id}"));
    shop(method_unreachable(), store).await
}

/// The 64 hex digits of the Token in a signed body, and where they start.
fn token_span(body: &str) -> std::ops::Range<usize> {
    let start = body.find(r#""Token":""#).unwrap() + r#""Token":""#.len();
    start..start + 64
}

/// A small deterministic generator for random tokens (SplitMix64).
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut mixed = *state;
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    mixed ^ (mixed >> 31)
}

#[tokio::test]
async fn valid_confirmed_marks_paid() {
    let shop = shop_with_order(1).await;
    let (status, body) = deliver(&shop, notification(1, "p-1", AMOUNT, "CONFIRMED")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "OK");
    assert!(shop.store.is_paid(1));
    assert_eq!(shop.store.events_of(EventKind::Paid), 1);
    shop.stop().await;
}

#[tokio::test]
async fn forged_tokens_rejected() {
    let shop = shop_with_order(1).await;
    let valid = notification(1, "p-1", AMOUNT, "CONFIRMED");
    let span = token_span(&valid);
    let mut forged: Vec<Vec<u8>> = Vec::new();

    let mut state = 42;
    for _ in 0..100 {
        let token: String = (0..4)
            .map(|_| format!("{:016x}", next_random(&mut state)))
            .collect();
        let mut body = valid.clone();
        body.replace_range(span.clone(), &token);
        forged.push(body.into_bytes());
    }
    for index in span.clone() {
        for bit in 0..8 {
            let mut body = valid.clone().into_bytes();
            body[index] ^= 1 << bit;
            forged.push(body);
        }
    }
    assert_eq!(forged.len(), 100 + 64 * 8);

    let mut statuses = Vec::new();
    for body in forged {
        statuses.push(deliver(&shop, body).await.0);
    }
    let accepted = statuses.iter().filter(|status| **status == 200).count();
    assert_eq!(accepted, 0);
    // A flipped bit can also break the JSON or its UTF-8, which is a 400.
    for status in statuses {
        assert!(
            status == 400 || status == 403,
            "forged Token got HTTP {status}"
        );
    }
    assert_eq!(shop.store.calls(), 0);
    assert!(!shop.store.is_paid(1));
    shop.stop().await;
}

#[tokio::test]
async fn tampered_root_fields_rejected() {
    let shop = shop_with_order(1).await;
    shop.store.add_started(2, AMOUNT, None, "p-2");
    let valid: Map<String, Value> =
        serde_json::from_str(&notification(1, "p-1", AMOUNT, "CANCELED")).unwrap();
    let tampered_values = [
        ("UidPlatform", Value::from("routes-shop-2")),
        ("OrderId", Value::from("t-2")),
        ("PaymentId", Value::from("p-2")),
        ("Amount", Value::from(AMOUNT + 1)),
        ("Phone", Value::from(79_007_654_321u64)),
        ("Status", Value::from("CONFIRMED")),
        ("Success", Value::from(true)),
        ("ErrorCode", Value::from("5")),
        ("Extra", Value::from("added after signing")),
    ];
    for (field, value) in tampered_values {
        let mut body = valid.clone();
        body.insert(field.to_owned(), value);
        let (status, _) = deliver(&shop, serde_json::to_string(&body).unwrap()).await;
        assert_eq!(status, 403, "{field} changed after signing");
    }
    for field in ["OrderId", "PaymentId", "Status"] {
        let mut body = valid.clone();
        body.remove(field);
        let (status, _) = deliver(&shop, serde_json::to_string(&body).unwrap()).await;
        assert_eq!(status, 403, "{field} removed after signing");
    }
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn wrong_platform_rejected() {
    let shop = shop_with_order(1).await;
    let body = unsigned(1, "p-1", AMOUNT, "CONFIRMED").replace(UID, "another-shop");
    let signed = kupikupi::token::sign_json(&body, &secret()).unwrap();
    let (status, _) = deliver(&shop, signed).await;
    assert_eq!(status, 403);
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn extra_root_and_nested_fields_accepted() {
    let shop = shop_with_order(1).await;
    let mut body: Map<String, Value> =
        serde_json::from_str(&unsigned(1, "p-1", AMOUNT, "CONFIRMED")).unwrap();
    body.insert("Receipt".into(), Value::from("R-77"));
    body.insert(
        "Data".into(),
        serde_json::json!({"Loyalty": {"Level": 3}, "Tags": ["a", "b"]}),
    );
    let signed =
        kupikupi::token::sign_json(&serde_json::to_string(&body).unwrap(), &secret()).unwrap();
    let (status, reply) = deliver(&shop, signed).await;
    assert_eq!(status, 200);
    assert_eq!(reply, "OK");
    assert!(shop.store.is_paid(1));
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_confirmed_hundred_times_concurrently() {
    let shop = Arc::new(shop_with_order(1).await);
    let body = notification(1, "p-1", AMOUNT, "CONFIRMED");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let shop = Arc::clone(&shop);
        let body = body.clone();
        tasks.spawn(async move { deliver(&shop, body).await });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.unwrap());
    }
    assert_eq!(replies.len(), 100);
    for (status, body) in &replies {
        assert_eq!(*status, 200);
        assert_eq!(body, "OK");
    }
    assert_eq!(shop.store.events().len(), 1);
    assert_eq!(shop.store.row(1).paid_times, 1);
    shop.stop().await;
}

#[tokio::test]
async fn non_forward_status_acknowledged_without_record() {
    let shop = shop_with_order(1).await;
    for status in [
        "FORM_SHOWED",
        "CONFIRMED",
        "FORM_SHOWED",
        "NEW",
        "CONFIRMED",
    ] {
        let (code, body) = deliver(&shop, notification(1, "p-1", AMOUNT, status)).await;
        assert_eq!((code, body.as_str()), (200, "OK"), "{status}");
    }
    assert_eq!(shop.store.record_calls(), 2);
    assert_eq!(shop.store.status(1), Some(PaymentStatus::Confirmed));
    shop.stop().await;
}

#[tokio::test]
async fn conflicting_final_status_recorded_separately() {
    let shop = shop_with_order(1).await;
    deliver(&shop, notification(1, "p-1", AMOUNT, "CONFIRMED")).await;
    let (status, body) = deliver(&shop, notification(1, "p-1", AMOUNT, "CANCELED")).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(shop.store.events_of(EventKind::ConflictingFinalStatus), 1);
    assert_eq!(shop.store.status(1), Some(PaymentStatus::Confirmed));
    shop.stop().await;
}

#[tokio::test]
async fn amount_mismatch_recorded_not_paid() {
    let shop = shop_with_order(1).await;
    let (status, body) = deliver(&shop, notification(1, "p-1", AMOUNT - 1, "CONFIRMED")).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(shop.store.events_of(EventKind::AmountMismatch), 1);
    assert_eq!(shop.store.events_of(EventKind::Paid), 0);
    assert!(!shop.store.is_paid(1));
    assert_eq!(shop.store.row(1).paid_times, 0);
    let mismatch = &shop.store.events()[0];
    assert_eq!(mismatch.amount, Kopecks::new(AMOUNT - 1));
    shop.stop().await;
}

#[tokio::test]
async fn store_failure_then_recovery_pays_once() {
    let shop = shop_with_order(1).await;
    let body = notification(1, "p-1", AMOUNT, "CONFIRMED");

    shop.store.fail_records(1);
    let (status, reply) = deliver(&shop, body.clone()).await;
    assert_eq!(status, 503);
    assert_ne!(reply, "OK");
    assert!(!shop.store.is_paid(1));

    shop.store.fail_loads(1);
    let (status, _) = deliver(&shop, body.clone()).await;
    assert_eq!(status, 503);
    assert!(!shop.store.is_paid(1));

    let (status, reply) = deliver(&shop, body.clone()).await;
    assert_eq!((status, reply.as_str()), (200, "OK"));
    let (status, reply) = deliver(&shop, body).await;
    assert_eq!((status, reply.as_str()), (200, "OK"));
    assert!(shop.store.is_paid(1));
    assert_eq!(shop.store.row(1).paid_times, 1);
    assert_eq!(shop.store.events_of(EventKind::Paid), 1);
    shop.stop().await;
}

#[tokio::test]
async fn unknown_order_not_acknowledged() {
    let shop = shop(method_unreachable(), MemoryStore::new()).await;
    let body = notification(7, "p-7", AMOUNT, "CONFIRMED");
    let (status, reply) = deliver(&shop, body.clone()).await;
    assert!((500..600).contains(&status), "HTTP {status}");
    assert_ne!(reply, "OK");
    assert_eq!(shop.store.record_calls(), 0);

    // Once the order is committed, the service's next delivery is recorded.
    shop.store.add_started(7, AMOUNT, None, "p-7");
    let (status, reply) = deliver(&shop, body).await;
    assert_eq!((status, reply.as_str()), (200, "OK"));
    assert!(shop.store.is_paid(7));
    shop.stop().await;
}

#[tokio::test]
async fn foreign_order_id_rejected_without_store() {
    let shop = shop_with_order(1).await;
    for order_id in ["1", "other-1", "t-01", "t-abc", "t-1.0"] {
        let body =
            unsigned(1, "p-1", AMOUNT, "CONFIRMED").replace("\"t-1\"", &format!("\"{order_id}\""));
        let signed = kupikupi::token::sign_json(&body, &secret()).unwrap();
        let (status, _) = deliver(&shop, signed).await;
        assert_eq!(status, 404, "{order_id}");
    }
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn oversize_body_rejected() {
    let shop = shop_with_order(1).await;
    let padding = "x".repeat(64 * 1024);
    let body = unsigned(1, "p-1", AMOUNT, "CONFIRMED").replace(
        "\"ErrorCode\"",
        &format!("\"Padding\":\"{padding}\",\"ErrorCode\""),
    );
    let signed = kupikupi::token::sign_json(&body, &secret()).unwrap();
    assert!(signed.len() > 64 * 1024);
    let (status, _) = deliver(&shop, signed).await;
    assert_eq!(status, 413);
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

/// Sends a chunked request, which declares no length, over a raw socket.
fn send_chunked(shop: &Shop, chunks: &[Vec<u8>]) -> String {
    let address = format!(
        "{}:{}",
        shop.base.host_str().unwrap(),
        shop.base.port().unwrap()
    );
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut request = b"POST /kupikupi/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(&request);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_chunked_body_rejected() {
    let shop = Arc::new(shop_with_order(1).await);
    let chunks = vec![vec![b' '; 16 * 1024]; 5];
    let task_shop = Arc::clone(&shop);
    let reply = tokio::task::spawn_blocking(move || send_chunked(&task_shop, &chunks))
        .await
        .unwrap();
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn wrong_content_type_rejected() {
    let shop = shop_with_order(1).await;
    let body = notification(1, "p-1", AMOUNT, "CONFIRMED");
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=windows-1251"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = http().post(shop.notifications()).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let status = request.send().await.unwrap().status().as_u16();
        assert_eq!(status, 415, "{content_type:?}");
    }
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn malformed_bodies_rejected() {
    let shop = shop_with_order(1).await;
    let valid = notification(1, "p-1", AMOUNT, "CONFIRMED");
    let mut invalid_utf8 = valid.clone().into_bytes();
    let position = valid.find("p-1").unwrap();
    invalid_utf8[position] = 0xff;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", valid.as_bytes()[..valid.len() / 2].to_vec()),
        (
            "missing closing brace",
            valid.as_bytes()[..valid.len() - 1].to_vec(),
        ),
        ("invalid UTF-8", invalid_utf8),
        (
            "lone surrogate escape",
            valid.replace("p-1", "\\ud800").into_bytes(),
        ),
        ("array", b"[1,2,3]".to_vec()),
        ("string", b"\"CONFIRMED\"".to_vec()),
        ("null", b"null".to_vec()),
        ("trailing data", format!("{valid} {{}}").into_bytes()),
        (
            "duplicate key",
            valid.replacen('{', "{\"Status\":\"NEW\",", 1).into_bytes(),
        ),
        ("nested too deep", "[".repeat(10_000).into_bytes()),
    ];
    for (name, body) in cases {
        let (status, _) = deliver(&shop, body).await;
        assert_eq!(status, 400, "{name}");
    }
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn invalid_signed_values_rejected() {
    let shop = shop_with_order(1).await;
    let template = unsigned(1, "p-1", AMOUNT, "CONFIRMED");
    let amount = format!("\"Amount\":{AMOUNT}");
    let cases = [
        ("negative amount", amount.as_str(), "\"Amount\":-50000"),
        (
            "huge amount",
            amount.as_str(),
            "\"Amount\":184467440737095516160000",
        ),
        ("fractional amount", amount.as_str(), "\"Amount\":500.5"),
        ("exponent amount", amount.as_str(), "\"Amount\":1e400"),
        ("amount as text", amount.as_str(), "\"Amount\":\"lots\""),
        (
            "empty payment id",
            "\"PaymentId\":\"p-1\"",
            "\"PaymentId\":\"\"",
        ),
        (
            "object order id",
            "\"OrderId\":\"t-1\"",
            "\"OrderId\":{\"Id\":1}",
        ),
        (
            "status as number",
            "\"Status\":\"CONFIRMED\"",
            "\"Status\":3",
        ),
    ];
    for (name, from, to) in cases {
        let body = template.replace(from, to);
        assert_ne!(body, template, "{name}");
        let signed = match kupikupi::token::sign_json(&body, &secret()) {
            Ok(signed) => signed,
            // Numbers serde_json cannot hold cannot be signed by re-serializing,
            // so they are sent with a Token computed over the exact bytes.
            Err(_) => {
                let token = kupikupi::token::compute(body.as_bytes(), &secret()).unwrap();
                body.replacen('{', &format!("{{\"Token\":\"{}\",", token.as_str()), 1)
            }
        };
        let (status, _) = deliver(&shop, signed).await;
        assert_eq!(status, 400, "{name}");
    }
    for field in ["OrderId", "PaymentId", "Amount", "Status"] {
        let mut body: Map<String, Value> = serde_json::from_str(&template).unwrap();
        body.remove(field);
        let signed =
            kupikupi::token::sign_json(&serde_json::to_string(&body).unwrap(), &secret()).unwrap();
        let (status, _) = deliver(&shop, signed).await;
        assert_eq!(status, 400, "{field} missing");
    }
    let mut body: Map<String, Value> = serde_json::from_str(&template).unwrap();
    body.remove("UidPlatform");
    let signed =
        kupikupi::token::sign_json(&serde_json::to_string(&body).unwrap(), &secret()).unwrap();
    let (status, _) = deliver(&shop, signed).await;
    assert_eq!(status, 403, "UidPlatform missing");
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn json_client_gets_problem_details() {
    let shop = shop_with_order(1).await;
    let response = http()
        .post(shop.notifications())
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(unsigned(1, "p-1", AMOUNT, "CONFIRMED"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(problem["status"], 403);
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["code"], "invalid_signature");
    assert!(problem["title"].is_string());
    assert!(problem["detail"].is_string());
    shop.stop().await;
}

#[tokio::test]
async fn get_on_notifications_not_allowed() {
    let shop = shop_with_order(1).await;
    let response = http().get(shop.notifications()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(shop.store.calls(), 0);
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_store_pay_once() {
    // Two shop instances have separate in-process locks; only the store's
    // compare-and-set keeps them from recording the same payment twice.
    let store = MemoryStore::new();
    store.add_started(1, AMOUNT, None, "p-1");
    let first = Arc::new(shop(method_unreachable(), Arc::clone(&store)).await);
    let second = Arc::new(shop(method_unreachable(), Arc::clone(&store)).await);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..120 {
        let shop = Arc::clone(if index % 2 == 0 { &first } else { &second });
        let status = ["NEW", "FORM_SHOWED", "CONFIRMED"][index % 3];
        let body = notification(1, "p-1", AMOUNT, status);
        tasks.spawn(async move { deliver(&shop, body).await });
    }
    while let Some(reply) = tasks.join_next().await {
        let (status, body) = reply.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, "OK");
    }
    assert_eq!(store.status(1), Some(PaymentStatus::Confirmed));
    assert_eq!(store.row(1).paid_times, 1);
    assert_eq!(store.events_of(EventKind::Paid), 1);
    assert!(store.events().len() <= 3, "{:?}", store.events());
    first.stop().await;
    second.stop().await;
}

/// The Token concatenates values without separators, and `OrderId` and
/// `PaymentId` are next to each other in its order, so moving a digit from
/// one to the other keeps a captured notification's Token valid. The route
/// must not take the result as a payment of the other order.
#[tokio::test]
async fn re_split_notification_does_not_pay_other_order() {
    let store = MemoryStore::new();
    store.add_started(12, AMOUNT, None, "1001");
    store.add_started(121, AMOUNT, None, "p-121");
    let setup = Setup::start(Arc::clone(&store)).await;
    let genuine = notification(12, "1001", AMOUNT, "CONFIRMED");
    let forged = genuine
        .replace(r#""OrderId":"t-12""#, r#""OrderId":"t-121""#)
        .replace(r#""PaymentId":"1001""#, r#""PaymentId":"001""#);
    assert_ne!(forged, genuine);
    assert!(kupikupi::token::verify(forged.as_bytes(), &secret()).is_ok());

    let (status, body) = deliver(&setup.shop, forged).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert!(!store.is_paid(121));
    assert_eq!(store.record_calls(), 0);
    setup.stop().await;
}

#[tokio::test]
async fn unknown_payment_id_not_trusted_without_check_out() {
    let shop = shop_with_order(1).await;
    let (status, body) = deliver(&shop, notification(1, "p-other", AMOUNT, "CONFIRMED")).await;
    assert!((500..600).contains(&status), "HTTP {status}");
    assert_ne!(body, "OK");
    assert!(!shop.store.is_paid(1));
    assert_eq!(shop.store.record_calls(), 0);
}

/// The service signed the notification, and the payment is decided by the
/// order id, payment id, amount and status; an unreadable informative field
/// must not make the shop turn a real payment away.
#[tokio::test]
async fn unreadable_informative_fields_still_pay() {
    let shop = shop_with_order(1).await;
    let body = unsigned(1, "p-1", AMOUNT, "CONFIRMED")
        .replace("\"Phone\":79001234567", "\"Phone\":-79001234567")
        .replace("\"Success\":true", "\"Success\":1")
        .replace("\"ErrorCode\":\"0\"", "\"ErrorCode\":[]");
    assert!(body.contains("\"Phone\":-7"), "{body}");
    assert!(body.contains("\"Success\":1"), "{body}");
    assert!(body.contains("\"ErrorCode\":[]"), "{body}");
    let signed = kupikupi::token::sign_json(&body, &secret()).unwrap();
    let (status, reply) = deliver(&shop, signed).await;
    assert_eq!((status, reply.as_str()), (200, "OK"));
    assert!(shop.store.is_paid(1));
    shop.stop().await;
}
