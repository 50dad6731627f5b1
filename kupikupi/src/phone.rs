//! Russian mobile phone numbers, the customer's identity at the service.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A customer's phone: 11 digits starting with `7`, such as `79000000000`.
///
/// Parsing accepts the ways people write such a number (`79000000000`,
/// `+7 900 000-00-00`, `8 (900) 000-00-00`, `9000000000`) and stores the
/// 11-digit form. `Debug` and `Display` mask the middle digits so that a
/// number written to a log cannot identify the customer; the full number is
/// returned only by [`Phone::full`] and [`Phone::as_u64`].
///
/// ```
/// use kupikupi::Phone;
///
/// let phone: Phone = "+7 (900) 123-45-67".parse().unwrap();
/// assert_eq!(phone.full(), "79001234567");
/// assert_eq!(phone.to_string(), "+7 900 ***-**-67");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone {
    digits: [u8; 11],
}

/// Why a phone number was rejected. The message never repeats the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// The text is empty or has only separators.
    #[error("invalid phone number: it is empty")]
    Empty,
    /// A character other than a digit, space, `+`, `-`, `(`, `)` or `.`.
    #[error(
        "invalid phone number: unexpected character {0:?}; write 11 digits starting with 7, like +7 900 000-00-00"
    )]
    InvalidCharacter(char),
    /// Too few or too many digits.
    #[error(
        "invalid phone number: it has {0} digits; write 11 digits starting with 7, or 10 digits starting with 9"
    )]
    WrongLength(usize),
    /// A number of another country, or not a mobile number.
    #[error(
        "invalid phone number: it must be a Russian number starting with +7 or 8; other country codes are not served"
    )]
    WrongCountry,
}

impl Phone {
    /// Parses a phone number written in one of the common forms.
    ///
    /// # Errors
    ///
    /// Returns [`PhoneError`] when the text has other characters, the wrong
    /// number of digits, or another country code.
    pub fn parse(text: &str) -> Result<Phone, PhoneError> {
        let trimmed = text.trim();
        let mut digits = Vec::with_capacity(11);
        let mut plus = false;
        for (index, character) in trimmed.char_indices() {
            match character {
                '0'..='9' => digits.push(character as u8 - b'0'),
                '+' if index == 0 => plus = true,
                ' ' | '-' | '(' | ')' | '.' | '\u{a0}' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        match (digits.len(), digits.first(), plus) {
            (0, _, _) => Err(PhoneError::Empty),
            (11, Some(7), _) => Ok(Phone::from_digits(&digits)),
            (11, Some(8), false) => {
                digits[0] = 7;
                Ok(Phone::from_digits(&digits))
            }
            (10, Some(9), false) => {
                digits.insert(0, 7);
                Ok(Phone::from_digits(&digits))
            }
            (11, _, _) | (10, _, true) | (12..=15, _, true) => Err(PhoneError::WrongCountry),
            (count, _, _) => Err(PhoneError::WrongLength(count)),
        }
    }

    /// Builds a phone from the integer form `7XXXXXXXXXX` the service sends.
    ///
    /// # Errors
    ///
    /// Returns [`PhoneError`] unless the number has 11 digits and starts with 7.
    pub fn from_u64(number: u64) -> Result<Phone, PhoneError> {
        if (70_000_000_000..80_000_000_000).contains(&number) {
            Phone::parse(&number.to_string())
        } else if (10_000_000_000..100_000_000_000).contains(&number) {
            Err(PhoneError::WrongCountry)
        } else {
            Err(PhoneError::WrongLength(number.to_string().len()))
        }
    }

    // Callers pass exactly 11 digits, each 0 to 9.
    fn from_digits(source: &[u8]) -> Phone {
        let mut digits = [0u8; 11];
        digits.copy_from_slice(source);
        Phone { digits }
    }

    /// The full 11-digit number, such as `"79001234567"`. Avoid logging it.
    pub fn full(&self) -> String {
        self.digits
            .iter()
            .map(|digit| char::from(b'0' + digit))
            .collect()
    }

    /// The full number as the integer the service expects in requests.
    pub fn as_u64(&self) -> u64 {
        self.digits
            .iter()
            .fold(0, |number, digit| number * 10 + u64::from(*digit))
    }

    /// The number with the middle digits hidden: `+7 900 ***-**-67`.
    pub fn masked(&self) -> String {
        let digit = |index: usize| char::from(b'0' + self.digits[index]);
        format!(
            "+7 {}{}{} ***-**-{}{}",
            digit(1),
            digit(2),
            digit(3),
            digit(9),
            digit(10)
        )
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&self.masked()).finish()
    }
}

/// Masks the middle digits; use [`Phone::full`] for the whole number.
impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Phone::parse(text)
    }
}

