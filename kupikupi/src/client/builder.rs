//! Configuration of a [`Client`].

use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use super::{Client, Inner};
use crate::retry::RetryPolicy;
use crate::{Error, SecretKey, UidPlatform};

/// The connection timeout used unless [`ClientBuilder::connect_timeout`] sets one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The timeout of one try, from sending to the last byte of the reply, used
/// unless [`ClientBuilder::timeout`] sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Builds a [`Client`]. Created by [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use kupikupi::{Client, SecretKey, UidPlatform};
///
/// let client = Client::builder(
///     UidPlatform::new("M2hULcD5OiYGkmSK")?,
///     SecretKey::new("yIKirCvplm0N1DOg")?,
///     "https://api.kupikupi.example/v1/",
/// )
/// .timeout(Duration::from_secs(10))
/// .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    uid_platform: UidPlatform,
    secret_key: SecretKey,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
}

impl ClientBuilder {
    pub(super) fn new(uid_platform: UidPlatform, secret_key: SecretKey, base_url: &str) -> Self {
        ClientBuilder {
            uid_platform,
            secret_key,
            base_url: base_url.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: concat!("kupikupi-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
        }
    }

    /// Sets how long opening a connection may take. Default: 5 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one try may take, from sending the request to reading
    /// the whole reply. Default: 20 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the `User-Agent` header. Default: `kupikupi-rs/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets how failed `Balance` and `CheckOut` calls, and `Init` calls that
    /// never left this machine, are retried. Default: [`RetryPolicy::default`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Validates the configuration and builds the client.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Config`] when the base URL is not an absolute `https`
    /// URL (plain `http` is accepted only for loopback addresses, for tests
    /// and the sandbox), carries a user name, password, query or fragment, a
    /// timeout is zero, or the HTTP client cannot be created.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = validate_base_url(&self.base_url)?;
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::Config("timeouts must be greater than zero".into()));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|source| Error::Config(format!("cannot create the HTTP client: {source}")))?;
        Ok(Client {
            inner: std::sync::Arc::new(Inner {
                http,
                uid_platform: self.uid_platform,
                secret_key: self.secret_key,
                base_url,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }
}

/// Checks the base URL and makes sure its path ends in `/`, so that method
/// names join onto it.
pub(crate) fn validate_base_url(text: &str) -> Result<Url, Error> {
    let mut url = Url::parse(text)
        .map_err(|source| Error::Config(format!("invalid base URL {text:?}: {source}")))?;
    if !is_secure_url(&url) {
        return Err(Error::Config(format!(
            "invalid base URL {text:?}: use https (plain http is accepted only for 127.0.0.1, ::1 and localhost)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "invalid base URL: remove the user name and password; the Token authenticates requests"
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "invalid base URL {text:?}: remove the query and fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether a URL is `https`, or `http` on a loopback host.
pub fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_trailing_slash() {
        let url = validate_base_url("https://api.example/v1").unwrap();
        assert_eq!(url.as_str(), "https://api.example/v1/");
    }

    #[test]
    fn base_url_rejects_plain_http_on_public_host() {
        assert!(validate_base_url("http://api.example/").is_err());
    }

    #[test]
    fn base_url_accepts_http_on_loopback() {
        assert!(validate_base_url("http://127.0.0.1:8080").is_ok());
        assert!(validate_base_url("http://[::1]:8080/api").is_ok());
        assert!(validate_base_url("http://localhost:1/").is_ok());
    }

    #[test]
    fn base_url_rejects_relative() {
        assert!(validate_base_url("/api").is_err());
    }

    #[test]
    fn base_url_rejects_other_schemes() {
        assert!(validate_base_url("ftp://api.example/").is_err());
        assert!(validate_base_url("file:///etc/passwd").is_err());
    }

    #[test]
    fn base_url_rejects_credentials() {
        assert!(validate_base_url("https://user:pass@api.example/").is_err());
    }

    #[test]
    fn base_url_rejects_query() {
        assert!(validate_base_url("https://api.example/?a=1").is_err());
    }
}
