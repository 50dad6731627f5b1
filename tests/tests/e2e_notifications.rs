//! Notifications from the sandbox to the example shop going wrong: dropped,
//! duplicated and reordered, signed with a wrong secret, and arriving while
//! the shop restarts. The order ends paid exactly once in every case.

mod common;

use std::time::Duration;

use common::{COFFEE, RICH_BALANCE, Setup, World, rich};
use kupikupi::{Kopecks, PaymentStatus};
use kupikupi_actix::sandbox::{AttemptResult, DeliveryState, Faults, RetrySchedule, WrongSecret};

/// Checks that the order is paid by one confirmed payment and the points
/// moved once.
#[allow(clippy::unwrap_used, reason = "a failed read fails the test")]
async fn assert_paid_once(world: &World, id: i64) {
    let stored = world.stored(id).await;
    assert!(stored.paid, "{stored:?}");
    assert_eq!(
        stored.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Confirmed)
    );
    let events = world.shop.db().payment_events(id).await.unwrap();
    let paid = events.iter().filter(|event| event.kind == "paid").count();
    assert_eq!(paid, 1, "{events:?}");
    let conflicts = events
        .iter()
        .filter(|event| event.kind == "conflicting_final_status" || event.kind == "amount_mismatch")
        .count();
    assert_eq!(conflicts, 0, "{events:?}");
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE - COFFEE));
    assert_eq!(
        world.sandbox.received_points(&common::uid()),
        Some(Kopecks::new(COFFEE))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_notification_settled_on_return() {
    let world = World::start(Setup {
        faults: Faults::none().drop(true),
        ..Setup::default()
    })
    .await;
    let id = world.create_order("coffee", common::RICH).await;
    let submitted = world.pay_on_form(id, &rich()).await;

    // Every notification is dropped, so only the return route can tell
    // the shop.
    let deliveries = world.settled_deliveries().await;
    assert!(!deliveries.is_empty());
    for delivery in &deliveries {
        assert_eq!(delivery.state, DeliveryState::Dropped, "{delivery:?}");
    }
    assert!(!world.stored(id).await.paid);

    let returned = world.follow(&submitted).await;
    assert_eq!(returned.status(), 303);
    assert_eq!(
        common::location(&returned),
        world.url(&format!("/orders/{id}")).as_str()
    );
    assert_paid_once(&world, id).await;
    let events = world.shop.db().payment_events(id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|event| event.kind == "paid" && event.source == "check_out"),
        "{events:?}"
    );
    let page = world.order_page(id).await;
    assert!(page.contains("Paid with KupiKupi points"), "{page}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_notification_settled_on_order_page() {
    let world = World::start(Setup {
        faults: Faults::none().drop(true),
        ..Setup::default()
    })
    .await;
    let id = world.create_order("coffee", common::RICH).await;
    world.pay_on_form(id, &rich()).await;
    let deliveries = world.settled_deliveries().await;
    assert!(!deliveries.is_empty());
    assert!(!world.stored(id).await.paid);

    // The customer closed the tab instead of coming back, and every
    // notification was dropped. Viewing the order asks the service.
    let page = world.order_page(id).await;
    assert!(page.contains("Paid with KupiKupi points"), "{page}");
    assert_paid_once(&world, id).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_reordered_pay_once() {
    let world = World::start(Setup {
        faults: Faults::none().duplicate(true).out_of_order(true),
        ..Setup::default()
    })
    .await;
    let id = world.create_order("coffee", common::RICH).await;
    // The customer never comes back, so the notifications alone settle it.
    world.pay_on_form(id, &rich()).await;

    let deliveries = world.settled_deliveries().await;
    assert_eq!(deliveries.len(), 4, "{deliveries:#?}");
    for delivery in &deliveries {
        assert_eq!(delivery.state, DeliveryState::Delivered, "{delivery:?}");
    }
    // Out of order: the confirmation arrived before the form was reported
    // shown.
    let first_confirmed = deliveries
        .iter()
        .flat_map(|delivery| {
            delivery
                .attempts
                .iter()
                .filter(|attempt| attempt.result.is_accepted())
                .map(move |attempt| (attempt.sent_at_ms, delivery.status.clone()))
        })
        .min_by_key(|(sent_at, _)| *sent_at)
        .map(|(_, status)| status);
    assert_eq!(first_confirmed, Some(PaymentStatus::Confirmed));

    let stored = world
        .wait_for_order(id, "the order to be paid", |order| order.paid)
        .await;
    assert_eq!(
        stored.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Confirmed),
        "the late FORM_SHOWED must not move the status back"
    );
    assert_paid_once(&world, id).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_rejected_then_accepted() {
    let world = World::start(Setup {
        faults: Faults::none().wrong_secret(WrongSecret::FirstAttempt),
        ..Setup::default()
    })
    .await;
    let id = world.create_order("coffee", common::RICH).await;
    world.pay_on_form(id, &rich()).await;

    let deliveries = world.settled_deliveries().await;
    assert_eq!(deliveries.len(), 2, "{deliveries:#?}");
    for delivery in &deliveries {
        assert_eq!(delivery.state, DeliveryState::Delivered, "{delivery:?}");
        assert_eq!(delivery.attempts.len(), 2, "{delivery:?}");
        let first = &delivery.attempts[0];
        assert!(first.wrong_secret);
        assert!(
            matches!(first.result, AttemptResult::Rejected { http_status, .. } if (400..500).contains(&http_status)),
            "{first:?}"
        );
        let second = &delivery.attempts[1];
        assert!(!second.wrong_secret);
        assert!(second.result.is_accepted(), "{second:?}");
    }
    assert_paid_once(&world, id).await;
    let events = world.shop.db().payment_events(id).await.unwrap();
    // Only notifications told the shop about the form and the payment.
    for event in events.iter().filter(|event| event.status != "NEW") {
        assert_eq!(event.source, "notification", "{events:?}");
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_restart_loses_nothing() {
    let mut world = World::start(Setup {
        // Enough retries to outlast the restart.
        retry: RetrySchedule::new([Duration::from_millis(100); 100]),
        ..Setup::default()
    })
    .await;
    let id = world.create_order("coffee", common::RICH).await;
    let form = world.start_payment(id).await;
    world.open_form(&form).await;
    world
        .wait_for_order(id, "FORM_SHOWED to be recorded", |order| {
            order.payment.as_ref().map(|payment| &payment.status)
                == Some(&PaymentStatus::FormShowed)
        })
        .await;

    world.stop_shop().await;
    let code = world.code(&rich(), id).await;
    let submitted = world.submit_code(&form, &code).await;
    assert_eq!(submitted.status(), 303);
    // The confirmation cannot reach the stopped shop.
    world
        .sandbox
        .wait_for_deliveries(common::WAIT, |log| {
            log.iter().any(|delivery| {
                delivery.status == PaymentStatus::Confirmed
                    && delivery
                        .attempts
                        .iter()
                        .any(|attempt| matches!(attempt.result, AttemptResult::Failed { .. }))
            })
        })
        .await
        .unwrap();

    world.start_shop_again().await;
    // A retry reaches the new shop process, which reads the same database.
    let stored = world
        .wait_for_order(id, "the order to be paid after the restart", |order| {
            order.paid
        })
        .await;
    assert_eq!(stored.order.id, id);
    let deliveries = world.settled_deliveries().await;
    for delivery in &deliveries {
        assert_eq!(delivery.state, DeliveryState::Delivered, "{delivery:?}");
    }
    assert_paid_once(&world, id).await;
    let events = world.shop.db().payment_events(id).await.unwrap();
    // Each status is recorded once, the confirmation last, whether or not
    // the routes also record the payment's start (`NEW`).
    let statuses: Vec<&str> = events
        .iter()
        .map(|event| event.status.as_str())
        .filter(|status| *status != "NEW")
        .collect();
    assert_eq!(statuses, ["FORM_SHOWED", "CONFIRMED"], "{events:?}");
    let starts = events.iter().filter(|event| event.status == "NEW").count();
    assert!(starts <= 1, "{events:?}");
    world.stop().await;
}
