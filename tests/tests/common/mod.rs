//! Helpers shared by the end-to-end tests: the example shop and a sandbox,
//! both in-process on ephemeral ports on 127.0.0.1, a temporary database,
//! and an HTTP client that walks a customer through a payment.

#![allow(dead_code, unreachable_pub)]
// Test helpers fail the test on any error, as the tests themselves do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::time::Duration;

use kupikupi::{Kopecks, Phone, SecretKey, UidPlatform};
use kupikupi_actix::sandbox::{
    Delivery, DeliveryState, Faults, RetrySchedule, Sandbox, SandboxHandle, SandboxPlatform,
};
use kupikupi_examples::{ServiceConfig, ShopConfig, ShopHandle, StoredOrder, start};
use tempfile::TempDir;
use url::Url;

pub const UID: &str = "e2e-shop";
pub const SECRET: &str = "e2e-shop-secret";
/// A customer with 5,000.00 ₽ of points.
pub const RICH: &str = "79001234567";
pub const RICH_BALANCE: u64 = 500_000;
/// A customer with 50.00 ₽ of points.
pub const POOR: &str = "79007654321";
pub const POOR_BALANCE: u64 = 5_000;
/// The coffee's price in the shop's catalogue, 972.00 ₽.
pub const COFFEE: u64 = 97_200;

/// How long a test waits for something that happens in the background.
pub const WAIT: Duration = Duration::from_secs(30);

pub fn uid() -> UidPlatform {
    UidPlatform::new(UID).unwrap()
}

pub fn secret() -> SecretKey {
    SecretKey::new(SECRET).unwrap()
}

pub fn rich() -> Phone {
    Phone::parse(RICH).unwrap()
}

pub fn poor() -> Phone {
    Phone::parse(POOR).unwrap()
}

/// How the sandbox of a test is set up.
#[derive(Debug, Clone)]
pub struct Setup {
    pub deadline: Duration,
    pub retry: RetrySchedule,
    pub faults: Faults,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            deadline: Duration::from_secs(600),
            retry: RetrySchedule::new([Duration::from_millis(50); 5]),
            faults: Faults::none(),
        }
    }
}

/// A sandbox and the example shop talking to it.
pub struct World {
    pub sandbox: SandboxHandle,
    pub shop: ShopHandle,
    pub http: reqwest::Client,
    dir: TempDir,
}

impl World {
    pub async fn start(setup: Setup) -> World {
        let sandbox = Sandbox::builder()
            .add_platform(
                SandboxPlatform::new(uid(), secret())
                    .shop_name("Corner Coffee")
                    .faults(setup.faults),
            )
            .customer(rich(), Kopecks::new(RICH_BALANCE))
            .customer(poor(), Kopecks::new(POOR_BALANCE))
            .deadline(setup.deadline)
            .retry_schedule(setup.retry)
            .delivery_timeout(Duration::from_secs(5))
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let shop = start_shop(&sandbox, &dir, 0).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        World {
            sandbox,
            shop,
            http,
            dir,
        }
    }

    /// Stops the shop and starts a new one on the same port and database.
    pub async fn restart_shop(&mut self) {
        self.stop_shop().await;
        self.start_shop_again().await;
    }

    pub async fn stop_shop(&self) {
        self.shop.stop().await;
    }

    /// Starts the shop again on its old port and database.
    pub async fn start_shop_again(&mut self) {
        let port = self.shop.address().port();
        self.shop = start_shop(&self.sandbox, &self.dir, port).await;
    }

