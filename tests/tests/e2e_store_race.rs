//! The example shop's SQLite store under concurrent and repeated writes.
//!
//! `racing_instances_pay_once` has two shop instances on one SQLite file
//! receive the same notifications at once: every copy is acknowledged, the
//! order is paid once and its status ends confirmed. Whether two writes
//! really interleave there depends on timing, so the compare-and-set itself
//! is checked deterministically by `stale_event_is_outdated`, which replays
//! events the routes produced against a state that moved on.

// Test support: a failed step fails the test on the spot.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpServer};
use common::{COFFEE, RICH, RICH_BALANCE, Setup, World, rich};
use kupikupi::{Client, Kopecks, KupiKupi, PaymentStatus};
use kupikupi_actix::sandbox::{Faults, Sandbox};
use kupikupi_actix::{
    EventKind, KupiKupiRoutes, LoadedOrder, OrderStore, PaymentEvent, RecordOutcome,
};
use kupikupi_examples::{Db, DbError, Order};
use tokio::task::JoinSet;

/// A notification for a payment of the test platform, signed with its
/// secret.
fn notification(id: i64, payment_id: &str, status: &str) -> String {
    let body = format!(
        r#"{{"UidPlatform":"{uid}","OrderId":"shop-{id}","PaymentId":"{payment_id}","Amount":{COFFEE},"Phone":{RICH},"Status":"{status}","Success":true,"ErrorCode":"0"}}"#,
        uid = common::UID,
    );
    kupikupi::token::sign_json(&body, &common::secret()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_instances_pay_once() {
    // The sandbox's own notifications are dropped; the test sends them.
    let world = World::start(Setup {
        faults: Faults::none().drop(true),
        ..Setup::default()
    })
    .await;
    let second = world.second_shop().await;
    let id = world.create_order("coffee", RICH).await;
    world.pay_on_form(id, &rich()).await;
    let payment_id = world
        .settled_deliveries()
        .await
        .into_iter()
        .find(|delivery| delivery.status == PaymentStatus::Confirmed)
        .map(|delivery| delivery.payment_id.as_str().to_owned())
        .unwrap();
    assert!(!world.stored(id).await.paid);

    let shops = [world.shop.notification_url(), second.notification_url()];
    let mut requests = JoinSet::new();
    for copy in 0..24 {
        let url = shops[copy % 2].clone();
        let status = if copy % 3 == 0 {
            "FORM_SHOWED"
        } else {
            "CONFIRMED"
        };
        let body = notification(id, &payment_id, status);
        let http = world.http.clone();
        requests.spawn(async move {
            let response = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let code = response.status().as_u16();
            (code, response.text().await.unwrap())
        });
    }
    while let Some(reply) = requests.join_next().await {
        let (code, body) = reply.unwrap();
        assert_eq!(code, 200, "{body}");
        assert_eq!(body, "OK");
    }

    let stored = world.stored(id).await;
    assert!(stored.paid);
    assert_eq!(
        stored.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Confirmed)
    );
    let events = world.shop.db().payment_events(id).await.unwrap();
    let paid = events.iter().filter(|event| event.kind == "paid").count();
    assert_eq!(paid, 1, "{events:?}");
    let conflicts = events
        .iter()
        .filter(|event| event.kind == "conflicting_final_status")
        .count();
    assert_eq!(conflicts, 0, "{events:?}");
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE - COFFEE));
    let seen_by_second = second.db().order(id).await.unwrap().unwrap();
    assert!(seen_by_second.paid);

    second.stop().await;
    world.stop().await;
}

/// The shop's store, keeping a copy of every event it recorded so the test
/// can replay them later.
struct Recording {
    db: Db,
    events: Mutex<Vec<PaymentEvent>>,
}

#[kupikupi_actix::async_trait]
impl OrderStore for Recording {
    type Order = Order;
    type Error = DbError;

    async fn load(&self, id: &i64) -> Result<Option<LoadedOrder<Order>>, DbError> {
        self.db.order_with_payment(*id).await
    }

