//! Mounting the routes: the builder, its `Scope` and the `App::configure`
//! function.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, Scope};
use kupikupi::{KupiKupiOrder, PaymentMethod};
use tracing::{debug, warn};
use url::Url;

use crate::locks::KeyedLocks;
use crate::respond::Problem;
use crate::store::{IdOf, OrderStore};
use crate::{checkout, notification, return_route};

/// The path prefix the routes are mounted under unless set otherwise.
pub const DEFAULT_PREFIX: &str = "/kupikupi";

/// The KupiKupi routes of a shop, ready to mount.
///
/// Built once, before `HttpServer::new`, and mounted in every worker's `App`
/// with [`KupiKupiRoutes::finish`] or [`configure`]. All workers share the
/// payment method, the store and the per-order locks.
///
/// Under the prefix (default [`DEFAULT_PREFIX`]) it serves:
///
/// | Route | Purpose |
/// |---|---|
/// | `POST {prefix}/checkout/{id}` | starts or resumes the payment and redirects to the service's form |
/// | `POST {prefix}/notifications` | receives the service's notifications (set this URL at the service) |
/// | `GET {prefix}/return/{id}` | where the form sends the customer back; checks the payment and redirects |
///
/// `{id}` is the merchant's order id as [`KupiKupiOrder::id`] writes it,
/// without the deployment prefix.
pub struct KupiKupiRoutes<S: OrderStore> {
    shared: Shared<S>,
}

/// The handlers' shared state: one per mount, used by all workers.
pub(crate) struct Shared<S: OrderStore> {
    pub(crate) method: Arc<dyn PaymentMethod>,
    pub(crate) store: Arc<S>,
    pub(crate) prefix: Arc<str>,
    pub(crate) public_base_url: Option<Arc<Url>>,
    pub(crate) locks: KeyedLocks<kupikupi::OrderId>,
    pub(crate) rejections: Arc<crate::notification::RejectionLog>,
    warned_no_base: Arc<AtomicBool>,
}

impl<S: OrderStore> Clone for Shared<S> {
    fn clone(&self) -> Self {
        Shared {
            method: Arc::clone(&self.method),
            store: Arc::clone(&self.store),
            prefix: Arc::clone(&self.prefix),
            public_base_url: self.public_base_url.clone(),
            locks: self.locks.clone(),
            rejections: Arc::clone(&self.rejections),
            warned_no_base: Arc::clone(&self.warned_no_base),
        }
    }
}

impl<S: OrderStore> Clone for KupiKupiRoutes<S> {
    fn clone(&self) -> Self {
        KupiKupiRoutes {
            shared: self.shared.clone(),
        }
    }
}

impl<S: OrderStore> fmt::Debug for KupiKupiRoutes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KupiKupiRoutes")
            .field("method", &self.shared.method.name())
            .field("prefix", &self.shared.prefix)
            .field(
                "public_base_url",
                &self.shared.public_base_url.as_deref().map(Url::as_str),
            )
            .finish_non_exhaustive()
    }
}

