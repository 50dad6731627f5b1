//! Support code for `#[derive(KupiKupiOrder)]`. Not a public API: it may
//! change in any release, which is why the derive and this crate are
//! published with exactly matching versions.

use std::fmt::Display;
use std::str::FromStr;

pub use std::option::Option;
pub use std::result::Result;
pub use std::string::String;

pub use crate::order::fill_id;
pub use crate::{Kopecks, KupiKupiOrder, OrderError, Phone};

/// A field type that can be an order id: it writes as text and parses back.
/// Generated code bounds a generic id field with it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an order id",
    label = "this field is marked #[kupikupi(id)]",
    note = "an order id must implement Display and FromStr, be Send + Sync and own its data ('static): use an integer, String or a UUID"
)]
pub trait OrderIdType: Display + FromStr + Send + Sync + 'static {}

impl<T: Display + FromStr + Send + Sync + 'static> OrderIdType for T {}

/// A field type that can hold an amount in kopecks.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an amount in kopecks",
    label = "this field is marked #[kupikupi(amount)]",
    note = "store money as an integer number of kopecks (u64, i64, kupikupi::Kopecks); for rubles, as an integer or a rust_decimal::Decimal, write #[kupikupi(amount, rubles)]"
)]
pub trait AmountKopecks {
    /// Converts the stored value, rejecting zero and negative amounts.
    fn to_kopecks(&self) -> Result<Kopecks, OrderError>;
}

/// A field type that can hold an amount in rubles.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an amount in rubles",
    label = "this field is marked #[kupikupi(amount, rubles)]",
    note = "whole rubles are an integer type (u64, i64) and exact fractional rubles are rust_decimal::Decimal with the `decimal` feature; for an amount in kopecks, write #[kupikupi(amount)] without `rubles`"
)]
pub trait AmountRubles {
    /// Converts the stored rubles to kopecks, rejecting zero, negative and
    /// overflowing amounts.
    fn rubles_to_kopecks(&self) -> Result<Kopecks, OrderError>;
}

/// A field type that can hold the customer's phone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a phone number",
    label = "this field is marked #[kupikupi(phone)]",
    note = "use kupikupi::Phone, String, &str, u64 or i64, optionally inside Option"
)]
pub trait PhoneField {
    /// Parses the stored phone.
    fn to_phone(&self) -> Result<Option<Phone>, OrderError>;
}

/// A field type that can hold the order's description.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a description",
    label = "this field is marked #[kupikupi(description)]",
    note = "use String, &str or Option<String>"
)]
pub trait DescriptionField {
    /// The text, if any.
    fn to_description(&self) -> Option<String>;
}

fn positive(kopecks: u64, shown: impl ToString) -> Result<Kopecks, OrderError> {
    if kopecks == 0 {
        Err(OrderError::NonPositiveAmount(shown.to_string()))
    } else {
        Ok(Kopecks::new(kopecks))
    }
}

impl AmountKopecks for Kopecks {
    fn to_kopecks(&self) -> Result<Kopecks, OrderError> {
        positive(self.get(), self.get())
    }
}

macro_rules! integer_amounts {
    ($($int:ty),*) => {$(
        impl AmountKopecks for $int {
            fn to_kopecks(&self) -> Result<Kopecks, OrderError> {
                let kopecks = u64::try_from(*self)
                    .map_err(|_| OrderError::NonPositiveAmount(self.to_string()))?;
                positive(kopecks, self)
            }
        }

        impl AmountRubles for $int {
            fn rubles_to_kopecks(&self) -> Result<Kopecks, OrderError> {
                let rubles = u64::try_from(*self)
                    .map_err(|_| OrderError::NonPositiveAmount(self.to_string()))?;
                let kopecks = Kopecks::from_rubles(rubles)
                    .ok_or_else(|| OrderError::AmountOverflow(self.to_string()))?;
                positive(kopecks.get(), self)
            }
        }
    )*};
}

integer_amounts!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

#[cfg(feature = "decimal")]
impl AmountRubles for rust_decimal::Decimal {
    fn rubles_to_kopecks(&self) -> Result<Kopecks, OrderError> {
        if self.is_sign_negative() || self.is_zero() {
            return Err(OrderError::NonPositiveAmount(self.to_string()));
        }
        let kopecks = self
            .checked_mul(rust_decimal::Decimal::ONE_HUNDRED)
            .ok_or_else(|| OrderError::AmountOverflow(self.to_string()))?
            .normalize();
        if kopecks.scale() != 0 {
            return Err(OrderError::FractionalKopecks(self.to_string()));
        }
        let kopecks = u64::try_from(kopecks.mantissa())
            .map_err(|_| OrderError::AmountOverflow(self.to_string()))?;
        positive(kopecks, self)
    }
}