impl TryFrom<u64> for Phone {
    type Error = PhoneError;

    fn try_from(number: u64) -> Result<Self, Self::Error> {
        Phone::from_u64(number)
    }
}

/// Serializes as the JSON integer the service expects.
impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.as_u64())
    }
}

/// Accepts a JSON integer or a string in any form [`Phone::parse`] takes.
impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PhoneVisitor)
    }
}

struct PhoneVisitor;

impl Visitor<'_> for PhoneVisitor {
    type Value = Phone;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a phone number of 11 digits starting with 7")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Phone, E> {
        Phone::from_u64(value).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Phone, E> {
        let number =
            u64::try_from(value).map_err(|_| E::custom(PhoneError::InvalidCharacter('-')))?;
        self.visit_u64(number)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Phone, E> {
        Phone::parse(value).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> String {
        Phone::parse(text).unwrap().full()
    }

    #[test]
    fn parses_plain_eleven_digits() {
        assert_eq!(full("79000000000"), "79000000000");
    }

    #[test]
    fn parses_plus_seven_with_separators() {
        assert_eq!(full("+7 900 000-00-00"), "79000000000");
    }

    #[test]
    fn parses_eight_with_brackets() {
        assert_eq!(full("8 (900) 000-00-00"), "79000000000");
    }

    #[test]
    fn parses_ten_digits() {
        assert_eq!(full("9000000000"), "79000000000");
    }

    #[test]
    fn parses_surrounding_whitespace() {
        assert_eq!(full("  79001234567\n"), "79001234567");
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
        assert_eq!(Phone::parse(" - "), Err(PhoneError::Empty));
    }

    #[test]
    fn rejects_letters() {
        assert_eq!(
            Phone::parse("7900abc0000"),
            Err(PhoneError::InvalidCharacter('a'))
        );
    }

    #[test]
    fn rejects_plus_in_the_middle() {
        assert_eq!(
            Phone::parse("79+000000000"),
            Err(PhoneError::InvalidCharacter('+'))
        );
    }

    #[test]
    fn rejects_too_short() {
        assert_eq!(Phone::parse("7900000000"), Err(PhoneError::WrongLength(10)));
        assert_eq!(Phone::parse("790000"), Err(PhoneError::WrongLength(6)));
    }

    #[test]
    fn rejects_too_long() {
        assert_eq!(
            Phone::parse("790000000000"),
            Err(PhoneError::WrongLength(12))
        );
    }

    #[test]
    fn rejects_other_country_code() {
        assert_eq!(
            Phone::parse("+44 20 7946 0958"),
            Err(PhoneError::WrongCountry)
        );
        assert_eq!(
            Phone::parse("+380 44 123 45 67"),
            Err(PhoneError::WrongCountry)
        );
        assert_eq!(Phone::parse("39000000000"), Err(PhoneError::WrongCountry));
    }

    #[test]
    fn rejects_plus_eight() {
        assert_eq!(
            Phone::parse("+8 900 000 00 00"),
            Err(PhoneError::WrongCountry)
        );
    }

    #[test]
    fn rejects_ten_digits_not_starting_with_nine() {
        assert_eq!(Phone::parse("4950000000"), Err(PhoneError::WrongLength(10)));
    }

    #[test]
    fn error_message_does_not_repeat_number() {
        let message = Phone::parse("790012345678").unwrap_err().to_string();
        assert!(!message.contains("790012345678"), "{message}");
    }

    #[test]
    fn debug_and_display_mask_middle_digits() {
        let phone = Phone::parse("79001234567").unwrap();
        assert_eq!(phone.to_string(), "+7 900 ***-**-67");
        assert_eq!(format!("{phone:?}"), "Phone(\"+7 900 ***-**-67\")");
        assert!(!format!("{phone:?}").contains("12345"));
    }

    #[test]
    fn integer_form_round_trips() {
        let phone = Phone::from_u64(79001234567).unwrap();
        assert_eq!(phone.as_u64(), 79001234567);
        assert_eq!(serde_json::to_string(&phone).unwrap(), "79001234567");
    }

    #[test]
    fn from_u64_rejects_other_numbers() {
        assert_eq!(Phone::from_u64(39001234567), Err(PhoneError::WrongCountry));
        assert_eq!(Phone::from_u64(123), Err(PhoneError::WrongLength(3)));
    }

    #[test]
    fn deserializes_integer_and_string() {
        let from_integer: Phone = serde_json::from_str("79001234567").unwrap();
        let from_string: Phone = serde_json::from_str("\"+7 900 123-45-67\"").unwrap();
        assert_eq!(from_integer, from_string);
    }

    #[test]
    fn deserialize_rejects_negative() {
        assert!(serde_json::from_str::<Phone>("-79001234567").is_err());
    }
}
