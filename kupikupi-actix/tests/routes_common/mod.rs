//! Helpers shared by the route tests: an order type, an in-memory order
//! store as a merchant would write one (with call counters), a shop server
//! on 127.0.0.1, and signed notifications.

// Test support: a failed setup step should stop the test on the spot.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer};
use kupikupi::retry::RetryPolicy;
use kupikupi::{
    Client, Kopecks, KupiKupi, KupiKupiOrder, OrderError, PaymentId, PaymentMethod, PaymentStatus,
    Phone, SecretKey, UidPlatform,
};
use kupikupi_actix::sandbox::{RetrySchedule, Sandbox, SandboxBuilder};
use kupikupi_actix::{
    EventKind, KupiKupiRoutes, LoadedOrder, OrderStore, PaymentEvent, RecordOutcome,
    RecordedPayment, async_trait,
};
use url::Url;

pub const UID: &str = "routes-shop";
pub const SECRET: &str = "routes-shop-secret";
pub const PREFIX: &str = "t-";
/// A customer with 1,000.00 ₽ of points.
pub const RICH: &str = "79001234567";
pub const RICH_BALANCE: u64 = 100_000;
/// A customer with 5.00 ₽ of points.
pub const POOR: &str = "79007654321";
pub const POOR_BALANCE: u64 = 500;

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

/// The shop's order type, with the trait implemented by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOrder {
    pub id: u64,
    pub amount: u64,
    pub phone: Option<String>,
}

impl KupiKupiOrder for TestOrder {
    type Id = u64;
    const ID_PREFIX: &'static str = PREFIX;
    const SUCCESS_URL: Option<&'static str> = Some("/orders/{id}/paid");
    const FAIL_URL: Option<&'static str> = Some("/orders/{id}/failed");

    fn id(&self) -> &u64 {
        &self.id
    }

    fn amount(&self) -> Result<Kopecks, OrderError> {
        if self.amount == 0 {
            return Err(OrderError::NonPositiveAmount("0".into()));
        }
        Ok(Kopecks::new(self.amount))
    }

    fn phone(&self) -> Result<Option<Phone>, OrderError> {
        self.phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .map_err(OrderError::from)
    }

    fn description(&self) -> Option<String> {
        Some(format!("Order {}", self.id))
    }
}

/// The store's error.
#[derive(Debug)]
pub struct StoreDown;

impl fmt::Display for StoreDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the test database is down")
    }
}

impl std::error::Error for StoreDown {}

#[derive(Debug, Clone)]
pub struct Row {
    pub order: TestOrder,
    pub payment: Option<RecordedPayment>,
    /// How many times a `Paid` event was applied to this order.
    pub paid_times: u32,
}

/// An in-memory order store that keeps the `OrderStore` contract with a
/// compare-and-set, counts its calls and can be told to fail.
#[derive(Debug, Default)]
pub struct MemoryStore {
    rows: Mutex<HashMap<u64, Row>>,
    /// Every event `record` accepted, in order.
    events: Mutex<Vec<PaymentEvent>>,
    loads: AtomicUsize,
    record_calls: AtomicUsize,
    /// The next this many `record` calls fail.
    failing_records: AtomicUsize,
    /// The next this many `load` calls fail.
    failing_loads: AtomicUsize,
}

impl MemoryStore {
    pub fn new() -> Arc<MemoryStore> {
        Arc::new(MemoryStore::default())
    }

    pub fn add(&self, id: u64, amount: u64, phone: Option<&str>) {
        let order = TestOrder {
            id,
            amount,
            phone: phone.map(str::to_owned),
        };
        self.rows.lock().unwrap().insert(
            id,
            Row {
                order,
                payment: None,
                paid_times: 0,
            },
        );
    }

    /// Adds an order whose checkout already recorded the payment `Init`
    /// started, as the checkout route does, so that notifications for that
    /// payment are recognised without asking the service.
    pub fn add_started(&self, id: u64, amount: u64, phone: Option<&str>, payment_id: &str) {
        self.add(id, amount, phone);
        let payment = RecordedPayment::new(PaymentId::new(payment_id).unwrap(), PaymentStatus::New);
        self.rows.lock().unwrap().get_mut(&id).unwrap().payment = Some(payment);
    }

    pub fn row(&self, id: u64) -> Row {
        self.rows.lock().unwrap()[&id].clone()
    }

