//! Notification delivery over real HTTP: signing, retries until `OK`, the
//! delivery log, and every injected fault.

#![cfg(feature = "sandbox")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sandbox_common;

use std::time::Duration;

use kupikupi::{Kopecks, PaymentStatus};
use kupikupi_actix::sandbox::{
    AttemptResult, Delivery, DeliveryState, Faults, RetrySchedule, SandboxHandle, WrongSecret,
};
use sandbox_common::*;

fn settled(log: &[Delivery], count: usize) -> bool {
    log.len() >= count
        && log
            .iter()
            .all(|delivery| delivery.state != DeliveryState::Pending)
}

async fn wait_settled(sandbox: &SandboxHandle, count: usize) -> Vec<Delivery> {
    sandbox
        .wait_for_deliveries(WAIT, |log| settled(log, count))
        .await
        .unwrap()
}

/// Starts a payment and confirms it by posting the code without opening the
/// form first, so that exactly one notification (`CONFIRMED`) is queued.
async fn pay(sandbox: &SandboxHandle, order_id: &str, amount: u64) -> kupikupi::PaymentForm {
    let form = init(&client(sandbox), &request(order_id, amount, rich())).await;
    let code = code_for(sandbox, &rich(), form.payment.payment_id.as_str()).await;
    submit_code(&form, &code).await;
    form
}

async fn start_with(receiver: &Receiver) -> SandboxHandle {
    let sandbox = start().await;
    sandbox
        .set_notification_url(&uid(), receiver.url.clone())
        .unwrap();
    sandbox
}

