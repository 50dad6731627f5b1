//! Settings of a sandbox: platforms, the retry schedule and fault injection.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use kupikupi::{SecretKey, UidPlatform};
use serde::{Deserialize, Serialize};
use url::Url;

/// How long a payment form stays open after `Init` unless
/// [`SandboxBuilder::deadline`](super::SandboxBuilder::deadline) sets another
/// value: 15 minutes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// How long one notification attempt may take, from connecting to reading the
/// reply, unless
/// [`SandboxBuilder::delivery_timeout`](super::SandboxBuilder::delivery_timeout)
/// sets another value: 10 seconds.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A merchant registered at the sandbox.
///
/// ```
/// use kupikupi::{SecretKey, UidPlatform};
/// use kupikupi_actix::sandbox::SandboxPlatform;
///
/// let platform = SandboxPlatform::new(UidPlatform::new("demo")?, SecretKey::new("demo-secret")?)
///     .shop_name("Corner shop")
///     .notification_url("http://127.0.0.1:8080/kupikupi/notifications".parse()?);
/// assert_eq!(platform.uid().as_str(), "demo");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SandboxPlatform {
    pub(crate) uid: UidPlatform,
    pub(crate) secret: SecretKey,
    pub(crate) shop_name: Option<String>,
    pub(crate) notification_url: Option<Url>,
    pub(crate) faults: Faults,
}

impl SandboxPlatform {
    /// Registers a platform with its secret key. The shop name defaults to
    /// the UID, and no notification URL is set.
    pub fn new(uid: UidPlatform, secret: SecretKey) -> Self {
        SandboxPlatform {
            uid,
            secret,
            shop_name: None,
            notification_url: None,
            faults: Faults::none(),
        }
    }

    /// The platform's UID.
    pub fn uid(&self) -> &UidPlatform {
        &self.uid
    }

    /// Sets the shop name the payment form shows.
    pub fn shop_name(mut self, name: impl Into<String>) -> Self {
        self.shop_name = Some(name.into());
        self
    }

    /// Sets where notifications go. It can also be set after start with
    /// [`SandboxHandle::set_notification_url`](super::SandboxHandle::set_notification_url).
    pub fn notification_url(mut self, url: Url) -> Self {
        self.notification_url = Some(url);
        self
    }

    /// Sets the faults injected from the start.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }
}

/// The pauses between notification attempts.
///
/// A notification is tried once, then once after each pause, so the number of
/// attempts is one more than the number of pauses. The default waits 1, 5, 10,
/// 30 and 60 minutes: six attempts over about 1 hour 46 minutes.
///
/// ```
/// use std::time::Duration;
/// use kupikupi_actix::sandbox::RetrySchedule;
///
/// let schedule: RetrySchedule = "50ms,100ms,200ms".parse()?;
/// assert_eq!(schedule.max_attempts(), 4);
/// assert_eq!(schedule.pause_after(1), Some(Duration::from_millis(50)));
/// assert_eq!(schedule.pause_after(4), None);
///
/// let doubling = RetrySchedule::exponential(Duration::from_millis(10), 4);
/// assert_eq!(doubling.pauses(), [10, 20, 40].map(Duration::from_millis));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    pauses: Vec<Duration>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule::new([1, 5, 10, 30, 60].map(|minutes| Duration::from_secs(minutes * 60)))
    }
}

impl RetrySchedule {
    /// A schedule with these pauses, in order.
    pub fn new(pauses: impl IntoIterator<Item = Duration>) -> Self {
        RetrySchedule {
            pauses: pauses.into_iter().collect(),
        }
    }

    /// A schedule of `max_attempts` attempts whose pauses start at `first`
    /// and double each time. `max_attempts` of 0 or 1 means a single attempt.
    pub fn exponential(first: Duration, max_attempts: u32) -> Self {
        let pauses = (0..max_attempts.saturating_sub(1))
            .map(|doublings| first.saturating_mul(1 << doublings.min(30)))
            .collect();
        RetrySchedule { pauses }
    }

    /// A schedule that tries each notification once.
    pub fn no_retries() -> Self {
        RetrySchedule { pauses: Vec::new() }
    }

    /// The pauses, in order.
    pub fn pauses(&self) -> &[Duration] {
        &self.pauses
    }

    /// The number of attempts, the first included.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.pauses.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The pause after attempt number `attempt` (1-based) failed, or `None`
    /// when that attempt was the last.
    pub fn pause_after(&self, attempt: u32) -> Option<Duration> {
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        self.pauses.get(index).copied()
    }
}

/// Why a retry schedule or a duration could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {text:?}: {reason}; write a number with a unit, like 250ms, 2s, 5m or 1h"
)]
pub struct DurationParseError {
    text: String,
    reason: String,
}

/// Parses a duration such as `250ms`, `2s`, `5m`, `1h` or `1h 30m`.
///
/// ```
/// use std::time::Duration;
/// use kupikupi_actix::sandbox::parse_duration;
///
/// assert_eq!(parse_duration("1m 30s")?, Duration::from_secs(90));
/// assert!(parse_duration("soon").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Returns [`DurationParseError`] for text without a unit or with an unknown
/// unit.
pub fn parse_duration(text: &str) -> Result<Duration, DurationParseError> {
    humantime::parse_duration(text.trim()).map_err(|source| DurationParseError {
        text: text.to_owned(),
        reason: source.to_string(),
    })
}

/// Parses a comma-separated list of pauses, such as `1m,5m,30m`. An empty
/// text or `none` means no retries.
impl FromStr for RetrySchedule {
    type Err = DurationParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") {
            return Ok(RetrySchedule::no_retries());
        }
        let pauses = trimmed
            .split(',')
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RetrySchedule { pauses })
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pauses.is_empty() {
            return f.write_str("none");
        }
        for (index, pause) in self.pauses.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", humantime::format_duration(*pause))?;
        }
        Ok(())
    }
}

