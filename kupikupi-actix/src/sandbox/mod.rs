//! A stand-in for the KupiKupi service, for development and tests.
//!
//! The sandbox is an actix-web server on `127.0.0.1` that answers the API
//! (`POST /Balance`, `/Init`, `/CheckOut`) with the protocol's replies and
//! error codes, verifies the `Token` of every request, serves the payment form
//! at each payment's `PaymentURL`, shows each customer's balance and transfer
//! codes, and delivers signed notifications to the platform's notification
//! URL with retries. All state lives in memory and nothing is pruned:
//! payments and the delivery log grow for as long as the sandbox runs, which
//! suits test runs and demos rather than weeks of uptime.
//!
//! ```
//! use std::time::Duration;
//! use kupikupi::{Client, Kopecks, Phone, SecretKey, UidPlatform};
//! use kupikupi_actix::sandbox::{RetrySchedule, Sandbox};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let uid = UidPlatform::new("demo-shop")?;
//! let secret = SecretKey::new("demo-secret")?;
//! let phone = Phone::parse("79001234567")?;
//! let sandbox = Sandbox::builder()
//!     .platform(uid.clone(), secret.clone())
//!     .customer(phone.clone(), Kopecks::new(100_000))
//!     .deadline(Duration::from_secs(60))
//!     .retry_schedule(RetrySchedule::exponential(Duration::from_millis(50), 5))
//!     .start()
//!     .await?;
//!
//! let client = Client::builder(uid, secret, sandbox.base_url().as_str()).build()?;
//! assert_eq!(client.balance(&phone).await?.balance, Kopecks::new(100_000));
//! sandbox.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! # The payment form
//!
//! Opening the form sets `FORM_SHOWED`. The right code moves the points and
//! sets `CONFIRMED`, or `REJECTED` when the customer has too few points by
//! then. The third wrong code sets `REJECTED`, Cancel sets `CANCELED`, and a
//! payment that is not final when its deadline passes (counted from `Init`)
//! becomes `DEADLINE_EXPIRED`. A final payment's form redirects (`303 See
//! Other`) to the `SuccessURL` or `FailURL` the merchant sent in `Init`, or
//! shows the result when there is none.
//!
//! # Notifications
//!
//! Every status change after `NEW` is notified: `FORM_SHOWED` and each final
//! status. The body carries `UidPlatform`, `OrderId`, `PaymentId`, `Amount`,
//! `Phone`, `Status`, `Success` (false for a failed payment), `ErrorCode`
//! (`5` when rejected for too few points, otherwise `0`) and the `Token`. Only
//! HTTP 200 with the body `OK` counts as delivered; anything else is retried
//! on the [`RetrySchedule`]. Deliveries stop when the sandbox stops.
//!
//! # Pages and endpoints
//!
//! | Path | What |
//! | --- | --- |
//! | `POST /Balance`, `/Init`, `/CheckOut` | the API |
//! | `GET /` | index with links to the accounts and the delivery log |
//! | `GET /pay/{key}` | the payment form (`POST` takes `code`; `POST /pay/{key}/cancel` cancels) |
//! | `GET /sandbox/accounts/{phone}` | a customer's balance and transfer codes, and `/json` after it |
//! | `GET /sandbox/deliveries` | every notification attempt, and `/json` after it |
//! | `GET`, `PUT /sandbox/platforms/{uid}/faults` | a platform's [`Faults`] as JSON |
//! | `GET`, `PUT /sandbox/platforms/{uid}/notification-url` | `{"url": "..."}` |

mod admin;
mod api;
mod config;
mod delivery;
mod handle;
mod model;
mod pages;
mod server;
mod signal;
mod state;

pub use self::config::{
    DEFAULT_DEADLINE, DEFAULT_DELIVERY_TIMEOUT, DurationParseError, Faults, RetrySchedule,
    SandboxPlatform, WrongSecret, parse_duration,
};
pub use self::delivery::{AttemptResult, Delivery, DeliveryAttempt, DeliveryState};
pub use self::handle::{MAX_DEADLINE, Sandbox, SandboxBuilder, SandboxError, SandboxHandle};
pub use self::model::{Account, PaymentSnapshot, PendingCode};
pub use self::signal::shutdown_signal;