    pub fn status(&self, id: u64) -> Option<PaymentStatus> {
        self.row(id).payment.map(|payment| payment.status)
    }

    pub fn is_paid(&self, id: u64) -> bool {
        self.status(id).is_some_and(|status| status.is_paid())
    }

    pub fn events(&self) -> Vec<PaymentEvent> {
        self.events.lock().unwrap().clone()
    }

    pub fn events_of(&self, kind: EventKind) -> usize {
        self.events()
            .iter()
            .filter(|event| event.kind == kind)
            .count()
    }

    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    pub fn record_calls(&self) -> usize {
        self.record_calls.load(Ordering::SeqCst)
    }

    /// All calls to the store.
    pub fn calls(&self) -> usize {
        self.loads() + self.record_calls()
    }

    pub fn fail_records(&self, count: usize) {
        self.failing_records.store(count, Ordering::SeqCst);
    }

    pub fn fail_loads(&self, count: usize) {
        self.failing_loads.store(count, Ordering::SeqCst);
    }

    fn take_failure(counter: &AtomicUsize) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    type Order = TestOrder;
    type Error = StoreDown;

    async fn load(&self, id: &u64) -> Result<Option<LoadedOrder<TestOrder>>, StoreDown> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        if Self::take_failure(&self.failing_loads) {
            return Err(StoreDown);
        }
        let rows = self.rows.lock().unwrap();
        Ok(rows
            .get(id)
            .map(|row| LoadedOrder::new(row.order.clone(), row.payment.clone())))
    }

    async fn record(&self, id: &u64, event: &PaymentEvent) -> Result<RecordOutcome, StoreDown> {
        self.record_calls.fetch_add(1, Ordering::SeqCst);
        if Self::take_failure(&self.failing_records) {
            return Err(StoreDown);
        }
        let mut rows = self.rows.lock().unwrap();
        let Some(row) = rows.get_mut(id) else {
            return Ok(RecordOutcome::Outdated);
        };
        if let Some(new_payment) = event.new_payment() {
            if row.payment != event.expected {
                return Ok(RecordOutcome::Outdated);
            }
            row.payment = Some(new_payment);
            if event.is_paid() {
                row.paid_times += 1;
            }
        }
        self.events.lock().unwrap().push(event.clone());
        Ok(RecordOutcome::Recorded)
    }
}

/// A sandbox with the test platform and two customers.
pub fn sandbox_builder() -> SandboxBuilder {
    Sandbox::builder()
        .platform(uid(), secret())
        .customer(rich(), Kopecks::new(RICH_BALANCE))
        .customer(poor(), Kopecks::new(POOR_BALANCE))
        .retry_schedule(RetrySchedule::new([Duration::from_millis(20); 4]))
        .delivery_timeout(Duration::from_secs(5))
}

/// The payment method for a service at `base_url`, without retries so that
/// each call is one request.
pub fn method_at(base_url: &str) -> Arc<dyn PaymentMethod> {
    let client = Client::builder(uid(), secret(), base_url)
        .retry(RetryPolicy::never())
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    Arc::new(KupiKupi::new(client))
}

/// A payment method whose service is a closed port on 127.0.0.1.
pub fn method_unreachable() -> Arc<dyn PaymentMethod> {
    method_at(&format!("http://127.0.0.1:{}/", closed_port()))
}

/// A port nothing listens on: bound once, then released.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    listener.local_addr().unwrap().port()
}

/// A running shop with the KupiKupi routes mounted.
pub struct Shop {
    /// The shop's root, such as `http://127.0.0.1:41234/`.
    pub base: Url,
    pub store: Arc<MemoryStore>,
    handle: ServerHandle,
}

