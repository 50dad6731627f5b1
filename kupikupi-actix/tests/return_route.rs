//! The return route, and notifications that need `CheckOut`, against the
//! sandbox service over real HTTP on 127.0.0.1.

// Helpers of these tests stop on the first failed step, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod routes_common;

use kupikupi::PaymentStatus;
use kupikupi_actix::sandbox::DeliveryState;
use std::sync::Arc;

use kupikupi_actix::{EventKind, EventSource, KupiKupiRoutes};
use routes_common::*;

const AMOUNT: u64 = 2_500;

async fn get(url: impl reqwest::IntoUrl) -> reqwest::Response {
    http().get(url).send().await.unwrap()
}

#[tokio::test]
async fn return_after_dropped_notification_pays() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup.drop_notifications();

    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    let confirmed = setup.confirm(&form, &rich()).await;
    let back = location(&confirmed).unwrap();
    assert_eq!(back, setup.shop.url("/kupikupi/return/1").as_str());
    assert!(!setup.shop.store.is_paid(1));

    let response = get(back.as_str()).await;
    assert_eq!(response.status(), 303);
    let expected = setup.shop.url("/orders/1/paid");
    assert_eq!(location(&response).as_deref(), Some(expected.as_str()));
    assert!(setup.shop.store.is_paid(1));
    let events = setup.shop.store.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind, EventKind::StatusChanged);
    assert_eq!(events[0].source, EventSource::Init);
    assert_eq!(events[1].kind, EventKind::Paid);
    assert_eq!(events[1].source, EventSource::CheckOut);

    // Coming back again records nothing more.
    let again = get(back.as_str()).await;
    assert_eq!(location(&again).as_deref(), Some(expected.as_str()));
    assert_eq!(setup.shop.store.row(1).paid_times, 1);
    setup.stop().await;
}

#[tokio::test]
async fn return_after_cancel_goes_to_fail_url() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup.drop_notifications();
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    let cancelled = http()
        .post(format!("{form}/cancel"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let back = location(&cancelled).unwrap();

    let response = get(back.as_str()).await;
    assert_eq!(response.status(), 303);
    let expected = setup.shop.url("/orders/1/failed");
    assert_eq!(location(&response).as_deref(), Some(expected.as_str()));
    assert_eq!(setup.shop.store.status(1), Some(PaymentStatus::Canceled));
    assert!(!setup.shop.store.is_paid(1));
    setup.stop().await;
}

#[tokio::test]
async fn return_while_open_offers_to_continue() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup.drop_notifications();
    checkout(&setup.shop, "1", "").await;

    let response = get(setup.shop.url("/kupikupi/return/1")).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("action=\"/kupikupi/checkout/1\""), "{html}");
    assert!(html.contains("Continue the payment"), "{html}");
    assert_eq!(setup.shop.store.status(1), Some(PaymentStatus::New));
    setup.stop().await;
}

#[tokio::test]
async fn return_without_payment_goes_to_fail_url() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let response = get(setup.shop.url("/kupikupi/return/1")).await;
    assert_eq!(response.status(), 303);
    let expected = setup.shop.url("/orders/1/failed");
    assert_eq!(location(&response).as_deref(), Some(expected.as_str()));
    assert_eq!(setup.shop.store.record_calls(), 0);
    setup.stop().await;
}

#[tokio::test]
async fn return_with_service_down_records_nothing() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let shop = shop(method_unreachable(), store).await;
    let response = get(shop.url("/kupikupi/return/1")).await;
    assert_eq!(response.status(), 502);
    assert!(location(&response).is_none());
    assert_eq!(shop.store.record_calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn return_for_unknown_order_not_found() {
    let setup = Setup::start(MemoryStore::new()).await;
    for id in ["9", "09", "x"] {
        let response = get(setup.shop.url(&format!("/kupikupi/return/{id}"))).await;
        assert_eq!(response.status(), 404, "{id}");
    }
    setup.stop().await;
}

#[tokio::test]
async fn return_open_redirect_attempts_stay_on_site() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup.drop_notifications();
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    setup.confirm(&form, &rich()).await;

    let shop = &setup.shop;
    let allowed = [&shop.base];
    let base = shop.base.as_str().trim_end_matches('/');
    let attempts = [
        format!("{base}/kupikupi/return/1?next=https://evil.example"),
        format!(
            "{base}/kupikupi/return/1?success_url=%2F%2Fevil.example&fail_url=https%3A%2F%2Fevil.example"
        ),
        format!("{base}/kupikupi/return/1?redirect=%5C%5Cevil.example&SuccessURL=//evil.example"),
        format!("{base}/kupikupi/return/%2F%2Fevil.example"),
        format!("{base}/kupikupi/return/%252F%252Fevil.example"),
        format!("{base}/kupikupi/return/https:%2F%2Fevil.example"),
        format!("{base}/kupikupi/return//evil.example"),
        format!("{base}/kupikupi/return/1%2F..%2F..%2F%2Fevil.example"),
    ];
    let mut redirects = 0;
    for url in &attempts {
        for host in [None, Some("evil.example")] {
            let mut request = http().get(url.as_str());
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
                    "{url} redirected to {target}"
                );
                assert!(!target.contains("evil.example"), "{target}");
            }
        }
    }
    // The attempts on the plain id really redirect, to the success page.
    assert_eq!(redirects, 6);
    assert!(setup.shop.store.is_paid(1));
    setup.stop().await;
}