/// Which notification attempts are signed with a wrong secret key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WrongSecret {
    /// Every attempt is signed correctly.
    #[default]
    Never,
    /// Every attempt is signed with a wrong key, so the shop rejects them all.
    Always,
    /// The first attempt is signed with a wrong key and every retry
    /// correctly, so a shop that rejects the first accepts the retry.
    FirstAttempt,
}

/// Faults the sandbox injects for one platform, to test how a shop copes.
///
/// Faults are read when a notification is queued: changing them affects the
/// notifications queued afterwards. Over HTTP they are read and replaced as
/// JSON at `GET` and `PUT /sandbox/platforms/{uid}/faults`, with the delay
/// in milliseconds:
/// `{"duplicate":false,"delay_ms":0,"out_of_order":false,"drop":false,"wrong_secret":"first_attempt","internal_errors":false}`.
///
/// ```
/// use std::time::Duration;
/// use kupikupi_actix::sandbox::{Faults, WrongSecret};
///
/// let faults = Faults::none()
///     .duplicate(true)
///     .delay(Duration::from_millis(200))
///     .wrong_secret(WrongSecret::FirstAttempt);
/// assert!(faults.duplicate);
/// assert_eq!(Faults::default(), Faults::none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Faults {
    /// Delivers every notification twice, as two independent deliveries with
    /// the same body.
    pub duplicate: bool,
    /// Waits this long before the first attempt of each notification.
    #[serde(rename = "delay_ms", with = "millis")]
    pub delay: Duration,
    /// Holds a payment's notifications until its final status and then
    /// delivers them newest first, each after the previous one finished.
    /// Held notifications enter the delivery log when they are released.
    pub out_of_order: bool,
    /// Never sends notifications; the delivery log records them as dropped.
    pub drop: bool,
    /// Signs attempts with a wrong secret key.
    pub wrong_secret: WrongSecret,
    /// Answers every `Balance`, `Init` and `CheckOut` call of the platform
    /// with error code 99, as an internal failure of the service would.
    pub internal_errors: bool,
}

impl Faults {
    /// No faults: every notification is delivered once, at once, in order,
    /// signed correctly.
    pub fn none() -> Self {
        Faults::default()
    }

    /// Sets [`Faults::duplicate`].
    pub fn duplicate(mut self, on: bool) -> Self {
        self.duplicate = on;
        self
    }

    /// Sets [`Faults::delay`].
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets [`Faults::out_of_order`].
    pub fn out_of_order(mut self, on: bool) -> Self {
        self.out_of_order = on;
        self
    }

    /// Sets [`Faults::drop`].
    pub fn drop(mut self, on: bool) -> Self {
        self.drop = on;
        self
    }

    /// Sets [`Faults::wrong_secret`].
    pub fn wrong_secret(mut self, mode: WrongSecret) -> Self {
        self.wrong_secret = mode;
        self
    }

    /// Sets [`Faults::internal_errors`].
    pub fn internal_errors(mut self, on: bool) -> Self {
        self.internal_errors = on;
        self
    }
}

/// A `Duration` written as whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        duration: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_has_six_attempts() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.max_attempts(), 6);
        assert_eq!(schedule.pause_after(1), Some(Duration::from_secs(60)));
        assert_eq!(schedule.pause_after(5), Some(Duration::from_secs(3600)));
        assert_eq!(schedule.pause_after(6), None);
        assert_eq!(schedule.pause_after(0), None);
    }

    #[test]
    fn schedule_parses_and_prints() {
        let schedule: RetrySchedule = " 1s, 2m ,1h".parse().unwrap();
        assert_eq!(
            schedule.pauses(),
            [
                Duration::from_secs(1),
                Duration::from_secs(120),
                Duration::from_secs(3600)
            ]
        );
        assert_eq!(schedule.to_string(), "1s,2m,1h");
    }

    #[test]
    fn schedule_none_means_one_attempt() {
        let schedule: RetrySchedule = "none".parse().unwrap();
        assert_eq!(schedule.max_attempts(), 1);
        assert_eq!(schedule.to_string(), "none");
    }

    #[test]
    fn schedule_rejects_missing_unit() {
        let error = "5".parse::<RetrySchedule>().unwrap_err();
        assert!(error.to_string().contains("\"5\""), "{error}");
    }

    #[test]
    fn exponential_doubles() {
        let schedule = RetrySchedule::exponential(Duration::from_secs(1), 3);
        assert_eq!(schedule.pauses(), [1, 2].map(Duration::from_secs));
        assert_eq!(
            RetrySchedule::exponential(Duration::from_secs(1), 0).max_attempts(),
            1
        );
    }

    #[test]
    fn faults_json_round_trips() {
        let faults = Faults::none()
            .delay(Duration::from_millis(1500))
            .wrong_secret(WrongSecret::FirstAttempt)
            .drop(true);
        let text = serde_json::to_string(&faults).unwrap();
        assert!(text.contains("\"delay_ms\":1500"), "{text}");
        assert!(
            text.contains("\"wrong_secret\":\"first_attempt\""),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Faults>(&text).unwrap(), faults);
    }

    #[test]
    fn faults_json_fills_missing_fields() {
        let faults: Faults = serde_json::from_str(r#"{"duplicate":true}"#).unwrap();
        assert_eq!(faults, Faults::none().duplicate(true));
    }

    #[test]
    fn faults_json_rejects_unknown_field() {
        assert!(serde_json::from_str::<Faults>(r#"{"dupliate":true}"#).is_err());
    }
}
