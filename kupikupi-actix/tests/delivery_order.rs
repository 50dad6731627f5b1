//! Every order of delivery of one payment's statuses leads to the same
//! recorded state, and a final status, once recorded, is never replaced.

// Helpers of these tests stop on the first failed step, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod routes_common;

use std::sync::atomic::{AtomicU64, Ordering};

use kupikupi::PaymentStatus;
use proptest::prelude::*;
use routes_common::*;

const AMOUNT: u64 = 12_300;

/// The statuses one payment goes through, ending in `last`, each delivered
/// one to three times, in a shuffled order.
fn deliveries() -> impl Strategy<Value = (&'static str, Vec<&'static str>)> {
    let last = prop_oneof![
        Just("CONFIRMED"),
        Just("REJECTED"),
        Just("CANCELED"),
        Just("DEADLINE_EXPIRED"),
    ];
    (last, 1..=3usize, 1..=3usize, 1..=3usize).prop_flat_map(|(last, new, shown, finals)| {
        let mut statuses = Vec::new();
        statuses.extend(std::iter::repeat_n("NEW", new));
        statuses.extend(std::iter::repeat_n("FORM_SHOWED", shown));
        statuses.extend(std::iter::repeat_n(last, finals));
        (Just(last), Just(statuses).prop_shuffle())
    })
}

#[test]
fn every_delivery_order_settles_the_same() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = MemoryStore::new();
    let shop = runtime.block_on(shop(method_unreachable(), store));
    let next_id = AtomicU64::new(1);

    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |((last, statuses) in deliveries())| {
        let id = next_id.fetch_add(1, Ordering::SeqCst);
        shop.store.add_started(id, AMOUNT, None, "pay-1");
        for status in &statuses {
            let (code, body) =
                runtime.block_on(deliver(&shop, notification(id, "pay-1", AMOUNT, status)));
            prop_assert_eq!(code, 200, "{}", status);
            prop_assert_eq!(body, "OK");
        }

        let expected = PaymentStatus::from_wire(last);
        prop_assert_eq!(shop.store.status(id), Some(expected.clone()));
        prop_assert_eq!(shop.store.row(id).paid_times, u32::from(expected.is_paid()));

        // Once a final status is recorded, no later event changes the payment.
        let events: Vec<_> = shop
            .store
            .events()
            .into_iter()
            .filter(|event| event.order_id.as_str() == format!("{PREFIX}{id}"))
            .collect();
        let first_final = events
            .iter()
            .position(|event| event.status.is_final())
            .unwrap();
        for event in &events[first_final + 1..] {
            prop_assert!(event.new_payment().is_none(), "{:?} after a final status", event);
        }
        // Each status is recorded at most once.
        prop_assert!(events.len() <= 3, "{:?}", events);
    });
    runtime.block_on(shop.stop());
}