#[tokio::test]
async fn unknown_status_resolved_with_check_out() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup.drop_notifications();
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    let payment_id = setup.sandbox.pending_codes(&rich())[0]
        .payment_id
        .to_string();

    let (status, body) = deliver(&setup.shop, notification(1, &payment_id, AMOUNT, "HELD")).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(setup.shop.store.status(1), Some(PaymentStatus::New));

    setup.confirm(&form, &rich()).await;
    let (status, body) = deliver(&setup.shop, notification(1, &payment_id, AMOUNT, "HELD")).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert!(setup.shop.store.is_paid(1));
    let events = setup.shop.store.events();
    assert!(
        events
            .iter()
            .all(|event| event.source != EventSource::Notification)
    );
    assert!(
        events
            .iter()
            .all(|event| !matches!(event.status, PaymentStatus::Unknown(_)))
    );
    setup.stop().await;
}

#[tokio::test]
async fn unknown_status_with_service_down_not_acknowledged() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let shop = shop(method_unreachable(), store).await;
    let (status, body) = deliver(&shop, notification(1, "p-1", AMOUNT, "HELD")).await;
    assert!((500..600).contains(&status), "HTTP {status}");
    assert_ne!(body, "OK");
    assert_eq!(shop.store.record_calls(), 0);
    shop.stop().await;
}

#[tokio::test]
async fn sandbox_notifications_mark_paid() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    setup.confirm(&form, &rich()).await;
    let store = &setup.shop.store;
    wait_until(|| store.is_paid(1)).await;
    assert_eq!(store.row(1).paid_times, 1);
    assert!(
        store
            .events()
            .iter()
            .any(|event| event.kind == EventKind::Paid && event.source == EventSource::Notification)
    );
    setup.stop().await;
}

#[tokio::test]
async fn faulty_deliveries_settle_once() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(store).await;
    setup
        .sandbox
        .set_faults(
            &uid(),
            kupikupi_actix::sandbox::Faults::none()
                .duplicate(true)
                .out_of_order(true)
                .wrong_secret(kupikupi_actix::sandbox::WrongSecret::FirstAttempt),
        )
        .unwrap();
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    setup.confirm(&form, &rich()).await;
    let store = &setup.shop.store;
    wait_until(|| store.is_paid(1)).await;
    // Let the remaining duplicates and retries arrive.
    let delivered = setup
        .sandbox
        .wait_for_deliveries(std::time::Duration::from_secs(20), |deliveries| {
            deliveries.len() >= 4
                && deliveries
                    .iter()
                    .all(|delivery| delivery.state != DeliveryState::Pending)
        })
        .await;
    let delivered = delivered.unwrap();
    assert!(
        delivered
            .iter()
            .all(|delivery| delivery.state == DeliveryState::Delivered),
        "{delivered:?}"
    );
    assert_eq!(store.status(1), Some(PaymentStatus::Confirmed));
    assert_eq!(store.row(1).paid_times, 1);
    setup.stop().await;
}

#[tokio::test]
async fn check_payment_settles_without_return_or_notification() {
    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    let setup = Setup::start(Arc::clone(&store)).await;
    setup.drop_notifications();
    let form = location(&checkout(&setup.shop, "1", "").await).unwrap();
    setup.confirm(&form, &rich()).await;
    assert!(!store.is_paid(1));

    // The customer closed the tab: no return, and every notification dropped.
    let routes = KupiKupiRoutes::new(
        method_at(setup.sandbox.base_url().as_str()),
        Arc::clone(&store),
    );
    let payment = routes.check_payment(&1).await.unwrap().unwrap();
    assert!(payment.status.is_paid());
    assert!(store.is_paid(1));
    assert_eq!(store.row(1).paid_times, 1);

    // Checking again records nothing more.
    routes.check_payment(&1).await.unwrap();
    assert_eq!(store.row(1).paid_times, 1);
    setup.stop().await;
}

#[tokio::test]
async fn check_payment_of_unknown_order_is_error() {
    let routes = KupiKupiRoutes::new(method_unreachable(), MemoryStore::new());
    let result = routes.check_payment(&9).await;
    assert!(matches!(
        result,
        Err(kupikupi_actix::CheckPaymentError::UnknownOrder)
    ));
}