/// A setting of [`KupiKupiRoutes`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The public base URL is not an absolute `http` or `https` URL.
    #[error(
        "invalid public base URL {url:?}: {reason}; give the shop's public address, like https://shop.example/"
    )]
    PublicBaseUrl {
        /// The rejected text.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl<S: OrderStore> KupiKupiRoutes<S> {
    pub(crate) fn shared(&self) -> &Shared<S> {
        &self.shared
    }

    /// Starts the routes with the shop's payment method (such as
    /// `Arc::new(KupiKupi::new(client))`) and order store.
    pub fn new(method: Arc<dyn PaymentMethod>, store: S) -> Self {
        KupiKupiRoutes {
            shared: Shared {
                method,
                store: Arc::new(store),
                prefix: Arc::from(DEFAULT_PREFIX),
                public_base_url: None,
                locks: KeyedLocks::new(),
                rejections: Arc::new(crate::notification::RejectionLog::new()),
                warned_no_base: Arc::new(AtomicBool::new(false)),
            },
        }
    }

    /// Mounts the routes under another path prefix, such as `/pay`; `/` or
    /// an empty string mounts them at the root. A missing leading `/` is
    /// added and trailing ones are removed.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.shared.prefix = Arc::from(normalize_prefix(prefix));
        self
    }

    /// Sets the shop's public address, such as `https://shop.example/`: the
    /// origin customers' browsers reach the shop at.
    ///
    /// It is needed for two things. The payment form sends the customer
    /// back to `{base}{prefix}/return/{id}`, which must be an absolute URL,
    /// and relative `success_url` and `fail_url` templates of the order type
    /// (such as `/orders/{id}`) are resolved against it, as a browser would
    /// resolve a link on the base page. Without it, the form gets only
    /// absolute templates and the customer returns there directly, so a
    /// lost notification is caught only by the next notification.
    ///
    /// # Errors
    ///
    /// Returns [`ConfigError::PublicBaseUrl`] unless the text is an
    /// absolute `http` or `https` URL with a host and without credentials,
    /// query or fragment.
    pub fn public_base_url(mut self, url: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::PublicBaseUrl {
            url: url.to_owned(),
            reason,
        };
        let parsed = Url::parse(url).map_err(|_| invalid("not an absolute URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if parsed.host().is_none() {
            return Err(invalid("it has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        self.shared.public_base_url = Some(Arc::new(parsed));
        Ok(self)
    }

    /// The path prefix, without a trailing `/`.
    pub fn path_prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// The order store.
    pub fn store(&self) -> &Arc<S> {
        &self.shared.store
    }

    /// Builds the routes as a scope for `App::service`.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use kupikupi_actix::{KupiKupiRoutes, OrderStore};
    /// # fn demo<S: OrderStore>(routes: KupiKupiRoutes<S>) {
    /// use actix_web::{App, HttpServer};
    ///
    /// HttpServer::new(move || App::new().service(routes.finish()));
    /// # }
    /// ```
    pub fn finish(&self) -> Scope {
        let shared = &self.shared;
        if shared.public_base_url.is_none() && !shared.warned_no_base.swap(true, Ordering::Relaxed)
        {
            warn!(
                prefix = %shared.prefix,
                "no public base URL set: the payment form cannot send customers back to the return route"
            );
        }
        debug!(prefix = %shared.prefix, method = shared.method.name(), "mounting KupiKupi routes");
        web::scope(&shared.prefix)
            .app_data(web::Data::new(shared.clone()))
            .service(
                web::resource("/notifications")
                    .route(web::post().to(notification::handle::<S>))
                    .default_service(web::to(allow_post)),
            )
            .service(
                web::resource("/checkout/{order_id}")
                    .route(web::post().to(checkout::handle::<S>))
                    .default_service(web::to(allow_post)),
            )
            .service(
                web::resource("/return/{order_id}")
                    .route(web::get().to(return_route::handle::<S>))
                    .default_service(web::to(allow_get)),
            )
    }
}

/// Mounts the routes through `App::configure`.
///
/// ```no_run
/// # use kupikupi_actix::{KupiKupiRoutes, OrderStore};
/// # fn demo<S: OrderStore>(routes: KupiKupiRoutes<S>) {
/// use actix_web::{App, HttpServer};
///
/// HttpServer::new(move || App::new().configure(kupikupi_actix::configure(&routes)));
/// # }
/// ```
pub fn configure<S: OrderStore>(
    routes: &KupiKupiRoutes<S>,
) -> impl FnOnce(&mut ServiceConfig) + 'static {
    let scope = routes.finish();
    move |config: &mut ServiceConfig| {
        config.service(scope);
    }
}

impl<S: OrderStore> Shared<S> {
    /// The absolute URL of the return route for an order, if a public base
    /// URL is set.
    pub(crate) fn return_url(&self, id: &IdOf<S>) -> Option<Url> {
        let mut url = Url::clone(self.public_base_url.as_deref()?);
        let path = format!("{}{}", url.path().trim_end_matches('/'), self.prefix);
        url.set_path(&path);
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .push("return")
            .push(&id.to_string());
        Some(url)
    }

    /// The path of one of the routes for an order, such as
    /// `/kupikupi/checkout/42`, with the id percent-encoded.
    pub(crate) fn route_path(&self, route: &str, id: &IdOf<S>) -> String {
        // The URL only encodes the path; a constant absolute URL always parses.
        let Ok(mut url) = Url::parse("http://localhost/") else {
            return String::new();
        };
        url.set_path(&self.prefix);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(route).push(&id.to_string());
        }
        url.path().to_owned()
    }

    /// Where to send the customer after a payment: the order type's
    /// success or fail URL, resolved and checked by [`resolve_return_target`].
    pub(crate) fn order_target(&self, order: &S::Order, success: bool) -> Option<String> {
        let (template, filled) = if success {
            (
                <S::Order as KupiKupiOrder>::SUCCESS_URL,
                order.success_url(),
            )
        } else {
            (<S::Order as KupiKupiOrder>::FAIL_URL, order.fail_url())
        };
        let filled = filled?;
        // An order type that overrides the URL methods instead of setting the
        // templates is checked against the URL it returns.
        let template = template.unwrap_or(&filled);
        let target = resolve_return_target(template, &filled, self.public_base_url.as_deref());
        if target.is_none() {
            warn!(
                order_id = %order.id(),
                success,
                "the order's return URL leaves the shop's origin or is not a URL; showing a page instead"
            );
        }
        target
    }
}

/// Resolves a filled-in success or fail URL and accepts it only if it stays
/// on the origin its template names: the template's own origin when the
/// template is absolute, else the public base URL's, else the same site as
/// a path that starts with a single `/`. Filling in an order id can
/// therefore never lead off-site.
pub(crate) fn resolve_return_target(
    template: &str,
    filled: &str,
    base: Option<&Url>,
) -> Option<String> {
    if let Ok(template_url) = Url::parse(template) {
        // Templates are written by the merchant; `{id}` in the host is not
        // supported, so the origin of the empty-id form is the allowed one.
        let allowed = Url::parse(&kupikupi::fill_id(template, &"0")).unwrap_or(template_url);
        let target = Url::parse(filled).ok()?;
        return (is_web_url(&target) && target.origin() == allowed.origin())
            .then(|| target.to_string());
    }
    match base {
        Some(base) => {
            let target = base.join(filled).ok()?;
            (is_web_url(&target) && target.origin() == base.origin()).then(|| target.to_string())
        }
        None => is_local_path(filled).then(|| filled.to_owned()),
    }
}

/// Adds a missing leading `/` and removes trailing ones; the root is `""`.
fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_end_matches('/');
    if trimmed.is_empty() || trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

fn is_web_url(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host().is_some()
}

/// Whether a relative reference stays on the current origin: it starts with
/// one `/`, not `//` or `/\`, which browsers read as another host.
fn is_local_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !path.chars().any(|character| character.is_control())
}