impl Shop {
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).unwrap()
    }

    pub fn notifications(&self) -> Url {
        self.url("/kupikupi/notifications")
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// Starts a shop with the default prefix whose public base URL is its own
/// address.
pub async fn shop(method: Arc<dyn PaymentMethod>, store: Arc<MemoryStore>) -> Shop {
    shop_with(method, store, |routes| routes).await
}

/// Starts a shop, letting the test adjust the routes first.
pub async fn shop_with(
    method: Arc<dyn PaymentMethod>,
    store: Arc<MemoryStore>,
    adjust: impl FnOnce(KupiKupiRoutes<Arc<MemoryStore>>) -> KupiKupiRoutes<Arc<MemoryStore>>,
) -> Shop {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let base = Url::parse(&format!("http://{address}/")).unwrap();
    let routes = KupiKupiRoutes::new(method, Arc::clone(&store))
        .public_base_url(base.as_str())
        .unwrap();
    let routes = adjust(routes);
    let server = HttpServer::new(move || App::new().service(routes.finish()))
        .workers(2)
        // Debug builds under a hundred parallel connections can take longer
        // than the default 5 seconds to read a request head.
        .client_request_timeout(Duration::from_secs(60))
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    Shop {
        base,
        store,
        handle,
    }
}

/// A plain HTTP client that does not follow redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A notification body for an order, signed with the test secret.
pub fn notification(id: u64, payment_id: &str, amount: u64, status: &str) -> String {
    kupikupi::token::sign_json(&unsigned(id, payment_id, amount, status), &secret()).unwrap()
}

/// The same notification without a Token.
pub fn unsigned(id: u64, payment_id: &str, amount: u64, status: &str) -> String {
    let success = status != "REJECTED" && status != "CANCELED" && status != "DEADLINE_EXPIRED";
    format!(
        r#"{{"UidPlatform":"{UID}","OrderId":"{PREFIX}{id}","PaymentId":"{payment_id}","Amount":{amount},"Phone":{RICH},"Status":"{status}","Success":{success},"ErrorCode":"0"}}"#
    )
}

/// Posts a JSON body to the notification route; returns status and body.
pub async fn deliver(shop: &Shop, body: impl Into<Vec<u8>>) -> (u16, String) {
    let response = http()
        .post(shop.notifications())
        .header("content-type", "application/json")
        .body(body.into())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The `Location` header of a response.
pub fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
}

/// Posts the checkout form of an order.
pub async fn checkout(shop: &Shop, id: &str, form: &str) -> reqwest::Response {
    http()
        .post(shop.url(&format!("/kupikupi/checkout/{id}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

/// Whether a `Location` value would take a browser off the shop and off
/// the service: anything absolute (or protocol-relative) on another host.
pub fn is_off_site(location: &str, allowed: &[&Url]) -> bool {
    let shop_relative =
        location.starts_with('/') && !location.starts_with("//") && !location.starts_with("/\\");
    if shop_relative {
        return false;
    }
    let Ok(target) = allowed[0].join(location) else {
        return true;
    };
    !allowed.iter().any(|url| url.origin() == target.origin())
}

/// A sandbox service and a shop that uses it, with the sandbox delivering
/// notifications to the shop.
pub struct Setup {
    pub sandbox: kupikupi_actix::sandbox::SandboxHandle,
    pub shop: Shop,
}

impl Setup {
    pub async fn start(store: Arc<MemoryStore>) -> Setup {
        Setup::start_with(sandbox_builder(), store).await
    }

    pub async fn start_with(builder: SandboxBuilder, store: Arc<MemoryStore>) -> Setup {
        let sandbox = builder.start().await.unwrap();
        let shop = shop(method_at(sandbox.base_url().as_str()), store).await;
        sandbox
            .set_notification_url(&uid(), shop.notifications())
            .unwrap();
        Setup { sandbox, shop }
    }

    /// Drops every notification from now on.
    pub fn drop_notifications(&self) {
        self.sandbox
            .set_faults(&uid(), kupikupi_actix::sandbox::Faults::none().drop(true))
            .unwrap();
    }

    /// The payments the sandbox holds for a customer and are still open.
    pub fn open_payments(&self, phone: &Phone) -> usize {
        self.sandbox.pending_codes(phone).len()
    }

    /// Posts the transfer code of the customer's one open payment to its
    /// form, after opening the form; returns the form's reply.
    pub async fn confirm(&self, form_url: &str, phone: &Phone) -> reqwest::Response {
        let opened = http().get(form_url).send().await.unwrap();
        assert_eq!(opened.status(), 200);
        let pending = self.sandbox.pending_codes(phone);
        assert_eq!(pending.len(), 1, "open payments of the customer");
        http()
            .post(form_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("code={}", pending[0].code))
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(&self) {
        self.shop.stop().await;
        self.sandbox.stop().await;
    }
}

/// Waits up to 20 seconds for something the sandbox does in the background.
pub async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the condition did not hold within 20 seconds");
}
