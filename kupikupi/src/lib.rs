//! Accept KupiKupi cashback points as payment.
//!
//! This crate holds what every integration needs: the money and identity
//! types, the `Token` that signs requests and notifications, an async
//! [`Client`] for the service's `Balance`, `Init` and `CheckOut` methods,
//! notification verification, and the [`PaymentMethod`] and
//! [`KupiKupiOrder`] traits. The `kupikupi-actix` crate mounts it in an
//! actix-web shop.
//!
//! ```no_run
//! use kupikupi::{Client, InitOutcome, InitRequest, Kopecks, OrderId, Phone, SecretKey, UidPlatform};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder(
//!     UidPlatform::new("M2hULcD5OiYGkmSK")?,
//!     SecretKey::new(std::env::var("KUPIKUPI_SECRET_KEY")?)?,
//!     "https://api.kupikupi.example/",
//! )
//! .build()?;
//!
//! let phone = Phone::parse("+7 900 123-45-67")?;
//! let request = InitRequest::new(OrderId::new("1042")?, Kopecks::new(97_200), phone);
//! if let InitOutcome::Form(form) = client.init(&request).await? {
//!     println!("send the customer to {}", form.url);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `derive` (default): re-exports `#[derive(KupiKupiOrder)]`.
//! - `decimal`: lets an order keep its amount as `rust_decimal::Decimal` rubles.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod error;
mod fields;
mod ids;
mod method;
mod model;
mod money;
mod notification;
mod order;
mod phone;
pub mod retry;
mod status;
pub mod token;
pub mod wire;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private_v0_1;

pub use crate::client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, MAX_REPLY_BYTES, is_secure_url,
};
pub use crate::error::{ApiError, Error, ErrorCode, FieldError, MalformedReply, NotificationError};
pub use crate::ids::{
    EmptyIdError, ORDER_ID_MAX_LEN, OrderId, OrderIdError, PaymentId, SecretKey, UidPlatform,
    is_order_id_char,
};
pub use crate::method::{KupiKupi, PaymentMethod, PaymentOrder};
pub use crate::model::{Balance, InitOutcome, InitRequest, Notification, Payment, PaymentForm};
pub use crate::money::Kopecks;
pub use crate::notification::verify_notification;
pub use crate::order::{KupiKupiOrder, OrderError, fill_id};
pub use crate::phone::{Phone, PhoneError};
pub use crate::status::{PaymentStatus, Transition};
pub use async_trait::async_trait;