async fn allow_post(request: HttpRequest) -> HttpResponse {
    method_not_allowed(&request, "POST")
}

async fn allow_get(request: HttpRequest) -> HttpResponse {
    method_not_allowed(&request, "GET")
}

fn method_not_allowed(request: &HttpRequest, allow: &'static str) -> HttpResponse {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "This address does not accept this kind of request.",
    )
    .with_allow(allow)
    .respond(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://shop.example/").unwrap()
    }

    #[test]
    fn relative_template_resolves_against_base() {
        let target = resolve_return_target("/orders/{id}", "/orders/7", Some(&base()));
        assert_eq!(target.as_deref(), Some("https://shop.example/orders/7"));
    }

    #[test]
    fn relative_template_without_base_stays_relative() {
        let target = resolve_return_target("/orders/{id}", "/orders/7", None);
        assert_eq!(target.as_deref(), Some("/orders/7"));
    }

    #[test]
    fn protocol_relative_result_rejected() {
        assert_eq!(
            resolve_return_target("/{id}", "//evil.example", Some(&base())),
            None
        );
        assert_eq!(resolve_return_target("/{id}", "//evil.example", None), None);
        assert_eq!(
            resolve_return_target("/{id}", "/\\evil.example", None),
            None
        );
    }

    #[test]
    fn absolute_template_keeps_its_origin() {
        let target = resolve_return_target(
            "https://account.shop.example/orders/{id}",
            "https://account.shop.example/orders/7",
            Some(&base()),
        );
        assert_eq!(
            target.as_deref(),
            Some("https://account.shop.example/orders/7")
        );
    }

    #[test]
    fn id_that_changes_host_rejected() {
        let target = resolve_return_target(
            "https://shop.example{id}",
            "https://shop.example@evil.example/",
            Some(&base()),
        );
        assert_eq!(target, None);
    }

    #[test]
    fn prefix_gets_one_leading_slash() {
        assert_eq!(normalize_prefix("pay/"), "/pay");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix("/a/b"), "/a/b");
    }
}
