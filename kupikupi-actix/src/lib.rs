//! actix-web routes that let a shop take KupiKupi cashback points as payment.
//!
//! The shop keeps its orders in its own database. It marks its order type
//! with `#[derive(KupiKupiOrder)]`, implements [`OrderStore`] over its
//! database, and mounts [`KupiKupiRoutes`]. The routes start payments, send
//! the customer to the service's form, receive the service's notifications
//! and check the payment when the customer comes back. Every outcome is
//! written through the store. The routes keep no state of their own besides
//! in-process locks, so any number of shop instances can run them.
//!
//! # Adding KupiKupi to a shop
//!
//! These are all the lines an existing actix-web shop adds, marked `// +`:
//! 15, counting the `use` lines and the derive attributes. The hidden lines
//! are the shop's existing code. The store's two methods call the shop's own
//! database functions, whose compare-and-set is described at [`OrderStore`].
//!
//! ```no_run
//! use kupikupi::{Client, KupiKupi, KupiKupiOrder, SecretKey, UidPlatform}; // +
//! use kupikupi_actix::{KupiKupiRoutes, LoadedOrder, OrderStore, PaymentEvent, RecordOutcome}; // +
//! # use actix_web::{App, HttpServer};
//! # #[derive(Debug)] struct DbError;
//! # impl std::fmt::Display for DbError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("db") }
//! # }
//! # impl std::error::Error for DbError {}
//! # #[derive(Clone)] struct Db;
//! # impl Db {
//! #     async fn order_with_payment(&self, _: i64) -> Result<Option<LoadedOrder<Order>>, DbError> { Ok(None) }
//! #     async fn record_payment(&self, _: i64, _: &PaymentEvent) -> Result<RecordOutcome, DbError> { Ok(RecordOutcome::Recorded) }
//! # }
//!
//! #[derive(Clone, KupiKupiOrder)] // +
//! #[kupikupi(id_prefix = "shop-", success_url = "/orders/{id}", fail_url = "/cart")] // +
//! struct Order {
//!     #[kupikupi(id)] // +
//!     id: i64,
//!     #[kupikupi(amount)] // +
//!     total_kopecks: i64,
//! }
//!
//! #[kupikupi_actix::async_trait] // +
//! impl OrderStore for Db { // +
//!     type Order = Order; type Error = DbError; // +
//!     async fn load(&self, id: &i64) -> Result<Option<LoadedOrder<Order>>, DbError> { self.order_with_payment(*id).await } // +
//!     async fn record(&self, id: &i64, event: &PaymentEvent) -> Result<RecordOutcome, DbError> { self.record_payment(*id, event).await } // +
//! } // +
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     # let db = Db;
//!     let client = Client::builder(UidPlatform::new("M2hULcD5OiYGkmSK")?, SecretKey::new(std::env::var("KUPIKUPI_SECRET_KEY")?)?, "https://api.kupikupi.example/").build()?; // +
//!     let routes = KupiKupiRoutes::new(std::sync::Arc::new(KupiKupi::new(client)), db.clone()).public_base_url("https://shop.example/")?; // +
//!     HttpServer::new(move || {
//!         App::new()
//!             .service(routes.finish()) // +
//!             // ... the shop's own routes
//!     })
//!     .bind(("0.0.0.0", 8080))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! The shop's pages then start a payment with a form that posts to the
//! checkout route (a `GET` never starts one, so link prefetchers cannot):
//!
//! ```html
//! <form method="post" action="/kupikupi/checkout/1042">
//!   <button>Pay with KupiKupi points</button>
//! </form>
//! ```
//!
//! A `phone` field in that form is used instead of the order's phone, and
//! an order without a phone gets a page that asks for it.
//!
//! [`KupiKupiRoutes::public_base_url`] is the shop's public address. The
//! payment form sends the customer back to
//! `https://shop.example/kupikupi/return/{id}`, and relative `success_url`
//! and `fail_url` templates such as `/orders/{id}` are resolved against it.
//!
//! Register `https://shop.example/kupikupi/notifications` as the
//! NotificationURL at the service.
//!
//! To hide the button when the customer's points do not cover the order,
//! keep a clone of the `Arc<KupiKupi>` and ask
//! [`PaymentMethod::can_pay`](kupikupi::PaymentMethod::can_pay) on the order
//! page, with `PaymentOrder::from_order(&order, None)`.
//!
//! `App::configure` works too: `App::new().configure(kupikupi_actix::configure(&routes))`.
//!
//! # What the routes guarantee
//!
//! - An order is marked paid only by a `CONFIRMED` status for the order's
//!   exact amount, from a notification whose Token and `UidPlatform` are
//!   valid or from the service's own `CheckOut` answer.
//! - A notification moves only a payment the shop already knows from the
//!   service's own replies (`Init` at checkout, or `CheckOut`). Any other
//!   payment id is confirmed with `CheckOut` first, because the Token does
//!   not bind a value to its field: a captured notification can be re-split
//!   into another order id and payment id and keep a valid Token.
//! - A notification is acknowledged (`200 OK`) only after the store
//!   committed its outcome; otherwise the reply is a 5xx and the service
//!   delivers it again.
//! - A status never moves backwards and a final status is never replaced;
//!   a conflicting final status or a wrong amount is recorded as its own
//!   [`EventKind`] for an operator.
//! - Redirects go only to the payment method's trusted form hosts and to
//!   the order type's own success and fail URLs, never to a URL taken from
//!   the request.
//! - Browsers get short HTML pages; clients sending `Accept:
//!   application/json` get RFC 9457 problem details
//!   (`application/problem+json`) with a `code` member. Failure details go
//!   to the log (with the `tracing` crate), which never receives the secret
//!   key, a Token or a full phone number.
//!
//! The checkout route starts a payment for whoever posts to it, as a "pay"
//! button does. The payment is always for the stored order's amount, and
//! only the customer who confirms it on the form is charged. Shops whose
//! order ids are easy to guess and who want only the order's owner to open
//! the form can check their session in front of the checkout and return
//! paths (a middleware on the `App`); the notification path must stay open
//! to the service, which proves itself with the Token.

#![forbid(unsafe_code)]

mod check;
mod checkout;
mod locks;
mod notification;
mod reconcile;
mod respond;
mod return_route;
mod routes;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod store;

pub use async_trait::async_trait;

pub use crate::check::CheckPaymentError;
pub use crate::notification::MAX_NOTIFICATION_BYTES;
pub use crate::routes::{ConfigError, DEFAULT_PREFIX, KupiKupiRoutes, configure};
pub use crate::store::{
    EventKind, EventSource, IdOf, LoadedOrder, OrderStore, PaymentEvent, RecordOutcome,
    RecordedPayment,
};