    /// Starts one more shop instance on an ephemeral port that shares the
    /// database file; the sandbox keeps notifying the first one.
    pub async fn second_shop(&self) -> ShopHandle {
        start(shop_config(&self.sandbox, &self.dir, 0))
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> Url {
        Url::parse(self.shop.url()).unwrap().join(path).unwrap()
    }

    /// Orders a product as `phone` and returns the order number.
    pub async fn create_order(&self, sku: &str, phone: &str) -> i64 {
        let response = self
            .http
            .post(self.url("/orders"))
            .form(&[("sku", sku), ("phone", phone)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "creating an order");
        let location = location(&response);
        location
            .strip_prefix("/orders/")
            .unwrap_or_else(|| panic!("unexpected order location {location}"))
            .parse()
            .unwrap()
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// The order page's HTML.
    pub async fn order_page(&self, id: i64) -> String {
        let response = self.get(self.url(&format!("/orders/{id}")).as_str()).await;
        assert_eq!(response.status(), 200, "order page of {id}");
        response.text().await.unwrap()
    }

    /// Presses the pay button: posts to the checkout route.
    pub async fn checkout(&self, id: i64) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/kupikupi/checkout/{id}")))
            .send()
            .await
            .unwrap()
    }

    /// Presses the pay button and returns the payment form's URL.
    pub async fn start_payment(&self, id: i64) -> Url {
        let response = self.checkout(id).await;
        assert_eq!(response.status(), 303, "checkout of order {id}");
        let form = Url::parse(&location(&response)).unwrap();
        assert_eq!(
            form.origin(),
            self.sandbox.base_url().origin(),
            "the checkout must redirect to the sandbox's form"
        );
        form
    }

    /// Opens the payment form and returns its HTML.
    pub async fn open_form(&self, form: &Url) -> String {
        let response = self.get(form.as_str()).await;
        assert_eq!(response.status(), 200, "payment form");
        response.text().await.unwrap()
    }

    /// Reads the transfer code of an order from the account JSON page.
    pub async fn code(&self, phone: &Phone, id: i64) -> String {
        let url = self.sandbox.account_json_url(phone);
        let account: serde_json::Value = self.get(url.as_str()).await.json().await.unwrap();
        let order_id = format!("shop-{id}");
        let pending = account["pending"].as_array().unwrap();
        let entry = pending
            .iter()
            .find(|entry| entry["order_id"] == order_id.as_str())
            .unwrap_or_else(|| panic!("no transfer code for {order_id} in {account}"));
        entry["code"].as_str().unwrap().to_owned()
    }

    /// Types a code on the form and presses Pay.
    pub async fn submit_code(&self, form: &Url, code: &str) -> reqwest::Response {
        self.http
            .post(form.clone())
            .form(&[("code", code)])
            .send()
            .await
            .unwrap()
    }

    /// Presses Cancel on the form.
    pub async fn cancel(&self, form: &Url) -> reqwest::Response {
        let url = Url::parse(&format!("{form}/cancel")).unwrap();
        self.http.post(url).send().await.unwrap()
    }

    /// Follows one `303 See Other` and returns the next response.
    pub async fn follow(&self, response: &reqwest::Response) -> reqwest::Response {
        assert_eq!(response.status(), 303, "expected a redirect");
        let next = Url::parse(response.url().as_str())
            .unwrap()
            .join(&location(response))
            .unwrap();
        self.get(next.as_str()).await
    }

    /// Pays an order from the order page to the form's redirect back to
    /// the shop, and returns that redirect without following it.
    pub async fn pay_on_form(&self, id: i64, phone: &Phone) -> reqwest::Response {
        let form = self.start_payment(id).await;
        self.open_form(&form).await;
        let code = self.code(phone, id).await;
        let response = self.submit_code(&form, &code).await;
        assert_eq!(response.status(), 303, "submitting the right code");
        response
    }

    /// The order as the shop's database has it.
    pub async fn stored(&self, id: i64) -> StoredOrder {
        self.shop.db().order(id).await.unwrap().unwrap()
    }

    /// Waits until the stored order satisfies `ready`.
    pub async fn wait_for_order(
        &self,
        id: i64,
        what: &str,
        mut ready: impl FnMut(&StoredOrder) -> bool,
    ) -> StoredOrder {
        let db = self.shop.db().clone();
        wait_for(
            what,
            || {
                let db = db.clone();
                async move { db.order(id).await.unwrap().unwrap() }
            },
            |order| ready(order),
        )
        .await
    }

    /// Waits until no notification is pending and returns the log.
    pub async fn settled_deliveries(&self) -> Vec<Delivery> {
        self.sandbox
            .wait_for_deliveries(WAIT, |log| {
                log.iter()
                    .all(|delivery| delivery.state != DeliveryState::Pending)
            })
            .await
            .unwrap()
    }

    pub fn balance(&self, phone: &Phone) -> Kopecks {
        self.sandbox.balance(phone).unwrap()
    }

    pub async fn stop(self) {
        self.shop.stop().await;
        self.sandbox.stop().await;
    }
}

fn shop_config(sandbox: &SandboxHandle, dir: &TempDir, port: u16) -> ShopConfig {
    let service = ServiceConfig {
        base_url: sandbox.base_url().to_string(),
        uid_platform: uid(),
        secret_key: secret(),
    };
    let mut config = ShopConfig::new(dir.path().join("shop.sqlite3"), service);
    config.port = port;
    config
}

async fn start_shop(sandbox: &SandboxHandle, dir: &TempDir, port: u16) -> ShopHandle {
    let shop = start(shop_config(sandbox, dir, port)).await.unwrap();
    sandbox
        .set_notification_url(&uid(), shop.notification_url().parse().unwrap())
        .unwrap();
    shop
}

/// The `Location` header of a response.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location header; status {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Polls `probe` until `ready` holds for its value, for at most [`WAIT`].
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F, mut ready: impl FnMut(&T) -> bool) -> T
where
    T: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let value = probe().await;
        if ready(&value) {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {WAIT:?} waiting for {what}; last value: {value:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
