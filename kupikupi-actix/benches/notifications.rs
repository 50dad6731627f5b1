//! Load benchmark of the notification route against a bare actix-web
//! handler that only reads the body and replies `OK`.
//!
//! Both servers run on 127.0.0.1 in this process with the same number of
//! workers. One load driver (reqwest, with a fixed number of concurrent
//! requests and a fixed request count per round) drives them in turn. It
//! alternates between the servers in ten slices per round, for several
//! rounds after a warm-up round, and prints requests per second per round
//! and the median ratio of the route to the bare handler.
//!
//! ```text
//! cargo bench -p kupikupi-actix --bench notifications
//! ```
//!
//! Settings, from the environment: `BENCH_REQUESTS` per round (default
//! 60000), `BENCH_CONCURRENCY` (default 64), `BENCH_ROUNDS` (default 7),
//! `BENCH_WORKERS`, the server workers of each server (default 1), and
//! `BENCH_DRIVER_THREADS`, the load driver's threads (default 2). The driver
//! gets more threads than the server so that the server, not the driver,
//! limits the rate; with one driver thread both servers run at the driver's
//! speed and the ratio stays near 1.
//!
//! The notifications are signed `CONFIRMED` reports for 1000 orders of an
//! in-memory store. The warm-up round records each order as paid once;
//! after that every notification is a redelivery, which is verified,
//! mapped to its order, locked, loaded and acknowledged without a write,
//! as most deliveries of a busy shop are.

// A benchmark reports on standard output, computes rates as floats and
// stops on a failed setup step.
#![allow(
    clippy::print_stdout,
    clippy::float_arithmetic,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use kupikupi::{
    Client, Kopecks, KupiKupi, KupiKupiOrder, OrderError, PaymentId, PaymentStatus, Phone,
    SecretKey, UidPlatform,
};
use kupikupi_actix::{
    KupiKupiRoutes, LoadedOrder, OrderStore, PaymentEvent, RecordOutcome, RecordedPayment,
    async_trait,
};
use url::Url;

const UID: &str = "bench-shop";
const SECRET: &str = "bench-shop-secret";
const ORDERS: u64 = 1000;
const AMOUNT: u64 = 4_990;
/// How many alternating slices of each server a round has.
const SLICES: usize = 10;

struct Order {
    id: u64,
}

impl KupiKupiOrder for Order {
    type Id = u64;
    const ID_PREFIX: &'static str = "b-";

    fn id(&self) -> &u64 {
        &self.id
    }

    fn amount(&self) -> Result<Kopecks, OrderError> {
        Ok(Kopecks::new(AMOUNT))
    }

    fn phone(&self) -> Result<Option<Phone>, OrderError> {
        Ok(None)
    }
}

/// The recorded payment of every order, with a compare-and-set.
#[derive(Default)]
struct Store {
    payments: Mutex<HashMap<u64, Option<RecordedPayment>>>,
}

#[async_trait]
impl OrderStore for Store {
    type Order = Order;
    type Error = Infallible;

    async fn load(&self, id: &u64) -> Result<Option<LoadedOrder<Order>>, Infallible> {
        let payments = self.payments.lock().unwrap();
        Ok(payments
            .get(id)
            .map(|payment| LoadedOrder::new(Order { id: *id }, payment.clone())))
    }

    async fn record(&self, id: &u64, event: &PaymentEvent) -> Result<RecordOutcome, Infallible> {
        let mut payments = self.payments.lock().unwrap();
        let Some(payment) = payments.get_mut(id) else {
            return Ok(RecordOutcome::Outdated);
        };
        if let Some(new_payment) = event.new_payment() {
            if *payment != event.expected {
                return Ok(RecordOutcome::Outdated);
            }
            *payment = Some(new_payment);
        }
        Ok(RecordOutcome::Recorded)
    }
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|value| *value > 0)
        .unwrap_or(default)
}

fn listener() -> (TcpListener, Url) {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    (listener, url)
}

async fn bare_handler(body: web::Bytes) -> HttpResponse {
    std::hint::black_box(body);
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("OK")
}

fn start_bare(workers: usize) -> (Url, ServerHandle) {
    let (listener, base) = listener();
    let server =
        HttpServer::new(|| App::new().route("/notifications", web::post().to(bare_handler)))
            .workers(workers)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
    let handle = server.handle();
    tokio::spawn(server);
    (base.join("notifications").unwrap(), handle)
}

