//! A thousand payments in flight at once through one sandbox, over real
//! HTTP. The test is bounded by its payment count and an overall timeout.

#![cfg(feature = "sandbox")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sandbox_common;

use std::collections::HashSet;
use std::time::Duration;

use kupikupi::{Kopecks, PaymentForm, PaymentStatus, Phone};
use kupikupi_actix::sandbox::{Delivery, DeliveryState};
use sandbox_common::*;
use tokio::task::JoinSet;

const PAYMENTS: u64 = 1_000;
const BALANCE: u64 = 10_000;
const LIMIT: Duration = Duration::from_secs(180);

fn customer(index: u64) -> Phone {
    Phone::from_u64(79_500_000_000 + index).unwrap()
}

fn amount(index: u64) -> u64 {
    100 + index
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_payments_in_flight() {
    let (opened, finished) = tokio::time::timeout(LIMIT, run()).await.unwrap();
    // Printed for whoever watches the run; nothing asserts a duration.
    eprintln!(
        "{PAYMENTS} payments: all open after {opened:?}, paid and notified after {finished:?}"
    );
}

/// Runs the payments and returns when all were open and when all were
/// paid and notified, counted from the start.
async fn run() -> (Duration, Duration) {
    let clock = std::time::Instant::now();
    let receiver = Receiver::start(Vec::new()).await;
    let mut builder = builder();
    for index in 0..PAYMENTS {
        builder = builder.customer(customer(index), Kopecks::new(BALANCE));
    }
    let sandbox = builder.start().await.unwrap();
    sandbox
        .set_notification_url(&uid(), receiver.url.clone())
        .unwrap();
    let client = client(&sandbox);

    // Start every payment before finishing any, so that all of them are open
    // at the same time.
    let mut starts = JoinSet::new();
    for index in 0..PAYMENTS {
        let client = client.clone();
        starts.spawn(async move {
            let request = request(&format!("load-{index}"), amount(index), customer(index));
            (index, init(&client, &request).await)
        });
    }
    let mut forms: Vec<(u64, PaymentForm)> = starts.join_all().await;
    forms.sort_by_key(|(index, _)| *index);
    let open: usize = (0..PAYMENTS)
        .map(|index| sandbox.pending_codes(&customer(index)).len())
        .sum();
    assert_eq!(open, forms.len());
    assert_eq!(forms.len(), 1_000);

    let started = clock.elapsed();
    // Open every form, read its code from the account JSON and submit it, all
    // at once.
    let mut payments = JoinSet::new();
    for (index, form) in forms.clone() {
        let sandbox = sandbox.clone();
        payments.spawn(async move {
            open_form(&form).await;
            let code = code_for(&sandbox, &customer(index), form.payment.payment_id.as_str()).await;
            let response = submit_code(&form, &code).await;
            assert_eq!(response.status(), 200, "payment {index}");
        });
    }
    payments.join_all().await;

    // Two notifications per payment: FORM_SHOWED and CONFIRMED.
    let expected = usize::try_from(PAYMENTS * 2).unwrap();
    let log = sandbox
        .wait_for_deliveries(LIMIT, |log: &[Delivery]| {
            log.len() == expected
                && log
                    .iter()
                    .all(|delivery| delivery.state != DeliveryState::Pending)
        })
        .await
        .unwrap();
    let failed: Vec<&Delivery> = log
        .iter()
        .filter(|delivery| delivery.state != DeliveryState::Delivered)
        .collect();
    assert!(
        failed.is_empty(),
        "{} not delivered, first: {:?}",
        failed.len(),
        failed.first()
    );

    let finished = clock.elapsed();
    let mut total = 0;
    for (index, form) in &forms {
        let payment = sandbox.payment(&form.payment.payment_id).unwrap();
        assert_eq!(payment.status, PaymentStatus::Confirmed, "payment {index}");
        let left = sandbox.balance(&customer(*index)).unwrap();
        assert_eq!(
            left,
            Kopecks::new(BALANCE - amount(*index)),
            "payment {index}"
        );
        total += amount(*index);
    }
    assert_eq!(sandbox.received_points(&uid()), Some(Kopecks::new(total)));

    let confirmed: HashSet<String> = receiver
        .received()
        .into_iter()
        .map(|received| received.verified.unwrap())
        .filter(|notification| notification.status.is_paid())
        .map(|notification| notification.payment_id.to_string())
        .collect();
    assert_eq!(confirmed.len(), forms.len());
    sandbox.stop().await;
    receiver.stop().await;
    (started, finished)
}