#[tokio::test]
async fn notification_is_signed_and_complete() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    let form = pay(&sandbox, "sig-1", 1_500).await;
    wait_settled(&sandbox, 1).await;

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let notification = received[0].verified.clone().unwrap();
    assert_eq!(notification.order_id, order("sig-1"));
    assert_eq!(notification.payment_id, form.payment.payment_id);
    assert_eq!(notification.amount, Kopecks::new(1_500));
    assert_eq!(notification.phone, Some(rich()));
    assert_eq!(notification.status, PaymentStatus::Confirmed);
    assert_eq!(notification.success, Some(true));
    assert_eq!(notification.error_code.as_deref(), Some("0"));
    let body: serde_json::Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["UidPlatform"], UID);
    assert_eq!(body["Phone"], 79001234567_u64);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn every_status_change_is_notified_in_order() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    let form = init(&client(&sandbox), &request("seq-1", 1_500, rich())).await;
    open_form(&form).await;
    wait_settled(&sandbox, 1).await;
    cancel(&form).await;
    wait_settled(&sandbox, 2).await;
    assert_eq!(receiver.statuses(), ["FORM_SHOWED", "CANCELED"]);
    let canceled = receiver.received()[1].verified.clone().unwrap();
    assert_eq!(canceled.success, Some(false));
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn rejection_for_too_few_points_carries_code_5() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    let client = client(&sandbox);
    let form = init(&client, &request("few-1", 400, poor())).await;
    let code = code_for(&sandbox, &poor(), form.payment.payment_id.as_str()).await;
    sandbox.set_balance(&poor(), Kopecks::new(100));
    submit_code(&form, &code).await;
    wait_settled(&sandbox, 1).await;

    let notification = receiver.received()[0].verified.clone().unwrap();
    assert_eq!(notification.status, PaymentStatus::Rejected);
    assert_eq!(notification.success, Some(false));
    assert_eq!(notification.error_code.as_deref(), Some("5"));
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn delivery_is_retried_until_ok() {
    let receiver = Receiver::start(vec![
        Reply {
            status: 500,
            body: "database is down",
        },
        Reply {
            status: 200,
            body: "not ok",
        },
        Reply {
            status: 200,
            body: "OK\n",
        },
    ])
    .await;
    let sandbox = start_with(&receiver).await;
    pay(&sandbox, "retry-1", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;

    let delivery = &log[0];
    assert_eq!(delivery.state, DeliveryState::Delivered);
    let results: Vec<_> = delivery
        .attempts
        .iter()
        .map(|attempt| &attempt.result)
        .collect();
    assert_eq!(
        results,
        [
            &AttemptResult::Rejected {
                http_status: 500,
                body: "database is down".into()
            },
            &AttemptResult::Rejected {
                http_status: 200,
                body: "not ok".into()
            },
            &AttemptResult::Rejected {
                http_status: 200,
                body: "OK\n".into()
            },
            &AttemptResult::Accepted,
        ]
    );
    let numbers: Vec<u32> = delivery
        .attempts
        .iter()
        .map(|attempt| attempt.number)
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(receiver.received().len(), 4);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn delivery_gives_up_after_schedule() {
    let failing = Reply {
        status: 503,
        body: "busy",
    };
    let receiver = Receiver::start(vec![failing; 10]).await;
    let sandbox = builder()
        .retry_schedule(RetrySchedule::new([Duration::from_millis(10); 2]))
        .start()
        .await
        .unwrap();
    sandbox
        .set_notification_url(&uid(), receiver.url.clone())
        .unwrap();
    pay(&sandbox, "give-up-1", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;
    assert_eq!(log[0].state, DeliveryState::GaveUp);
    assert_eq!(log[0].attempts.len(), 3);
    assert_eq!(receiver.received().len(), 3);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn unreachable_shop_is_retried() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let sandbox = builder()
        .retry_schedule(RetrySchedule::new([Duration::from_millis(10)]))
        .start()
        .await
        .unwrap();
    let url = url::Url::parse(&format!("http://{address}/notify")).unwrap();
    sandbox.set_notification_url(&uid(), url).unwrap();
    pay(&sandbox, "closed-1", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;
    assert_eq!(log[0].state, DeliveryState::GaveUp);
    assert_eq!(log[0].attempts.len(), 2);
    assert!(
        matches!(&log[0].attempts[0].result, AttemptResult::Failed { .. }),
        "{:?}",
        log[0].attempts[0]
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn notification_url_can_be_set_after_start() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = builder()
        .retry_schedule(RetrySchedule::new([Duration::from_millis(100); 20]))
        .start()
        .await
        .unwrap();
    pay(&sandbox, "late-url-1", 1_500).await;
    sandbox
        .wait_for_deliveries(WAIT, |log| {
            log.first()
                .is_some_and(|delivery| !delivery.attempts.is_empty())
        })
        .await
        .unwrap();
    sandbox
        .set_notification_url(&uid(), receiver.url.clone())
        .unwrap();
    let log = wait_settled(&sandbox, 1).await;
    assert_eq!(log[0].state, DeliveryState::Delivered);
    assert_eq!(log[0].attempts[0].result, AttemptResult::NoNotificationUrl);
    assert_eq!(log[0].attempts[0].url, None);
    assert_eq!(
        log[0].attempts.last().unwrap().url.as_ref(),
        Some(&receiver.url)
    );
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn duplicate_fault_delivers_twice() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    sandbox
        .set_faults(&uid(), Faults::none().duplicate(true))
        .unwrap();
    pay(&sandbox, "dup-1", 1_500).await;
    let log = wait_settled(&sandbox, 2).await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|delivery| delivery.state == DeliveryState::Delivered)
    );
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn delay_fault_lets_later_notification_overtake() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    sandbox
        .set_faults(&uid(), Faults::none().delay(Duration::from_secs(2)))
        .unwrap();
    pay(&sandbox, "slow-1", 1_000).await;
    // Faults are read when a notification is queued, so the next payment's
    // notification goes out at once.
    sandbox.set_faults(&uid(), Faults::none()).unwrap();
    pay(&sandbox, "fast-1", 2_000).await;
    wait_settled(&sandbox, 2).await;
    let orders: Vec<String> = receiver
        .received()
        .into_iter()
        .map(|received| received.verified.unwrap().order_id.to_string())
        .collect();
    assert_eq!(orders, ["fast-1", "slow-1"]);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn out_of_order_fault_sends_newest_first() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    sandbox
        .set_faults(&uid(), Faults::none().out_of_order(true))
        .unwrap();
    let form = init(&client(&sandbox), &request("ooo-1", 1_500, rich())).await;
    open_form(&form).await;
    assert!(
        sandbox.deliveries().is_empty(),
        "FORM_SHOWED is held until the payment is final"
    );
    let code = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;
    submit_code(&form, &code).await;
    wait_settled(&sandbox, 2).await;
    assert_eq!(receiver.statuses(), ["CONFIRMED", "FORM_SHOWED"]);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn drop_fault_sends_nothing() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    sandbox
        .set_faults(&uid(), Faults::none().drop(true))
        .unwrap();
    pay(&sandbox, "drop-1", 1_000).await;
    sandbox.set_faults(&uid(), Faults::none()).unwrap();
    pay(&sandbox, "kept-1", 2_000).await;
    let log = wait_settled(&sandbox, 2).await;

    assert_eq!(log[0].state, DeliveryState::Dropped);
    assert!(log[0].attempts.is_empty());
    assert_eq!(log[1].state, DeliveryState::Delivered);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].verified.clone().unwrap().order_id,
        order("kept-1")
    );
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn wrong_secret_first_attempt_then_correct_retry() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    sandbox
        .set_faults(
            &uid(),
            Faults::none().wrong_secret(WrongSecret::FirstAttempt),
        )
        .unwrap();
    pay(&sandbox, "bad-sig-1", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;

    let attempts = &log[0].attempts;
    assert_eq!(attempts.len(), 2);
    assert!(attempts[0].wrong_secret);
    assert!(matches!(
        attempts[0].result,
        AttemptResult::Rejected {
            http_status: 400,
            ..
        }
    ));
    assert!(!attempts[1].wrong_secret);
    assert_eq!(attempts[1].result, AttemptResult::Accepted);

    let received = receiver.received();
    assert!(received[0].verified.is_err(), "{:?}", received[0]);
    assert_eq!(
        received[1].verified.clone().unwrap().status,
        PaymentStatus::Confirmed
    );
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn wrong_secret_always_is_never_accepted() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start_with(&receiver).await;
    sandbox
        .set_faults(&uid(), Faults::none().wrong_secret(WrongSecret::Always))
        .unwrap();
    pay(&sandbox, "bad-sig-2", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;
    assert_eq!(log[0].state, DeliveryState::GaveUp);
    assert_eq!(log[0].attempts.len(), 5);
    assert!(log[0].attempts.iter().all(|attempt| attempt.wrong_secret));
    assert!(
        receiver
            .received()
            .iter()
            .all(|received| received.verified.is_err())
    );
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn faults_are_set_over_http() {
    let sandbox = start().await;
    let url = sandbox.faults_url(&uid());
    let response = http()
        .put(url.clone())
        .header("content-type", "application/json")
        .body(r#"{"duplicate":true,"delay_ms":250,"wrong_secret":"first_attempt"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let expected = Faults::none()
        .duplicate(true)
        .delay(Duration::from_millis(250))
        .wrong_secret(WrongSecret::FirstAttempt);
    assert_eq!(sandbox.faults(&uid()).unwrap(), expected);

    let current = json(http().get(url.clone()).send().await.unwrap()).await;
    assert_eq!(current["duplicate"], true);
    assert_eq!(current["delay_ms"], 250);
    assert_eq!(current["out_of_order"], false);

    let misspelt = http()
        .put(url)
        .header("content-type", "application/json")
        .body(r#"{"dupliate":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(misspelt.status(), 400);
    assert_eq!(sandbox.faults(&uid()).unwrap(), expected);

    let unknown = kupikupi::UidPlatform::new("nobody").unwrap();
    let missing = http()
        .get(sandbox.faults_url(&unknown))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(sandbox.set_faults(&unknown, Faults::none()).is_err());
    sandbox.stop().await;
}

#[tokio::test]
async fn notification_url_is_set_over_http() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = start().await;
    let url = sandbox
        .base_url()
        .join("sandbox/platforms/shop-1/notification-url")
        .unwrap();
    let response = http()
        .put(url.clone())
        .header("content-type", "application/json")
        .body(format!(r#"{{"url":"{}"}}"#, receiver.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let current = json(http().get(url.clone()).send().await.unwrap()).await;
    assert_eq!(current["url"], receiver.url.as_str());

    let ftp = http()
        .put(url)
        .header("content-type", "application/json")
        .body(r#"{"url":"ftp://127.0.0.1/"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(ftp.status(), 400);

    pay(&sandbox, "http-url-1", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;
    assert_eq!(log[0].state, DeliveryState::Delivered);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn delivery_log_page_and_json_list_attempts() {
    let receiver = Receiver::start(vec![Reply {
        status: 500,
        body: "<oops>",
    }])
    .await;
    let sandbox = start_with(&receiver).await;
    let form = pay(&sandbox, "log-1", 1_500).await;
    let log = wait_settled(&sandbox, 1).await;

    let listed = json(
        http()
            .get(sandbox.deliveries_json_url())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed, serde_json::to_value(&log).unwrap());
    assert_eq!(listed[0]["payment_id"], form.payment.payment_id.as_str());
    assert_eq!(listed[0]["state"], "delivered");
    assert_eq!(listed[0]["attempts"][0]["result"]["kind"], "rejected");
    assert_eq!(listed[0]["attempts"][1]["result"]["kind"], "accepted");

    let html = http()
        .get(sandbox.deliveries_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(form.payment.payment_id.as_str()), "{html}");
    assert!(html.contains("delivered"), "{html}");
    assert!(html.contains("HTTP 500"), "{html}");
    assert!(!html.contains("<oops>"), "{html}");
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn stop_ends_pending_deliveries() {
    let receiver = Receiver::start(vec![
        Reply {
            status: 500,
            body: "down"
        };
        3
    ])
    .await;
    let sandbox = builder()
        .retry_schedule(RetrySchedule::new([Duration::from_secs(3600)]))
        .start()
        .await
        .unwrap();
    sandbox
        .set_notification_url(&uid(), receiver.url.clone())
        .unwrap();
    pay(&sandbox, "stop-1", 1_500).await;
    sandbox
        .wait_for_deliveries(WAIT, |log| {
            log.first()
                .is_some_and(|delivery| !delivery.attempts.is_empty())
        })
        .await
        .unwrap();
    // The retry waits an hour; stopping must not wait for it.
    tokio::time::timeout(WAIT, sandbox.stop()).await.unwrap();
    assert_eq!(sandbox.deliveries()[0].state, DeliveryState::Pending);
    let refused = client(&sandbox).balance(&rich()).await;
    assert!(refused.is_err(), "the API must be gone after stop");
    receiver.stop().await;
}