fn start_routes(workers: usize) -> (Url, ServerHandle) {
    let store = Store::default();
    {
        let mut payments = store.payments.lock().unwrap();
        // Each order's checkout recorded the payment Init started, as the
        // checkout route does; notifications for it then need no CheckOut.
        for id in 0..ORDERS {
            let started = RecordedPayment::new(
                PaymentId::new(format!("pay-{id}")).unwrap(),
                PaymentStatus::New,
            );
            payments.insert(id, Some(started));
        }
    }
    // The routes never call the service for known statuses; the base URL
    // is a loopback address that is never contacted.
    let client = Client::builder(
        UidPlatform::new(UID).unwrap(),
        SecretKey::new(SECRET).unwrap(),
        "http://127.0.0.1:9/",
    )
    .build()
    .unwrap();
    let routes = KupiKupiRoutes::new(Arc::new(KupiKupi::new(client)), store);
    let (listener, base) = listener();
    let server = HttpServer::new(move || App::new().service(routes.finish()))
        .workers(workers)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    (base.join("kupikupi/notifications").unwrap(), handle)
}

fn signed_bodies() -> Vec<web::Bytes> {
    let secret = SecretKey::new(SECRET).unwrap();
    (0..ORDERS)
        .map(|id| {
            let body = format!(
                r#"{{"UidPlatform":"{UID}","OrderId":"b-{id}","PaymentId":"pay-{id}","Amount":{AMOUNT},"Phone":79001234567,"Status":"CONFIRMED","Success":true,"ErrorCode":"0"}}"#
            );
            web::Bytes::from(kupikupi::token::sign_json(&body, &secret).unwrap())
        })
        .collect()
}

/// Sends `requests` notifications with `concurrency` requests in flight and
/// returns the seconds taken. Panics on any reply but `200 OK`.
async fn drive(
    http: &reqwest::Client,
    url: &Url,
    bodies: &Arc<Vec<web::Bytes>>,
    requests: usize,
    concurrency: usize,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let http = http.clone();
        let url = url.clone();
        let bodies = Arc::clone(bodies);
        let next = Arc::clone(&next);
        tasks.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= requests {
                    break;
                }
                let body = bodies[index % bodies.len()].clone();
                let response = http
                    .post(url.clone())
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let text = response.bytes().await.unwrap();
                assert_eq!(status, 200, "{text:?}");
                assert_eq!(text, "OK");
            }
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

fn main() {
    let requests = setting("BENCH_REQUESTS", 60_000);
    let concurrency = setting("BENCH_CONCURRENCY", 64);
    let rounds = setting("BENCH_ROUNDS", 7);
    let workers = setting("BENCH_WORKERS", 1);
    let driver_threads = setting("BENCH_DRIVER_THREADS", 2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(driver_threads)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (bare_url, bare_handle) = start_bare(workers);
        let (routes_url, routes_handle) = start_routes(workers);
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(concurrency)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let bodies = Arc::new(signed_bodies());

        println!(
            "notification route vs bare handler: {requests} requests per round, {concurrency} concurrent, {rounds} rounds, {workers} server worker(s) each, {driver_threads} driver thread(s)"
        );
        let warm_up = requests / 4;
        let warm_bare = warm_up as f64 / drive(&http, &bare_url, &bodies, warm_up, concurrency).await;
        let warm_route =
            warm_up as f64 / drive(&http, &routes_url, &bodies, warm_up, concurrency).await;
        println!("warm-up: bare {warm_bare:.0} req/s, route {warm_route:.0} req/s");

        // Each round alternates short slices of the two servers, so that
        // both see the same background load on the machine.
        let slice = (requests / SLICES).max(1);
        let mut ratios = Vec::with_capacity(rounds);
        for round in 1..=rounds {
            let mut bare_seconds = 0.0;
            let mut route_seconds = 0.0;
            for index in 0..SLICES {
                if (round + index) % 2 == 0 {
                    bare_seconds += drive(&http, &bare_url, &bodies, slice, concurrency).await;
                    route_seconds += drive(&http, &routes_url, &bodies, slice, concurrency).await;
                } else {
                    route_seconds += drive(&http, &routes_url, &bodies, slice, concurrency).await;
                    bare_seconds += drive(&http, &bare_url, &bodies, slice, concurrency).await;
                }
            }
            let total = (slice * SLICES) as f64;
            let bare = total / bare_seconds;
            let route = total / route_seconds;
            let ratio = route / bare;
            println!(
                "round {round}: bare {bare:.0} req/s, route {route:.0} req/s, ratio {ratio:.3}"
            );
            ratios.push(ratio);
        }
        let median_ratio = median(&mut ratios);
        println!("median ratio (route / bare): {median_ratio:.3} (target at least 0.75)");

        bare_handle.stop(true).await;
        routes_handle.stop(true).await;
    });
}
