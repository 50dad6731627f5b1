//! The sandbox's payment form and account pages over real HTTP: the right
//! code, three wrong codes, too few points, Cancel, the deadline, redirects
//! and escaping.

#![cfg(feature = "sandbox")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sandbox_common;

use std::time::Duration;

use kupikupi::{Kopecks, PaymentStatus};
use kupikupi_actix::sandbox::{DeliveryState, SandboxPlatform};
use sandbox_common::*;
use url::Url;

const SUCCESS: &str = "http://127.0.0.1:9/orders/1?paid";
const FAIL: &str = "http://127.0.0.1:9/orders/1?failed";

fn with_urls(order_id: &str, amount: u64, phone: kupikupi::Phone) -> kupikupi::InitRequest {
    request(order_id, amount, phone)
        .success_url(Url::parse(SUCCESS).unwrap())
        .fail_url(Url::parse(FAIL).unwrap())
}

#[tokio::test]
async fn form_shows_shop_amount_and_masked_phone() {
    let sandbox = builder()
        .add_platform(
            SandboxPlatform::new(
                kupikupi::UidPlatform::new("named").unwrap(),
                kupikupi::SecretKey::new("named-secret").unwrap(),
            )
            .shop_name("Corner shop"),
        )
        .start()
        .await
        .unwrap();
    let client = kupikupi::Client::builder(
        kupikupi::UidPlatform::new("named").unwrap(),
        kupikupi::SecretKey::new("named-secret").unwrap(),
        sandbox.base_url().as_str(),
    )
    .build()
    .unwrap();
    let form = init(
        &client,
        &request("show-1", 97_250, rich()).description("Two teapots"),
    )
    .await;
    let html = open_form(&form).await;
    assert!(html.contains("Corner shop"), "{html}");
    assert!(html.contains("Two teapots"), "{html}");
    assert!(html.contains("972.50 ₽"), "{html}");
    assert!(html.contains("+7 900 ***-**-67"), "{html}");
    assert!(
        !html.contains(RICH),
        "the full phone must not appear: {html}"
    );
    assert!(html.contains("name=\"code\""), "{html}");
    assert!(html.contains("/cancel\""), "{html}");
    assert!(
        !html.contains("<script"),
        "the form needs no JavaScript: {html}"
    );
    let payment = sandbox.payment(&form.payment.payment_id).unwrap();
    assert_eq!(payment.status, PaymentStatus::FormShowed);
    sandbox.stop().await;
}

#[tokio::test]
async fn right_code_moves_points_and_redirects_to_success() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let form = init(&client, &with_urls("ok-1", 1_500, rich())).await;
    open_form(&form).await;
    let code = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;

    let response = submit_code(&form, &code).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response).as_deref(), Some(SUCCESS));

    assert_eq!(
        sandbox.balance(&rich()),
        Some(Kopecks::new(RICH_BALANCE - 1_500))
    );
    assert_eq!(sandbox.received_points(&uid()), Some(Kopecks::new(1_500)));
    let payment = client
        .check_out(&order("ok-1"), Kopecks::new(1_500))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Confirmed);
    assert!(sandbox.pending_codes(&rich()).is_empty());

    // Submitting again moves nothing and sends the customer back again.
    let again = submit_code(&form, &code).await;
    assert_eq!(location(&again).as_deref(), Some(SUCCESS));
    assert_eq!(
        sandbox.balance(&rich()),
        Some(Kopecks::new(RICH_BALANCE - 1_500))
    );
    let reopened = http().get(form.url.clone()).send().await.unwrap();
    assert_eq!(location(&reopened).as_deref(), Some(SUCCESS));
    sandbox.stop().await;
}

