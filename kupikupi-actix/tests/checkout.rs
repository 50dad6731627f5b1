//! The checkout route against the sandbox service, over real HTTP on
//! 127.0.0.1.

// Helpers of these tests stop on the first failed step, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod routes_common;

use kupikupi::PaymentStatus;
use routes_common::*;
use serde_json::Value;

const AMOUNT: u64 = 1_500;

#[tokio::test]
async fn checkout_redirects_to_form() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let response = checkout(&setup.shop, "1", "").await;
    assert_eq!(response.status(), 303);
    let form = location(&response).unwrap();
    assert!(
        form.starts_with(setup.sandbox.base_url().as_str()),
        "{form}"
    );
    assert_eq!(setup.open_payments(&rich()), 1);
    let pending = &setup.sandbox.pending_codes(&rich())[0];
    assert_eq!(pending.order_id.as_str(), "t-1");
    assert_eq!(pending.amount.get(), AMOUNT);
    setup.stop().await;
}

#[tokio::test]
async fn checkout_twice_starts_one_payment() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let first = checkout(&setup.shop, "1", "").await;
    let second = checkout(&setup.shop, "1", "").await;
    assert_eq!(first.status(), 303);
    assert_eq!(second.status(), 303);
    assert_eq!(location(&first), location(&second));
    assert_eq!(setup.open_payments(&rich()), 1);
    setup.stop().await;
}

#[tokio::test]
async fn get_checkout_starts_nothing() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let response = http()
            .request(method.clone(), setup.shop.url("/kupikupi/checkout/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "POST");
    }
    assert_eq!(setup.open_payments(&rich()), 0);
    assert_eq!(setup.shop.store.calls(), 0);
    setup.stop().await;
}

#[tokio::test]
async fn unknown_order_not_found() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    for id in ["2", "01", "+1", "abc", "1.0", "-1"] {
        let response = checkout(&setup.shop, id, "").await;
        assert_eq!(response.status(), 404, "{id}");
    }
    assert_eq!(setup.open_payments(&rich()), 0);
    setup.stop().await;
}

#[tokio::test]
async fn paid_order_redirects_to_success() {
    let store = MemoryStore::new();
    store.add_started(1, AMOUNT, Some(RICH), "p-1");
    let setup = Setup::start(store).await;
    let (status, _) = deliver(&setup.shop, notification(1, "p-1", AMOUNT, "CONFIRMED")).await;
    assert_eq!(status, 200);

    let response = checkout(&setup.shop, "1", "").await;
    assert_eq!(response.status(), 303);
    let expected = setup.shop.url("/orders/1/paid");
    assert_eq!(location(&response).as_deref(), Some(expected.as_str()));
    assert_eq!(setup.open_payments(&rich()), 0);
    setup.stop().await;
}

#[tokio::test]
async fn missing_phone_asks_for_it() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, None);
    let setup = Setup::start(store).await;
    let response = checkout(&setup.shop, "1", "").await;
    assert_eq!(response.status(), 400);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\" action=\"/kupikupi/checkout/1\">"),
        "{html}"
    );
    assert!(html.contains("name=\"phone\""), "{html}");
    assert_eq!(setup.open_payments(&rich()), 0);
    setup.stop().await;
}

#[tokio::test]
async fn invalid_phone_asks_again() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, None);
    store.add(2, AMOUNT, Some("12345"));
    let setup = Setup::start(store).await;
    for (id, form) in [
        ("1", "phone=12345"),
        ("1", "phone=%2B1+555+0100"),
        ("2", ""),
    ] {
        let response = checkout(&setup.shop, id, form).await;
        assert_eq!(response.status(), 400, "{id} {form}");
        let html = response.text().await.unwrap();
        assert!(html.contains("name=\"phone\""), "{html}");
    }
    setup.stop().await;
}

#[tokio::test]
async fn posted_phone_starts_payment() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, None);
    let setup = Setup::start(store).await;
    let response = checkout(&setup.shop, "1", "phone=%2B7+900+123-45-67").await;
    assert_eq!(response.status(), 303);
    assert_eq!(setup.open_payments(&rich()), 1);
    setup.stop().await;
}

#[tokio::test]
async fn unregistered_phone_asks_for_another() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some("79990000000"));
    let setup = Setup::start(store).await;
    let response = checkout(&setup.shop, "1", "").await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains("No KupiKupi account"), "{html}");
    assert!(html.contains("name=\"phone\""), "{html}");
    setup.stop().await;
}

