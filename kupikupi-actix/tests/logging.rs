//! The secret key, Tokens and the customer's full phone never reach the
//! log, even at TRACE level, across every route and outcome.

// Helpers of these tests stop on the first failed step, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod routes_common;

use std::io;
use std::sync::{Arc, Mutex};

use routes_common::*;
use tracing_subscriber::fmt::MakeWriter;

/// A log sink that keeps everything written to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

const AMOUNT: u64 = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_token_and_phone_never_logged() {
    let captured = Captured::default();
    // The server's worker threads log too, so the subscriber is global; this
    // file holds only this test.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .init();

    let store = MemoryStore::new();
    store.add(1, AMOUNT, Some(RICH));
    store.add(2, AMOUNT, None);
    store.add(3, POOR_BALANCE + 1, Some(POOR));
    let setup = Setup::start(store).await;
    let shop = &setup.shop;

    // Checkout with the order's phone, a posted phone, an invalid one and
    // too few points; then the form, the notifications and the return.
    let form = location(&checkout(shop, "1", "").await).unwrap();
    checkout(shop, "2", &format!("phone={POOR}")).await;
    checkout(shop, "2", "phone=7900123456712").await;
    checkout(shop, "3", "").await;
    setup.confirm(&form, &rich()).await;
    wait_until(|| shop.store.is_paid(1)).await;
    http()
        .get(shop.url("/kupikupi/return/1"))
        .send()
        .await
        .unwrap();

    // Notifications: valid, forged, wrong platform, tampered, for an unknown
    // order, with an unknown status.
    let valid = notification(1, "p-log", AMOUNT, "CONFIRMED");
    let token = valid
        .split("\"Token\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 64);
    deliver(shop, valid.clone()).await;
    deliver(shop, valid.replace(&token[..8], "00000000")).await;
    deliver(shop, valid.replace(UID, "another-shop")).await;
    deliver(shop, valid.replace("3000", "3001")).await;
    deliver(shop, notification(99, "p-log", AMOUNT, "CONFIRMED")).await;
    deliver(shop, notification(1, "p-log", AMOUNT, "HELD")).await;
    deliver(shop, notification(1, "p-log", AMOUNT + 1, "CONFIRMED")).await;
    let phone_as_float = kupikupi::token::sign_json(
        &unsigned(1, "p-log", AMOUNT, "CONFIRMED").replace(RICH, &format!("{RICH}.0")),
        &secret(),
    )
    .unwrap();
    deliver(shop, phone_as_float).await;
    setup.stop().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("t-1"), "the log has the order ids");
    assert!(log.contains("CONFIRMED"), "the log has the statuses");
    assert!(!log.contains(SECRET), "the secret key is logged");
    assert!(!log.contains(&token), "a Token is logged");
    for phone in [RICH, POOR, &RICH[1..], &POOR[1..]] {
        assert!(!log.contains(phone), "the phone {phone} is logged");
    }
}