    async fn record(&self, id: &i64, event: &PaymentEvent) -> Result<RecordOutcome, DbError> {
        let outcome = self.db.record_payment(*id, event).await?;
        if outcome == RecordOutcome::Recorded {
            self.events.lock().unwrap().push(event.clone());
        }
        Ok(outcome)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_event_is_outdated() {
    let sandbox = Sandbox::builder()
        .platform(common::uid(), common::secret())
        .customer(rich(), Kopecks::new(RICH_BALANCE))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite3");
    let db = Db::open(&path).unwrap();
    let id = db
        .create_order("Coffee beans, 1 kg", 97_200, &rich())
        .await
        .unwrap();

    // The routes over the recording store, on an ephemeral port.
    let store = Arc::new(Recording {
        db: db.clone(),
        events: Mutex::new(Vec::new()),
    });
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let client = Client::builder(common::uid(), common::secret(), sandbox.base_url().as_str())
        .build()
        .unwrap();
    let routes = KupiKupiRoutes::new(Arc::new(KupiKupi::new(client)), Arc::clone(&store))
        .public_base_url(&base)
        .unwrap();
    let server = HttpServer::new(move || App::new().service(routes.finish()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let server_handle = server.handle();
    let server_task = tokio::spawn(server);
    sandbox
        .set_notification_url(
            &common::uid(),
            format!("{base}kupikupi/notifications").parse().unwrap(),
        )
        .unwrap();

    // Pay through the routes and the sandbox's form.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let checkout = http
        .post(format!("{base}kupikupi/checkout/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(checkout.status(), 303);
    let form = common::location(&checkout);
    assert_eq!(http.get(&form).send().await.unwrap().status(), 200);
    // FORM_SHOWED and CONFIRMED are delivered by separate tasks, so the
    // code is entered only once FORM_SHOWED is recorded: the test needs
    // that event to replay.
    common::wait_for(
        "FORM_SHOWED to be recorded",
        || {
            let db = db.clone();
            async move { db.order(id).await.unwrap().unwrap() }
        },
        |order| {
            order.payment.as_ref().map(|payment| &payment.status)
                == Some(&PaymentStatus::FormShowed)
        },
    )
    .await;
    let code = sandbox.pending_codes(&rich())[0].code.clone();
    let submitted = http
        .post(&form)
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303);
    sandbox
        .wait_for_deliveries(common::WAIT, |log| {
            log.len() == 2
                && log.iter().all(|delivery| {
                    delivery
                        .attempts
                        .iter()
                        .any(|attempt| attempt.result.is_accepted())
                })
        })
        .await
        .unwrap();
    let paid = db.order(id).await.unwrap().unwrap();
    assert!(paid.paid);

    let events = store.events.lock().unwrap().clone();
    let form_shown = events
        .iter()
        .find(|event| {
            event.kind == EventKind::StatusChanged && event.status == PaymentStatus::FormShowed
        })
        .unwrap_or_else(|| panic!("no FORM_SHOWED event in {events:?}"))
        .clone();
    let confirmed = events
        .iter()
        .find(|event| event.kind == EventKind::Paid)
        .unwrap_or_else(|| panic!("no paid event in {events:?}"))
        .clone();

    // A write decided against an older state is rejected and changes nothing.
    assert_eq!(
        db.record_payment(id, &form_shown).await.unwrap(),
        RecordOutcome::Outdated
    );
    let after = db.order(id).await.unwrap().unwrap();
    assert!(after.paid);
    assert_eq!(
        after.payment.as_ref().map(|payment| &payment.status),
        Some(&PaymentStatus::Confirmed)
    );

    // Repeating the write that already happened is accepted, once.
    assert_eq!(
        db.record_payment(id, &confirmed).await.unwrap(),
        RecordOutcome::Recorded
    );
    let rows = db.payment_events(id).await.unwrap();
    let paid_rows = rows.iter().filter(|row| row.kind == "paid").count();
    assert_eq!(paid_rows, 1, "{rows:?}");

    // Everything is in the file: a new connection reads the same state.
    server_handle.stop(true).await;
    server_task.await.unwrap().unwrap();
    drop(store);
    drop(db);
    let reopened = Db::open(&path).unwrap();
    assert_eq!(reopened.order(id).await.unwrap().unwrap(), after);
    assert_eq!(reopened.payment_events(id).await.unwrap(), rows);
    sandbox.stop().await;
}