#[tokio::test]
async fn not_enough_points_starts_nothing() {
    let store = MemoryStore::new();
    store.add(1, POOR_BALANCE + 1, Some(POOR));
    let setup = Setup::start(store).await;
    let response = checkout(&setup.shop, "1", "").await;
    assert_eq!(response.status(), 402);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Not enough points</h1>"), "{html}");
    assert!(html.contains("nothing was charged"), "{html}");
    assert_eq!(setup.open_payments(&poor()), 0);
    assert_eq!(setup.shop.store.record_calls(), 0);

    let response = http()
        .post(setup.shop.url("/kupikupi/checkout/1"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 402);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(problem["code"], "not_enough_points");
    assert_eq!(problem["status"], 402);
    setup.stop().await;
}

#[tokio::test]
async fn service_down_gives_bad_gateway() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let shop = shop(method_unreachable(), store).await;
    let response = checkout(&shop, "1", "").await;
    assert_eq!(response.status(), 502);
    let html = response.text().await.unwrap();
    assert!(html.contains("Nothing was charged"), "{html}");
    assert_eq!(shop.store.record_calls(), 0);
    assert_eq!(shop.store.events().len(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn service_internal_error_gives_bad_gateway() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup
        .sandbox
        .set_faults(
            &uid(),
            kupikupi_actix::sandbox::Faults::none().internal_errors(true),
        )
        .unwrap();
    let response = checkout(&setup.shop, "1", "").await;
    assert_eq!(response.status(), 502);
    assert_eq!(setup.open_payments(&rich()), 0);
    assert_eq!(setup.shop.store.record_calls(), 0);
    setup.stop().await;
}

#[tokio::test]
async fn checkout_after_failed_payment_starts_new_one() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let first = location(&checkout(&setup.shop, "1", "").await).unwrap();
    let cancel = http()
        .post(format!("{first}/cancel"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 303);
    let second = checkout(&setup.shop, "1", "").await;
    assert_eq!(second.status(), 303);
    assert_ne!(location(&second).unwrap(), first);
    assert_eq!(setup.open_payments(&rich()), 1);
    setup.stop().await;
}

#[tokio::test]
async fn checkout_open_redirect_attempts_stay_on_site() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let shop = &setup.shop;
    let sandbox_base = setup.sandbox.base_url().clone();
    let allowed = [&shop.base, &sandbox_base];
    let base = shop.base.as_str().trim_end_matches('/');
    let attempts = [
        format!("{base}/kupikupi/checkout/1?next=https://evil.example"),
        format!(
            "{base}/kupikupi/checkout/1?redirect=%2F%2Fevil.example&success_url=https%3A%2F%2Fevil.example"
        ),
        format!("{base}/kupikupi/checkout/%2F%2Fevil.example"),
        format!("{base}/kupikupi/checkout/%252F%252Fevil.example"),
        format!("{base}/kupikupi/checkout/https:%2F%2Fevil.example"),
        format!("{base}/kupikupi/checkout/%5C%5Cevil.example"),
        format!("{base}/kupikupi/checkout//evil.example"),
        format!("{base}/kupikupi/checkout/1/..%2F..%2F%2Fevil.example"),
    ];
    let forms = [
        "",
        "success_url=https%3A%2F%2Fevil.example&fail_url=%2F%2Fevil.example",
        "next=%2F%2Fevil.example&PaymentURL=https%3A%2F%2Fevil.example",
    ];
    let mut redirects = 0;
    for url in &attempts {
        for form in forms {
            for host in [None, Some("evil.example")] {
                let mut request = http()
                    .post(url.as_str())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form);
                if let Some(host) = host {
                    request = request
                        .header("host", host)
                        .header("x-forwarded-host", host);
                }
                let response = request.send().await.unwrap();
                if let Some(target) = location(&response) {
                    redirects += 1;
                    assert!(
                        !is_off_site(&target, &allowed),
                        "{url} with {form:?} redirected to {target}"
                    );
                    assert!(!target.contains("evil.example"), "{target}");
                }
            }
        }
    }
    // The plain id in the first two attempts really starts the payment.
    assert!(redirects > 0);
    assert_eq!(setup.open_payments(&rich()), 1);
    setup.stop().await;
}

#[tokio::test]
async fn init_sends_return_route_as_return_urls() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    let response = setup.confirm(&form, &rich()).await;
    assert_eq!(response.status(), 303);
    let expected = setup.shop.url("/kupikupi/return/1");
    assert_eq!(location(&response).as_deref(), Some(expected.as_str()));
    // The sandbox notifies the shop in the background.
    let store = &setup.shop.store;
    wait_until(|| store.status(1) == Some(PaymentStatus::Confirmed)).await;
    assert_eq!(store.row(1).paid_times, 1);
    setup.stop().await;
}