#[tokio::test]
async fn three_wrong_codes_reject() {
    let sandbox = start().await;
    let form = init(&client(&sandbox), &with_urls("wrong-1", 1_500, rich())).await;
    let right = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };

    let first = submit_code(&form, wrong).await;
    assert_eq!(first.status(), 200);
    assert!(first.text().await.unwrap().contains("2 tries left"));
    let second = submit_code(&form, wrong).await;
    assert!(second.text().await.unwrap().contains("1 try left"));
    let third = submit_code(&form, wrong).await;
    assert_eq!(third.status(), 303);
    assert_eq!(location(&third).as_deref(), Some(FAIL));

    let payment = sandbox.payment(&form.payment.payment_id).unwrap();
    assert_eq!(payment.status, PaymentStatus::Rejected);
    assert_eq!(payment.wrong_codes, 3);
    // The right code no longer helps.
    let late = submit_code(&form, &right).await;
    assert_eq!(location(&late).as_deref(), Some(FAIL));
    assert_eq!(sandbox.balance(&rich()), Some(Kopecks::new(RICH_BALANCE)));
    sandbox.stop().await;
}

#[tokio::test]
async fn too_few_points_at_transfer_rejects() {
    let sandbox = start().await;
    let client = client(&sandbox);
    // Both payments fit the balance when they start, but not together.
    let first = init(&client, &with_urls("few-1", 300, poor())).await;
    let second = init(&client, &with_urls("few-2", 300, poor())).await;
    let first_code = code_for(&sandbox, &poor(), first.payment.payment_id.as_str()).await;
    let second_code = code_for(&sandbox, &poor(), second.payment.payment_id.as_str()).await;

    let paid = submit_code(&first, &first_code).await;
    assert_eq!(location(&paid).as_deref(), Some(SUCCESS));
    let short = submit_code(&second, &second_code).await;
    assert_eq!(short.status(), 303);
    assert_eq!(location(&short).as_deref(), Some(FAIL));

    let payment = sandbox.payment(&second.payment.payment_id).unwrap();
    assert_eq!(payment.status, PaymentStatus::Rejected);
    assert_eq!(
        sandbox.balance(&poor()),
        Some(Kopecks::new(POOR_BALANCE - 300))
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn cancel_sets_canceled() {
    let sandbox = start().await;
    let form = init(&client(&sandbox), &with_urls("cancel-1", 1_500, rich())).await;
    open_form(&form).await;

    let response = cancel(&form).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response).as_deref(), Some(FAIL));
    let payment = sandbox.payment(&form.payment.payment_id).unwrap();
    assert_eq!(payment.status, PaymentStatus::Canceled);
    assert!(sandbox.pending_codes(&rich()).is_empty());

    // Cancel after the end changes nothing.
    let again = cancel(&form).await;
    assert_eq!(location(&again).as_deref(), Some(FAIL));
    assert_eq!(
        sandbox.payment(&form.payment.payment_id).unwrap().status,
        PaymentStatus::Canceled
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn unfinished_form_expires() {
    let receiver = Receiver::start(Vec::new()).await;
    let sandbox = builder()
        // Long enough to read the code before the payment expires, even on a
        // loaded machine.
        .deadline(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    sandbox
        .set_notification_url(&uid(), receiver.url.clone())
        .unwrap();
    let form = init(&client(&sandbox), &with_urls("late-1", 1_500, rich())).await;
    let code = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;

    // The timer expires the payment and notifies the shop without anyone
    // looking at it.
    sandbox
        .wait_for_deliveries(WAIT, |log| {
            log.iter().any(|delivery| {
                delivery.status == PaymentStatus::DeadlineExpired
                    && delivery.state == DeliveryState::Delivered
            })
        })
        .await
        .unwrap();
    assert_eq!(receiver.statuses(), ["DEADLINE_EXPIRED"]);

    let response = submit_code(&form, &code).await;
    assert_eq!(location(&response).as_deref(), Some(FAIL));
    assert_eq!(sandbox.balance(&rich()), Some(Kopecks::new(RICH_BALANCE)));
    let status = client(&sandbox)
        .check_out(&order("late-1"), Kopecks::new(1_500))
        .await
        .unwrap()
        .status;
    assert_eq!(status, PaymentStatus::DeadlineExpired);
    sandbox.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn final_form_without_urls_shows_result() {
    let sandbox = start().await;
    let form = init(&client(&sandbox), &request("plain-1", 1_500, rich())).await;
    let code = code_for(&sandbox, &rich(), form.payment.payment_id.as_str()).await;
    let response = submit_code(&form, &code).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("confirmed"), "{html}");
    assert!(html.contains("CONFIRMED"), "{html}");
    sandbox.stop().await;
}

#[tokio::test]
async fn query_cannot_choose_redirect() {
    let sandbox = start().await;
    let form = init(&client(&sandbox), &with_urls("query-1", 1_500, rich())).await;
    let mut url = form.url.clone();
    url.set_query(Some(
        "SuccessURL=http://evil.example/&FailURL=http://evil.example/",
    ));
    let response = http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("code=nope&SuccessURL=http%3A%2F%2Fevil.example%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut cancel_url = Url::parse(&format!("{}/cancel", form.url)).unwrap();
    cancel_url.set_query(Some("FailURL=http://evil.example/"));
    let cancelled = http()
        .post(cancel_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("FailURL=http%3A%2F%2Fevil.example%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&cancelled).as_deref(), Some(FAIL));
    sandbox.stop().await;
}

#[tokio::test]
async fn pages_escape_what_they_print() {
    let sandbox = builder()
        .add_platform(
            SandboxPlatform::new(
                kupikupi::UidPlatform::new("x<b>").unwrap(),
                kupikupi::SecretKey::new("s").unwrap(),
            )
            .shop_name("<img src=x onerror=alert(1)>&co"),
        )
        .start()
        .await
        .unwrap();
    let client = kupikupi::Client::builder(
        kupikupi::UidPlatform::new("x<b>").unwrap(),
        kupikupi::SecretKey::new("s").unwrap(),
        sandbox.base_url().as_str(),
    )
    .build()
    .unwrap();
    let request = request("esc-1", 100, rich()).description("<script>alert(\"hi\")</script>");
    let form = init(&client, &request).await;
    let html = open_form(&form).await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;&amp;co"),
        "{html}"
    );

    let account = http()
        .get(sandbox.account_url(&rich()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("x&lt;b&gt;"), "{account}");
    assert!(!account.contains("x<b>"), "{account}");
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_form_is_not_found() {
    let sandbox = start().await;
    let url = sandbox.base_url().join("pay/0123456789abcdef").unwrap();
    let response = http().get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let posted = http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("code=123456")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 404);
    sandbox.stop().await;
}

#[tokio::test]
async fn account_page_and_json_show_balance_and_codes() {
    let sandbox = start().await;
    let form = init(&client(&sandbox), &request("acct-1", 2_000, rich())).await;
    let pending = sandbox.pending_codes(&rich());
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].payment_id, form.payment.payment_id);
    assert_eq!(pending[0].amount, Kopecks::new(2_000));
    assert_eq!(pending[0].code.len(), 6);
    assert!(pending[0].code.chars().all(|digit| digit.is_ascii_digit()));

    let html = http()
        .get(sandbox.account_url(&rich()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&pending[0].code), "{html}");
    assert!(html.contains("1000.00 ₽"), "{html}");

    let response = http()
        .get(sandbox.account_json_url(&rich()))
        .send()
        .await
        .unwrap();
    let account = json(response).await;
    assert_eq!(account["balance"], RICH_BALANCE);
    assert_eq!(account["phone"], 79001234567_u64);
    assert_eq!(account["pending"][0]["code"], pending[0].code.as_str());
    assert_eq!(account["pending"][0]["status"], "NEW");

    let unknown = http()
        .get(sandbox.account_json_url(&kupikupi::Phone::parse("79990000000").unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    sandbox.stop().await;
}
