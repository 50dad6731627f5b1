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
