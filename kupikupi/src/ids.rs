//! Identifiers and credentials.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The maximum length of an [`OrderId`], in characters.
pub const ORDER_ID_MAX_LEN: usize = 50;

/// An order id as sent to the service: 1 to 50 characters, each an ASCII
/// letter, a digit, `-`, `_` or `.`.
///
/// ```
/// use kupikupi::OrderId;
///
/// let id: OrderId = "shop1-1042".parse().unwrap();
/// assert_eq!(id.as_str(), "shop1-1042");
/// assert!("order #1".parse::<OrderId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

/// Why an order id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderIdError {
    /// The id is empty.
    #[error("invalid order id: it is empty")]
    Empty,
    /// The id is longer than [`ORDER_ID_MAX_LEN`].
    #[error("invalid order id: it has {0} characters, the maximum is 50")]
    TooLong(usize),
    /// The id has a character the service does not accept.
    #[error(
        "invalid order id {id:?}: character {character:?} is not allowed; use ASCII letters, digits, '-', '_' and '.'"
    )]
    InvalidCharacter {
        /// The rejected id.
        id: String,
        /// The first character that is not allowed.
        character: char,
    },
}

/// Whether `character` may appear in an [`OrderId`].
pub const fn is_order_id_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.')
}

impl OrderId {
    /// Validates and wraps an order id.
    ///
    /// # Errors
    ///
    /// Returns [`OrderIdError`] when the id is empty, longer than 50
    /// characters, or has a character other than ASCII letters, digits, `-`,
    /// `_` and `.`.
    pub fn new(id: impl Into<String>) -> Result<OrderId, OrderIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(OrderIdError::Empty);
        }
        if let Some(character) = id.chars().find(|character| !is_order_id_char(*character)) {
            return Err(OrderIdError::InvalidCharacter { id, character });
        }
        // All characters are ASCII here, so the byte length is the character count.
        if id.len() > ORDER_ID_MAX_LEN {
            return Err(OrderIdError::TooLong(id.len()));
        }
        Ok(OrderId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrderId {
    type Err = OrderIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OrderId::new(text)
    }
}

impl Serialize for OrderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Accepts a JSON string or a non-negative integer, as the service's
/// reference client sends order ids as integers.
impl<'de> Deserialize<'de> for OrderId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderIdVisitor;

        impl Visitor<'_> for OrderIdVisitor {
            type Value = OrderId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an order id: a string of 1 to 50 characters or an integer")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<OrderId, E> {
                OrderId::new(value.to_string()).map_err(E::custom)
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<OrderId, E> {
                OrderId::new(value).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(OrderIdVisitor)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps the text.
            ///
            /// # Errors
            ///
            /// Returns a message when the text is empty.
            pub fn new(text: impl Into<String>) -> Result<Self, EmptyIdError> {
                let text = text.into();
                if text.is_empty() {
                    Err(EmptyIdError($what))
                } else {
                    Ok($name(text))
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = EmptyIdError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::new(text)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct IdVisitor;

                impl Visitor<'_> for IdVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a non-empty ", $what, " as a string or an integer"))
                    }

                    fn visit_u64<E: de::Error>(self, value: u64) -> Result<$name, E> {
                        Ok($name(value.to_string()))
                    }

                    fn visit_str<E: de::Error>(self, value: &str) -> Result<$name, E> {
                        $name::new(value).map_err(E::custom)
                    }
                }

                deserializer.deserialize_any(IdVisitor)
            }
        }
    };
}

/// An identifier that must not be empty was empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0}: it is empty")]
pub struct EmptyIdError(&'static str);

string_id!(
    /// The service's id of one payment attempt for an order.
    PaymentId,
    "payment id"
);

string_id!(
    /// The platform identifier the service issues to a merchant, sent as
    /// `UidPlatform` in every request.
    UidPlatform,
    "platform uid"
);

/// The merchant's secret key, which signs every request and notification.
///
/// `Debug` prints a placeholder, it has no `Display`, and it is not
/// `Serialize`, so the key cannot reach a log or a body by accident.
///
/// ```
/// use kupikupi::SecretKey;
///
/// let key = SecretKey::new("yIKirCvplm0N1DOg").unwrap();
/// assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
/// ```
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret key.
    ///
    /// # Errors
    ///
    /// Returns [`EmptyIdError`] when the key is empty.
    pub fn new(key: impl Into<String>) -> Result<SecretKey, EmptyIdError> {
        let key = key.into();
        if key.is_empty() {
            Err(EmptyIdError("secret key"))
        } else {
            Ok(SecretKey(key))
        }
    }

    /// The key itself, for signing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_id_accepts_allowed_characters() {
        assert_eq!(OrderId::new("Ab-9_x.1").unwrap().as_str(), "Ab-9_x.1");
    }

    #[test]
    fn order_id_accepts_fifty_characters() {
        assert!(OrderId::new("a".repeat(50)).is_ok());
    }

    #[test]
    fn order_id_rejects_fifty_one_characters() {
        assert_eq!(OrderId::new("a".repeat(51)), Err(OrderIdError::TooLong(51)));
    }

    #[test]
    fn order_id_rejects_empty() {
        assert_eq!(OrderId::new(""), Err(OrderIdError::Empty));
    }

    #[test]
    fn order_id_rejects_space() {
        assert!(matches!(
            OrderId::new("order 1"),
            Err(OrderIdError::InvalidCharacter { character: ' ', .. })
        ));
    }

    #[test]
    fn order_id_rejects_cyrillic() {
        assert!(matches!(
            OrderId::new("заказ1"),
            Err(OrderIdError::InvalidCharacter {
                character: 'з', ..
            })
        ));
    }

    #[test]
    fn order_id_rejects_slash() {
        assert!(OrderId::new("../1").is_err());
    }

    #[test]
    fn order_id_deserializes_integer() {
        let id: OrderId = serde_json::from_str("9921").unwrap();
        assert_eq!(id.as_str(), "9921");
    }

    #[test]
    fn order_id_deserialize_rejects_invalid() {
        assert!(serde_json::from_str::<OrderId>("\"a b\"").is_err());
        assert!(serde_json::from_str::<OrderId>("-1").is_err());
    }

    #[test]
    fn payment_id_rejects_empty() {
        assert!(PaymentId::new("").is_err());
        assert!(serde_json::from_str::<PaymentId>("\"\"").is_err());
    }

    #[test]
    fn payment_id_deserializes_integer() {
        let id: PaymentId = serde_json::from_str("123").unwrap();
        assert_eq!(id.as_str(), "123");
    }

    #[test]
    fn secret_key_rejects_empty() {
        assert!(SecretKey::new("").is_err());
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        let key = SecretKey::new("canary-secret").unwrap();
        assert!(!format!("{key:?}").contains("canary"));
        assert!(!format!("{:#?}", Some(key)).contains("canary"));
    }
}
