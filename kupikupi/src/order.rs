//! The order trait that `#[derive(KupiKupiOrder)]` implements.

use std::fmt;
use std::str::FromStr;

use crate::{Kopecks, OrderId, OrderIdError, Phone, PhoneError};

/// A merchant's order as the KupiKupi integration sees it.
///
/// Implement it with `#[derive(KupiKupiOrder)]` (see the derive's
/// documentation for the attributes). The derive fills in the required
/// methods and constants; the provided methods build on them and should not
/// need overriding.
pub trait KupiKupiOrder {
    /// The merchant's own type of order id, for example `i64` or `Uuid`.
    /// It must write as text and parse back, so that the id in a
    /// notification maps to the merchant's typed id.
    type Id: fmt::Display + FromStr + Send + Sync + 'static;

    /// Prepended to every order id this deployment sends, so that two shops,
    /// or staging and production, on one platform never share an id.
    const ID_PREFIX: &'static str = "";

    /// Template of the page the customer returns to after a confirmed
    /// payment; `{id}` is replaced by the order's id.
    const SUCCESS_URL: Option<&'static str> = None;

    /// Template of the page the customer returns to after a failed or
    /// cancelled payment; `{id}` is replaced by the order's id.
    const FAIL_URL: Option<&'static str> = None;

    /// Template of the text shown on the service's payment form when the
    /// order has no description of its own; `{id}` is replaced by the
    /// order's id.
    const DESCRIPTION: Option<&'static str> = None;

    /// The merchant's id of this order.
    fn id(&self) -> &Self::Id;

    /// The amount to pay.
    ///
    /// # Errors
    ///
    /// Returns [`OrderError`] when the stored amount is zero, negative, or
    /// does not convert to kopecks exactly.
    fn amount(&self) -> Result<Kopecks, OrderError>;

    /// The customer's phone, if the order stores one.
    ///
    /// # Errors
    ///
    /// Returns [`OrderError::Phone`] when the stored phone is not valid.
    fn phone(&self) -> Result<Option<Phone>, OrderError>;

    /// Text the service shows on its payment form: by default
    /// [`Self::DESCRIPTION`] with `{id}` filled in.
    fn description(&self) -> Option<String> {
        Self::DESCRIPTION.map(|template| fill_id(template, self.id()))
    }

    /// The id sent to the service: [`Self::ID_PREFIX`] followed by the id.
    ///
    /// # Errors
    ///
    /// Returns [`OrderError::OrderId`] when the result is not a valid
    /// [`OrderId`].
    fn order_id(&self) -> Result<OrderId, OrderError> {
        OrderId::new(format!("{}{}", Self::ID_PREFIX, self.id())).map_err(OrderError::OrderId)
    }

    /// Maps an order id received from the service back to the merchant's id:
    /// checks and strips [`Self::ID_PREFIX`], then parses the rest.
    ///
    /// # Errors
    ///
    /// Returns [`OrderError::ForeignOrderId`] when the id lacks the prefix or
    /// does not parse, which means the order is not one of this deployment's.
    fn parse_order_id(order_id: &OrderId) -> Result<Self::Id, OrderError> {
        let foreign = || OrderError::ForeignOrderId {
            order_id: order_id.clone(),
            prefix: Self::ID_PREFIX,
        };
        let rest = order_id
            .as_str()
            .strip_prefix(Self::ID_PREFIX)
            .ok_or_else(foreign)?;
        let id = rest.parse::<Self::Id>().map_err(|_| foreign())?;
        // An id type whose text form is not canonical (leading zeros, `+1`)
        // would let two wire ids name one order; accept only the canonical one.
        if id.to_string() == rest {
            Ok(id)
        } else {
            Err(foreign())
        }
    }

    /// Where the customer returns after a confirmed payment, with `{id}`
    /// filled in. A relative path is resolved against the shop's address by
    /// the web integration.
    fn success_url(&self) -> Option<String> {
        Self::SUCCESS_URL.map(|template| fill_id(template, self.id()))
    }

    /// Where the customer returns after a failed or cancelled payment.
    fn fail_url(&self) -> Option<String> {
        Self::FAIL_URL.map(|template| fill_id(template, self.id()))
    }
}

/// Replaces every `{id}` in a template by the id's text.
pub fn fill_id(template: &str, id: &impl fmt::Display) -> String {
    template.replace("{id}", &id.to_string())
}

/// Why an order cannot be paid as stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The amount is zero or negative.
    #[error("invalid order amount {0}: a payment needs a positive amount")]
    NonPositiveAmount(String),
    /// Converting whole rubles to kopecks overflowed.
    #[error("invalid order amount {0} rubles: too large to express in kopecks")]
    AmountOverflow(String),
    /// A ruble amount with more than two decimal places.
    #[error(
        "invalid order amount {0} rubles: more than two decimal places; kopecks are the smallest unit"
    )]
    FractionalKopecks(String),
    /// The stored phone is invalid.
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// The order has no phone and none was given.
    #[error("the order has no customer phone; ask the customer for it")]
    MissingPhone,
    /// Prefix plus id is not a valid order id.
    #[error(transparent)]
    OrderId(#[from] OrderIdError),
    /// An order id from the service that is not one of this deployment's.
    #[error(
        "order id {order_id} does not belong to this shop (expected prefix {prefix:?} followed by an id of the order type)"
    )]
    ForeignOrderId {
        /// The id received.
        order_id: OrderId,
        /// The prefix this order type expects.
        prefix: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Order {
        id: u32,
    }

    impl KupiKupiOrder for Order {
        type Id = u32;
        const ID_PREFIX: &'static str = "shop1-";
        const SUCCESS_URL: Option<&'static str> = Some("/orders/{id}");

        fn id(&self) -> &u32 {
            &self.id
        }

        fn amount(&self) -> Result<Kopecks, OrderError> {
            Ok(Kopecks::new(100))
        }

        fn phone(&self) -> Result<Option<Phone>, OrderError> {
            Ok(None)
        }
    }

    fn wire(text: &str) -> OrderId {
        OrderId::new(text).unwrap()
    }

    #[test]
    fn order_id_adds_prefix() {
        assert_eq!(Order { id: 42 }.order_id().unwrap().as_str(), "shop1-42");
    }

    #[test]
    fn parse_order_id_strips_prefix() {
        assert_eq!(Order::parse_order_id(&wire("shop1-42")).unwrap(), 42);
    }

    #[test]
    fn parse_order_id_rejects_missing_prefix() {
        assert!(matches!(
            Order::parse_order_id(&wire("42")),
            Err(OrderError::ForeignOrderId { .. })
        ));
    }

    #[test]
    fn parse_order_id_rejects_other_prefix() {
        assert!(Order::parse_order_id(&wire("shop2-42")).is_err());
    }

    #[test]
    fn parse_order_id_rejects_unparsable_rest() {
        assert!(Order::parse_order_id(&wire("shop1-abc")).is_err());
    }

    #[test]
    fn parse_order_id_rejects_non_canonical_number() {
        assert!(Order::parse_order_id(&wire("shop1-042")).is_err());
    }

    #[test]
    fn success_url_fills_id() {
        assert_eq!(Order { id: 7 }.success_url().as_deref(), Some("/orders/7"));
    }

    #[test]
    fn description_defaults_to_none() {
        assert_eq!(Order { id: 7 }.description(), None);
    }

    #[test]
    fn fail_url_defaults_to_none() {
        assert_eq!(Order { id: 7 }.fail_url(), None);
    }
}
