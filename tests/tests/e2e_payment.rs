//! A customer paying in the example shop through the sandbox, over real
//! HTTP: the whole flow and the ways a payment on the form can fail.

mod common;

use std::time::Duration;

use common::{COFFEE, POOR, POOR_BALANCE, RICH, RICH_BALANCE, Setup, World, location, poor, rich};
use kupikupi::{Kopecks, PaymentStatus};
use kupikupi_actix::sandbox::DeliveryState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_flow_pays_once() {
    let world = World::start(Setup::default()).await;
    let id = world.create_order("coffee", "+7 900 123-45-67").await;

    let page = world.order_page(id).await;
    assert!(page.contains("Your KupiKupi points: 5000.00 ₽"), "{page}");
    assert!(page.contains("Pay with KupiKupi points"), "{page}");
    assert!(
        page.contains(&format!("action=\"/kupikupi/checkout/{id}\"")),
        "{page}"
    );

    let form = world.start_payment(id).await;
    let form_page = world.open_form(&form).await;
    assert!(form_page.contains("972.00 ₽"), "{form_page}");
    assert!(form_page.contains("Corner Coffee"), "{form_page}");

    let code = world.code(&rich(), id).await;
    let submitted = world.submit_code(&form, &code).await;
    assert_eq!(submitted.status(), 303);
    let return_url = location(&submitted);
    assert!(
        return_url.starts_with(&format!("{}kupikupi/return/{id}", world.shop.url())),
        "{return_url}"
    );

    let returned = world.follow(&submitted).await;
    assert_eq!(returned.status(), 303);
    assert_eq!(
        location(&returned),
        world.url(&format!("/orders/{id}")).as_str()
    );
    let page = world.order_page(id).await;
    assert!(page.contains("Paid with KupiKupi points"), "{page}");
    assert!(!page.contains("id=\"pay\""), "{page}");

    let deliveries = world.settled_deliveries().await;
    let statuses: Vec<_> = deliveries
        .iter()
        .map(|delivery| delivery.status.clone())
        .collect();
    assert_eq!(
        statuses,
        [PaymentStatus::FormShowed, PaymentStatus::Confirmed]
    );
    for delivery in &deliveries {
        assert_eq!(delivery.state, DeliveryState::Delivered, "{delivery:?}");
    }

    let stored = world.stored(id).await;
    assert!(stored.paid);
    assert_eq!(
        stored.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Confirmed)
    );
    let events = world.shop.db().payment_events(id).await.unwrap();
    let paid: Vec<_> = events.iter().filter(|event| event.kind == "paid").collect();
    assert_eq!(paid.len(), 1, "{events:?}");
    assert_eq!(paid[0].amount_kopecks, 97_200);

    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE - COFFEE));
    assert_eq!(
        world.sandbox.received_points(&common::uid()),
        Some(Kopecks::new(COFFEE))
    );

    // Pressing pay again on a paid order starts nothing new.
    let again = world.checkout(id).await;
    assert_eq!(again.status(), 303);
    assert_eq!(
        location(&again),
        world.url(&format!("/orders/{id}")).as_str()
    );
    assert!(world.sandbox.pending_codes(&rich()).is_empty());
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE - COFFEE));
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_wrong_codes_reject() {
    let world = World::start(Setup::default()).await;
    let id = world.create_order("coffee", RICH).await;
    let form = world.start_payment(id).await;
    world.open_form(&form).await;
    let code = world.code(&rich(), id).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    for left in ["2 tries left", "1 try left"] {
        let response = world.submit_code(&form, wrong).await;
        assert_eq!(response.status(), 200);
        let page = response.text().await.unwrap();
        assert!(page.contains(left), "{page}");
    }
    let third = world.submit_code(&form, wrong).await;
    assert_eq!(third.status(), 303);
    assert!(
        location(&third).contains(&format!("/kupikupi/return/{id}")),
        "{}",
        location(&third)
    );
    let returned = world.follow(&third).await;
    assert_eq!(
        location(&returned),
        world.url(&format!("/orders/{id}?payment=failed")).as_str()
    );

    let stored = world.stored(id).await;
    assert!(!stored.paid);
    assert_eq!(
        stored.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Rejected)
    );
    let page = world.order_page(id).await;
    assert!(page.contains("The payment was rejected."), "{page}");

    // The right code no longer pays the rejected payment.
    let late = world.submit_code(&form, &code).await;
    assert_eq!(late.status(), 303);
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE));
    assert!(!world.stored(id).await.paid);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_few_points_hide_button() {
    let world = World::start(Setup::default()).await;
    let id = world.create_order("coffee", POOR).await;

    let page = world.order_page(id).await;
    assert!(page.contains("Your KupiKupi points: 50.00 ₽"), "{page}");
    assert!(!page.contains("id=\"pay\""), "{page}");
    assert!(page.contains("id=\"not-enough\""), "{page}");

    // Posting to the checkout route directly starts no payment either.
    let response = world.checkout(id).await;
    assert_eq!(response.status(), 402);
    let body = response.text().await.unwrap();
    assert!(body.contains("Not enough points"), "{body}");
    assert!(world.sandbox.pending_codes(&poor()).is_empty());
    assert_eq!(world.balance(&poor()), Kopecks::new(POOR_BALANCE));
    let stored = world.stored(id).await;
    assert!(!stored.paid);
    assert_eq!(stored.payment, None);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_returns_unpaid() {
    let world = World::start(Setup::default()).await;
    let id = world.create_order("kettle", RICH).await;
    let form = world.start_payment(id).await;
    world.open_form(&form).await;

    let cancelled = world.cancel(&form).await;
    assert_eq!(cancelled.status(), 303);
    let returned = world.follow(&cancelled).await;
    assert_eq!(
        location(&returned),
        world.url(&format!("/orders/{id}?payment=failed")).as_str()
    );
    let stored = world.stored(id).await;
    assert!(!stored.paid);
    assert_eq!(
        stored.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Canceled)
    );
    let page = world.order_page(id).await;
    assert!(page.contains("The payment was cancelled."), "{page}");
    // The customer can still pay: the button is back.
    assert!(page.contains("id=\"pay\""), "{page}");
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE));
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_expires_payment() {
    let world = World::start(Setup {
        deadline: Duration::from_millis(1500),
        ..Setup::default()
    })
    .await;
    let id = world.create_order("coffee", RICH).await;
    let form = world.start_payment(id).await;
    world.open_form(&form).await;
    let code = world.code(&rich(), id).await;

    // The expiry reaches the shop by notification, without the customer.
    let stored = world
        .wait_for_order(id, "the deadline to expire", |order| {
            order.payment.as_ref().map(|payment| &payment.status)
                == Some(&PaymentStatus::DeadlineExpired)
        })
        .await;
    assert!(!stored.paid);

    let late = world.submit_code(&form, &code).await;
    assert_eq!(late.status(), 303);
    assert!(
        location(&late).contains(&format!("/kupikupi/return/{id}")),
        "{}",
        location(&late)
    );
    let page = world.order_page(id).await;
    assert!(
        page.contains("The payment form expired before it was finished."),
        "{page}"
    );
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE));
    assert!(!world.stored(id).await.paid);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_order_input_rejected() {
    let world = World::start(Setup::default()).await;
    let bad_phone = world
        .http
        .post(world.url("/orders"))
        .form(&[("sku", "coffee"), ("phone", "<script>1</script>")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_phone.status(), 400);
    let body = bad_phone.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");

    let bad_product = world
        .http
        .post(world.url("/orders"))
        .form(&[("sku", "unicorn"), ("phone", RICH)])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_product.status(), 400);

    let missing = world.get(world.url("/orders/999").as_str()).await;
    assert_eq!(missing.status(), 404);
    world.stop().await;
}
