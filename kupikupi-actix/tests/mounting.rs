//! Both ways of mounting the routes, and the prefix setting.

// Helpers of these tests stop on the first failed step, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod routes_common;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use kupikupi_actix::{ConfigError, KupiKupiRoutes};
use routes_common::*;
use url::Url;

const AMOUNT: u64 = 700;

/// Serves an App built by `app` on 127.0.0.1; returns its root URL.
async fn serve<F, T>(app: F) -> (Url, actix_web::dev::ServerHandle)
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
{
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let server = HttpServer::new(app)
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    (base, handle)
}

#[tokio::test]
async fn configure_mounts_beside_shop_routes() {
    let store = MemoryStore::new();
    store.add_started(1, AMOUNT, None, "p-1");
    let routes = KupiKupiRoutes::new(method_unreachable(), Arc::clone(&store));
    let (base, handle) = serve(move || {
        App::new()
            .configure(kupikupi_actix::configure(&routes))
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("shop") }),
            )
    })
    .await;
    let home = http().get(base.clone()).send().await.unwrap();
    assert_eq!(home.text().await.unwrap(), "shop");
    let body = notification(1, "p-1", AMOUNT, "CONFIRMED");
    let response = http()
        .post(base.join("kupikupi/notifications").unwrap())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(store.is_paid(1));
    handle.stop(false).await;
}

#[tokio::test]
async fn custom_prefix_moves_every_route() {
    let store = MemoryStore::new();
    store.add_started(1, AMOUNT, None, "p-1");
    let routes = KupiKupiRoutes::new(method_unreachable(), Arc::clone(&store)).prefix("pay/kk/");
    assert_eq!(routes.path_prefix(), "/pay/kk");
    let (base, handle) = serve(move || App::new().service(routes.finish())).await;
    let old = http()
        .post(base.join("kupikupi/notifications").unwrap())
        .header("content-type", "application/json")
        .body(notification(1, "p-1", AMOUNT, "CONFIRMED"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    let new = http()
        .post(base.join("pay/kk/notifications").unwrap())
        .header("content-type", "application/json")
        .body(notification(1, "p-1", AMOUNT, "CONFIRMED"))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
    let form = http()
        .post(base.join("pay/kk/checkout/1").unwrap())
        .send()
        .await
        .unwrap();
    // The order is paid, and without a public base URL the success
    // template stays a path on the shop.
    assert_eq!(form.status(), 303);
    assert_eq!(location(&form).as_deref(), Some("/orders/1/paid"));
    handle.stop(false).await;
}

#[test]
fn public_base_url_rejects_unusable_urls() {
    for url in [
        "shop.example",
        "/shop",
        "ftp://shop.example/",
        "https://user:pw@shop.example/",
        "https://shop.example/?a=1",
        "https://shop.example/#top",
    ] {
        let result =
            KupiKupiRoutes::new(method_unreachable(), MemoryStore::new()).public_base_url(url);
        assert!(
            matches!(result, Err(ConfigError::PublicBaseUrl { .. })),
            "{url}"
        );
    }
    let accepted = KupiKupiRoutes::new(method_unreachable(), MemoryStore::new())
        .public_base_url("https://shop.example/");
    assert!(accepted.is_ok());
}

/// An order type as a shop writes it, with the derive.
#[derive(Clone, kupikupi::KupiKupiOrder)]
#[kupikupi(id_prefix = "d-", success_url = "/orders/{id}", fail_url = "/cart")]
struct DerivedOrder {
    #[kupikupi(id)]
    id: i64,
    #[kupikupi(amount)]
    total_kopecks: i64,
    #[kupikupi(phone)]
    phone: Option<String>,
}

#[derive(Default)]
struct DerivedStore {
    payment: std::sync::Mutex<Option<kupikupi_actix::RecordedPayment>>,
}

#[kupikupi_actix::async_trait]
impl kupikupi_actix::OrderStore for DerivedStore {
    type Order = DerivedOrder;
    type Error = std::convert::Infallible;

    async fn load(
        &self,
        id: &i64,
    ) -> Result<Option<kupikupi_actix::LoadedOrder<DerivedOrder>>, Self::Error> {
        let order = DerivedOrder {
            id: *id,
            total_kopecks: 4_200,
            phone: None,
        };
        let payment = self.payment.lock().unwrap().clone();
        Ok((*id == 5).then(|| kupikupi_actix::LoadedOrder::new(order, payment)))
    }

    async fn record(
        &self,
        _id: &i64,
        event: &kupikupi_actix::PaymentEvent,
    ) -> Result<kupikupi_actix::RecordOutcome, Self::Error> {
        let mut payment = self.payment.lock().unwrap();
        if let Some(new_payment) = event.new_payment() {
            if *payment != event.expected {
                return Ok(kupikupi_actix::RecordOutcome::Outdated);
            }
            *payment = Some(new_payment);
        }
        Ok(kupikupi_actix::RecordOutcome::Recorded)
    }
}

#[tokio::test]
async fn derived_order_type_gets_paid() {
    let store = Arc::new(DerivedStore::default());
    // The checkout route records the payment Init started; do the same here.
    *store.payment.lock().unwrap() = Some(kupikupi_actix::RecordedPayment::new(
        kupikupi::PaymentId::new("p-5").unwrap(),
        kupikupi::PaymentStatus::New,
    ));
    let routes = KupiKupiRoutes::new(method_unreachable(), Arc::clone(&store));
    let (base, handle) = serve(move || App::new().service(routes.finish())).await;
    let body = kupikupi::token::sign_json(
        &format!(
            r#"{{"UidPlatform":"{UID}","OrderId":"d-5","PaymentId":"p-5","Amount":4200,"Status":"CONFIRMED"}}"#
        ),
        &secret(),
    )
    .unwrap();
    let response = http()
        .post(base.join("kupikupi/notifications").unwrap())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let recorded = store.payment.lock().unwrap().clone().unwrap();
    assert!(recorded.status.is_paid());

    let checkout = http()
        .post(base.join("kupikupi/checkout/5").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(location(&checkout).as_deref(), Some("/orders/5"));
    handle.stop(false).await;
}
