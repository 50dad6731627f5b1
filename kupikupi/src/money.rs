//! Amounts of money and points, in integer kopecks.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An amount in kopecks (1/100 of a ruble); points are counted the same way.
///
/// The value is a whole number, so no rounding ever happens. Arithmetic is
/// checked: an overflow returns `None` instead of wrapping.
///
/// ```
/// use kupikupi::Kopecks;
///
/// let price = Kopecks::from_rubles(1234).unwrap().checked_add(Kopecks::new(56)).unwrap();
/// assert_eq!(price.get(), 123_456);
/// assert_eq!(price.to_string(), "1234.56 ₽");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kopecks(u64);

impl Kopecks {
    /// Zero kopecks.
    pub const ZERO: Kopecks = Kopecks(0);

    /// Wraps a number of kopecks.
    pub const fn new(kopecks: u64) -> Self {
        Kopecks(kopecks)
    }

    /// Converts whole rubles into kopecks, or `None` if the result would not
    /// fit in a `u64`.
    pub const fn from_rubles(rubles: u64) -> Option<Self> {
        match rubles.checked_mul(100) {
            Some(kopecks) => Some(Kopecks(kopecks)),
            None => None,
        }
    }

    /// The number of kopecks.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Adds two amounts, or `None` on overflow.
    pub const fn checked_add(self, other: Kopecks) -> Option<Kopecks> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Kopecks(sum)),
            None => None,
        }
    }

    /// Subtracts `other`, or `None` if it is larger than `self`.
    pub const fn checked_sub(self, other: Kopecks) -> Option<Kopecks> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Kopecks(difference)),
            None => None,
        }
    }

    /// Multiplies by a count, for example a quantity of items, or `None` on
    /// overflow.
    pub const fn checked_mul(self, count: u64) -> Option<Kopecks> {
        match self.0.checked_mul(count) {
            Some(product) => Some(Kopecks(product)),
            None => None,
        }
    }
}

impl From<u64> for Kopecks {
    fn from(kopecks: u64) -> Self {
        Kopecks(kopecks)
    }
}

impl From<Kopecks> for u64 {
    fn from(amount: Kopecks) -> Self {
        amount.0
    }
}

/// Formats as rubles and kopecks: `1234.56 ₽`, `0.05 ₽`.
impl fmt::Display for Kopecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02} ₽", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Kopecks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Kopecks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KopecksVisitor)
    }
}

struct KopecksVisitor;

impl Visitor<'_> for KopecksVisitor {
    type Value = Kopecks;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer number of kopecks")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Kopecks, E> {
        Ok(Kopecks(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Kopecks, E> {
        u64::try_from(value).map(Kopecks).map_err(|_| {
            E::custom(format_args!(
                "invalid amount {value}: expected a non-negative integer number of kopecks"
            ))
        })
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Kopecks, E> {
        u64::try_from(value).map(Kopecks).map_err(|_| {
            E::custom(format_args!(
                "invalid amount {value}: larger than the maximum of {} kopecks",
                u64::MAX
            ))
        })
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Kopecks, E> {
        u64::try_from(value).map(Kopecks).map_err(|_| {
            E::custom(format_args!(
                "invalid amount {value}: expected an integer from 0 to {} kopecks",
                u64::MAX
            ))
        })
    }

    // serde_json hands a number with a fraction or an exponent, and an
    // integer above u64::MAX, to this method.
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Kopecks, E> {
        Err(E::custom(format_args!(
            "invalid amount {value}: expected an integer number of kopecks, not a fraction, an exponent or a number above {}",
            u64::MAX
        )))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Kopecks, E> {
        Err(E::custom(format_args!(
            "invalid amount {value:?}: expected a JSON integer number of kopecks, not a string"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Kopecks, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn display_shows_rubles_and_kopecks() {
        assert_eq!(Kopecks::new(123_456).to_string(), "1234.56 ₽");
        assert_eq!(Kopecks::new(5).to_string(), "0.05 ₽");
        assert_eq!(Kopecks::ZERO.to_string(), "0.00 ₽");
        assert_eq!(
            Kopecks::new(u64::MAX).to_string(),
            "184467440737095516.15 ₽"
        );
    }

    #[test]
    fn from_rubles_multiplies_by_hundred() {
        assert_eq!(Kopecks::from_rubles(12), Some(Kopecks::new(1200)));
    }

    #[test]
    fn from_rubles_rejects_overflow() {
        assert_eq!(Kopecks::from_rubles(u64::MAX / 100 + 1), None);
    }

    #[test]
    fn checked_arithmetic_detects_overflow() {
        assert_eq!(Kopecks::new(u64::MAX).checked_add(Kopecks::new(1)), None);
        assert_eq!(Kopecks::new(1).checked_sub(Kopecks::new(2)), None);
        assert_eq!(Kopecks::new(u64::MAX).checked_mul(2), None);
        assert_eq!(Kopecks::new(7).checked_mul(3), Some(Kopecks::new(21)));
        assert_eq!(
            Kopecks::new(7).checked_sub(Kopecks::new(2)),
            Some(Kopecks::new(5))
        );
    }

    #[test]
    fn serializes_as_integer() {
        assert_eq!(serde_json::to_string(&Kopecks::new(972)).unwrap(), "972");
    }

    #[test]
    fn deserializes_integers() {
        assert_eq!(parse("0").unwrap(), Kopecks::ZERO);
        assert_eq!(
            parse("18446744073709551615").unwrap(),
            Kopecks::new(u64::MAX)
        );
    }

    #[test]
    fn rejects_fraction_naming_it() {
        let message = parse("100.5").unwrap_err().to_string();
        assert!(message.contains("100.5"), "{message}");
    }

    #[test]
    fn rejects_negative_naming_it() {
        let message = parse("-1").unwrap_err().to_string();
        assert!(message.contains("-1"), "{message}");
    }

    #[test]
    fn rejects_exponent_naming_it() {
        let message = parse("1e3").unwrap_err().to_string();
        assert!(message.contains("1000"), "{message}");
    }

    #[test]
    fn rejects_string_naming_it() {
        let message = parse("\"100\"").unwrap_err().to_string();
        assert!(message.contains("\"100\""), "{message}");
    }

    #[test]
    fn rejects_value_above_u64_max_naming_it() {
        let message = parse("18446744073709551616").unwrap_err().to_string();
        assert!(message.contains("18446744073709552000"), "{message}");
    }

    #[test]
    fn rejects_null_and_bool() {
        assert!(parse("null").is_err());
        assert!(parse("true").is_err());
    }
}