impl<T: AmountKopecks + ?Sized> AmountKopecks for &T {
    fn to_kopecks(&self) -> Result<Kopecks, OrderError> {
        (**self).to_kopecks()
    }
}

impl<T: AmountRubles + ?Sized> AmountRubles for &T {
    fn rubles_to_kopecks(&self) -> Result<Kopecks, OrderError> {
        (**self).rubles_to_kopecks()
    }
}

impl PhoneField for Phone {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        Ok(Some(self.clone()))
    }
}

impl PhoneField for str {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        Ok(Some(Phone::parse(self)?))
    }
}

impl PhoneField for String {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        self.as_str().to_phone()
    }
}

impl PhoneField for u64 {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        Ok(Some(Phone::from_u64(*self)?))
    }
}

impl PhoneField for i64 {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        let number = u64::try_from(*self).map_err(|_| crate::PhoneError::InvalidCharacter('-'))?;
        number.to_phone()
    }
}

impl<T: PhoneField + ?Sized> PhoneField for &T {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        (**self).to_phone()
    }
}

impl<T: PhoneField> PhoneField for Option<T> {
    fn to_phone(&self) -> Result<Option<Phone>, OrderError> {
        match self {
            Some(phone) => phone.to_phone(),
            None => Ok(None),
        }
    }
}

impl DescriptionField for str {
    fn to_description(&self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl DescriptionField for String {
    fn to_description(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl DescriptionField for std::borrow::Cow<'_, str> {
    fn to_description(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl<T: DescriptionField + ?Sized> DescriptionField for &T {
    fn to_description(&self) -> Option<String> {
        (**self).to_description()
    }
}

impl<T: DescriptionField> DescriptionField for Option<T> {
    fn to_description(&self) -> Option<String> {
        self.as_ref().and_then(DescriptionField::to_description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kopecks_reject_zero() {
        assert!(0u64.to_kopecks().is_err());
        assert!(Kopecks::ZERO.to_kopecks().is_err());
    }

    #[test]
    fn kopecks_reject_negative() {
        assert_eq!(
            (-5i64).to_kopecks(),
            Err(OrderError::NonPositiveAmount("-5".into()))
        );
    }

    #[test]
    fn kopecks_accept_positive_signed() {
        assert_eq!(97200i64.to_kopecks(), Ok(Kopecks::new(97200)));
    }

    #[test]
    fn kopecks_reject_u128_above_u64() {
        assert!(u128::MAX.to_kopecks().is_err());
    }

    #[test]
    fn rubles_multiply_by_hundred() {
        assert_eq!(972u32.rubles_to_kopecks(), Ok(Kopecks::new(97200)));
    }

    #[test]
    fn rubles_overflow_is_error() {
        assert_eq!(
            u64::MAX.rubles_to_kopecks(),
            Err(OrderError::AmountOverflow(u64::MAX.to_string()))
        );
    }

    #[test]
    fn rubles_reject_negative() {
        assert!((-1i32).rubles_to_kopecks().is_err());
    }

    #[cfg(feature = "decimal")]
    #[test]
    fn decimal_rubles_convert_exactly() {
        use std::str::FromStr;
        let price = rust_decimal::Decimal::from_str("972.50").unwrap();
        assert_eq!(price.rubles_to_kopecks(), Ok(Kopecks::new(97250)));
    }

    #[cfg(feature = "decimal")]
    #[test]
    fn decimal_rubles_reject_third_decimal_place() {
        use std::str::FromStr;
        let price = rust_decimal::Decimal::from_str("972.505").unwrap();
        assert!(matches!(
            price.rubles_to_kopecks(),
            Err(OrderError::FractionalKopecks(_))
        ));
    }

    #[cfg(feature = "decimal")]
    #[test]
    fn decimal_rubles_accept_trailing_zeros() {
        use std::str::FromStr;
        let price = rust_decimal::Decimal::from_str("1.5000").unwrap();
        assert_eq!(price.rubles_to_kopecks(), Ok(Kopecks::new(150)));
    }

    #[test]
    fn phone_from_string_parses() {
        let phone = String::from("8 900 123 45 67").to_phone().unwrap().unwrap();
        assert_eq!(phone.full(), "79001234567");
    }

    #[test]
    fn phone_from_invalid_string_is_error() {
        assert!(matches!("12".to_phone(), Err(OrderError::Phone(_))));
    }

    #[test]
    fn phone_from_none_is_none() {
        assert_eq!(None::<String>.to_phone(), Ok(None));
    }

    #[test]
    fn phone_from_negative_integer_is_error() {
        assert!((-79001234567i64).to_phone().is_err());
    }

    #[test]
    fn description_from_option() {
        assert_eq!(Some("x".to_string()).to_description().as_deref(), Some("x"));
        assert_eq!(None::<String>.to_description(), None);
    }
}