/// Implements [`KupiKupiOrder`] for a struct with named fields.
///
/// Mark the field that contains the order id and the one that contains the
/// amount; everything else is optional. Every misuse is a compile error that
/// points at the attribute or type to fix.
///
/// ```
/// use kupikupi::{KupiKupiOrder, Kopecks};
///
/// #[derive(KupiKupiOrder)]
/// #[kupikupi(description = "Order {id}", success_url = "/orders/{id}")]
/// struct Order {
///     #[kupikupi(id)]
///     id: u64,
///     #[kupikupi(amount)]
///     total: Kopecks,
///     #[kupikupi(phone)]
///     phone: Option<String>,
/// }
///
/// let order = Order { id: 1042, total: Kopecks::new(97_200), phone: None };
/// assert_eq!(order.order_id()?.as_str(), "1042");
/// assert_eq!(order.amount()?, Kopecks::new(97_200));
/// assert_eq!(order.description().as_deref(), Some("Order 1042"));
/// assert_eq!(order.success_url().as_deref(), Some("/orders/1042"));
/// # Ok::<(), kupikupi::OrderError>(())
/// ```
///
/// # Field attributes
///
/// - `#[kupikupi(id)]` (required): the merchant's order id. Its type must
///   write as text and parse back (`Display` + `FromStr`, `Send + Sync +
///   'static`): an integer, `String`, a UUID. A notification's order id is
///   mapped back to it with [`KupiKupiOrder::parse_order_id`].
///
///   ```
///   # use kupikupi::KupiKupiOrder;
///   #[derive(KupiKupiOrder)]
///   struct Order {
///       #[kupikupi(id)]
///       number: String,
///       #[kupikupi(amount)]
///       total: u64,
///   }
///
///   let id = Order::parse_order_id(&"A-17".parse()?)?;
///   assert_eq!(id, "A-17");
///   # Ok::<(), Box<dyn std::error::Error>>(())
///   ```
///
/// - `#[kupikupi(amount)]` (required): the amount in kopecks, as
///   [`Kopecks`] or any integer type. Signed integers are checked when a
///   payment starts: zero or a negative amount is an [`OrderError`], never a
///   payment. A float (`f32`, `f64`) does not compile.
///
///   ```
///   # use kupikupi::{KupiKupiOrder, OrderError};
///   #[derive(KupiKupiOrder)]
///   struct Order {
///       #[kupikupi(id)]
///       id: i64,
///       #[kupikupi(amount)]
///       total_kopecks: i64,
///   }
///
///   let refund = Order { id: 1, total_kopecks: -500 };
///   assert!(matches!(refund.amount(), Err(OrderError::NonPositiveAmount(_))));
///   ```
///
/// - `#[kupikupi(amount, rubles)]`: the amount in whole rubles, as an
///   integer, multiplied by 100 with an overflow check that returns
///   [`OrderError::AmountOverflow`]. With the `decimal` feature the field may
///   also be a `rust_decimal::Decimal` of rubles, converted exactly: more
///   than two decimal places is [`OrderError::FractionalKopecks`], never
///   rounded.
///
///   ```
///   # use kupikupi::{KupiKupiOrder, Kopecks};
///   #[derive(KupiKupiOrder)]
///   struct Order {
///       #[kupikupi(id)]
///       id: u32,
///       #[kupikupi(amount, rubles)]
///       price_rubles: u32,
///   }
///
///   assert_eq!(Order { id: 1, price_rubles: 972 }.amount()?, Kopecks::new(97_200));
///   # Ok::<(), kupikupi::OrderError>(())
///   ```
///
///   With the `decimal` feature:
///
///   ```
///   # #[cfg(feature = "decimal")]
///   # {
///   # use kupikupi::{KupiKupiOrder, Kopecks, OrderError};
///   use rust_decimal::Decimal;
///
///   #[derive(KupiKupiOrder)]
///   struct Order {
///       #[kupikupi(id)]
///       id: u32,
///       #[kupikupi(amount, rubles)]
///       price: Decimal,
///   }
///
///   let price = Decimal::new(97_250, 2); // 972.50 rubles
///   assert_eq!(Order { id: 1, price }.amount(), Ok(Kopecks::new(97_250)));
///   let too_precise = Decimal::new(972_505, 3); // 972.505 rubles
///   assert!(matches!(
///       Order { id: 1, price: too_precise }.amount(),
///       Err(OrderError::FractionalKopecks(_))
///   ));
///   # }
///   ```
///
/// - `#[kupikupi(phone)]`: the customer's phone, as [`Phone`], a string or an
///   integer (`u64`, `i64`), optionally inside `Option`. A string or integer
///   is parsed when a payment starts; an invalid number is
///   [`OrderError::Phone`].
///
///   ```
///   # use kupikupi::{KupiKupiOrder, OrderError};
///   #[derive(KupiKupiOrder)]
///   struct Order {
///       #[kupikupi(id)]
///       id: u32,
///       #[kupikupi(amount)]
///       total: u64,
///       #[kupikupi(phone)]
///       phone: String,
///   }
///
///   let order = Order { id: 1, total: 100, phone: "8 900 123-45-67".into() };
///   assert_eq!(order.phone()?.map(|phone| phone.full()).as_deref(), Some("79001234567"));
///   let typo = Order { id: 1, total: 100, phone: "8 900 123".into() };
///   assert!(matches!(typo.phone(), Err(OrderError::Phone(_))));
///   # Ok::<(), OrderError>(())
///   ```
///
/// - `#[kupikupi(description)]`: text shown on the service's payment form,
///   as `String`, `&str`, `Cow<str>` or an `Option` of one.
///
///   ```
///   # use kupikupi::KupiKupiOrder;
///   #[derive(KupiKupiOrder)]
///   struct Order {
///       #[kupikupi(id)]
///       id: u32,
///       #[kupikupi(amount)]
///       total: u64,
///       #[kupikupi(description)]
///       title: Option<String>,
///   }
///
///   let order = Order { id: 1, total: 100, title: Some("Two coffees".into()) };
///   assert_eq!(order.description().as_deref(), Some("Two coffees"));
///   ```
///
/// # Struct attributes
///
/// In the strings below, `{id}` is replaced by the order's id (without the
/// prefix); any other placeholder is a compile error.
///
/// - `#[kupikupi(description = "...")]`: a description template, used when
///   no field is marked `#[kupikupi(description)]`; marking both is an
///   error. Sets [`KupiKupiOrder::DESCRIPTION`].
///
///   ```
///   # use kupikupi::KupiKupiOrder;
///   #[derive(KupiKupiOrder)]
///   #[kupikupi(description = "Order {id} at the corner shop")]
///   struct Order {
///       #[kupikupi(id)]
///       id: u32,
///       #[kupikupi(amount)]
///       total: u64,
///   }
///
///   let order = Order { id: 9, total: 100 };
///   assert_eq!(order.description().as_deref(), Some("Order 9 at the corner shop"));
///   ```
///
/// - `#[kupikupi(success_url = "...")]` and `#[kupikupi(fail_url = "...")]`:
///   where the customer returns after a confirmed, or a failed or
///   cancelled, payment. Each is a path starting with a single `/`, which the
///   web integration resolves against the shop's address, or an absolute
///   `https` URL; `{id}` may appear after the host. Set
///   [`KupiKupiOrder::SUCCESS_URL`] and [`KupiKupiOrder::FAIL_URL`].
///
///   ```
///   # use kupikupi::KupiKupiOrder;
///   #[derive(KupiKupiOrder)]
///   #[kupikupi(
///       success_url = "https://shop.example/orders/{id}",
///       fail_url = "/orders/{id}?failed"
///   )]
///   struct Order {
///       #[kupikupi(id)]
///       id: u32,
///       #[kupikupi(amount)]
///       total: u64,
///   }
///
///   let order = Order { id: 9, total: 100 };
///   assert_eq!(order.success_url().as_deref(), Some("https://shop.example/orders/9"));
///   assert_eq!(order.fail_url().as_deref(), Some("/orders/9?failed"));
///   ```
///
/// - `#[kupikupi(id_prefix = "...")]`: prepended to every order id sent to
///   the service, and checked and stripped from every order id received, so
///   that two shops, or staging and production, on one platform never share
///   an id. It may contain only the characters of an [`OrderId`]: ASCII
///   letters, digits, `-`, `_` and `.`. Sets [`KupiKupiOrder::ID_PREFIX`].
///
///   ```
///   # use kupikupi::{KupiKupiOrder, OrderId};
///   #[derive(KupiKupiOrder)]
///   #[kupikupi(id_prefix = "shop1-")]
///   struct Order {
///       #[kupikupi(id)]
///       id: u64,
///       #[kupikupi(amount)]
///       total: u64,
///   }
///
///   assert_eq!(Order { id: 42, total: 100 }.order_id()?.as_str(), "shop1-42");
///   assert_eq!(Order::parse_order_id(&OrderId::new("shop1-42")?)?, 42);
///   assert!(Order::parse_order_id(&OrderId::new("shop2-42")?).is_err());
///   # Ok::<(), Box<dyn std::error::Error>>(())
///   ```
///
/// - `#[kupikupi(crate = "...")]`: the path of the `kupikupi` crate, when the
///   dependency is renamed in `Cargo.toml` or re-exported by another crate.
///
///   ```
///   # extern crate kupikupi as payments;
///   // Cargo.toml: payments = { package = "kupikupi", version = "..." }
///   #[derive(payments::KupiKupiOrder)]
///   #[kupikupi(crate = "payments")]
///   struct Order {
///       #[kupikupi(id)]
///       id: u64,
///       #[kupikupi(amount)]
///       total: u64,
///   }
///   # use payments::KupiKupiOrder as _;
///   # assert_eq!(Order { id: 1, total: 1 }.id(), &1);
///   ```
///
/// Generic structs, lifetimes and where clauses work: a field whose type
/// depends on a type parameter adds the bound it needs to the impl.
#[cfg(feature = "derive")]
pub use kupikupi_macros::KupiKupiOrder;

/// Compiles the Rust examples of the README as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
