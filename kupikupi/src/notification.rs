//! Verifying notifications the service POSTs to the merchant.

use serde_json::{Map, Value};

use crate::error::{FieldError, NotificationError};
use crate::fields::Fields;
use crate::model::Notification;
use crate::wire::field;
use crate::{SecretKey, UidPlatform, token};

/// Verifies a notification body and reads its fields.
///
/// The Token is checked over the exact bytes received before anything else
/// is read, then the `UidPlatform` is compared with the merchant's own.
///
/// ```
/// use kupikupi::{SecretKey, UidPlatform, token, verify_notification};
///
/// let secret = SecretKey::new("yIKirCvplm0N1DOg")?;
/// let platform = UidPlatform::new("M2hULcD5OiYGkmSK")?;
/// let body = token::sign_json(
///     r#"{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"1042","PaymentId":"p-1",
///         "Amount":97200,"Status":"CONFIRMED","Success":true,"ErrorCode":"0"}"#,
///     &secret,
/// )?;
/// let notification = verify_notification(body.as_bytes(), &platform, &secret)?;
/// assert!(notification.status.is_paid());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Returns [`NotificationError::Token`] for a missing or wrong Token or a body
/// that is not a JSON object with unique keys,
/// [`NotificationError::WrongPlatform`] for another platform's notification,
/// and [`NotificationError::Field`] for a missing or invalid field.
pub fn verify_notification(
    body: &[u8],
    platform: &UidPlatform,
    secret: &SecretKey,
) -> Result<Notification, NotificationError> {
    token::verify(body, secret)?;
    // The body parsed above as an object with unique keys, so this cannot
    // fail on syntax; any error is still returned, never unwrapped.
    let object: Map<String, Value> =
        serde_json::from_slice(body).map_err(|source| FieldError::Invalid {
            field: field::TOKEN,
            source,
        })?;
    let mut fields = Fields(object);

    let received: Option<String> = fields.code(field::UID_PLATFORM)?;
    if received.as_deref() != Some(platform.as_str()) {
        return Err(NotificationError::WrongPlatform {
            expected: platform.clone(),
            received,
        });
    }
    Ok(Notification {
        uid_platform: platform.clone(),
        order_id: fields.required(field::ORDER_ID)?,
        payment_id: fields.required(field::PAYMENT_ID)?,
        amount: fields.required(field::AMOUNT)?,
        // Phone, Success and ErrorCode only inform: the Token already covers
        // them, and the payment is decided by the fields above and Status. A
        // value this version cannot read must not make the merchant reject a
        // real payment, so it is read as absent.
        phone: fields.optional(field::PHONE).ok().flatten(),
        status: fields.required(field::STATUS)?,
        success: fields.optional(field::SUCCESS).ok().flatten(),
        error_code: fields.code(field::ERROR_CODE).ok().flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PaymentStatus;

    fn secret() -> SecretKey {
        SecretKey::new("test-secret").unwrap()
    }

    fn platform() -> UidPlatform {
        UidPlatform::new("platform-1").unwrap()
    }

    fn signed(body: &str) -> String {
        token::sign_json(body, &secret()).unwrap()
    }

    const VALID: &str = r#"{"UidPlatform":"platform-1","OrderId":"7","PaymentId":"p7","Amount":500,"Phone":79001234567,"Status":"CONFIRMED","Success":true,"ErrorCode":"0"}"#;

    #[test]
    fn reads_valid_notification() {
        let notification =
            verify_notification(signed(VALID).as_bytes(), &platform(), &secret()).unwrap();
        assert_eq!(notification.order_id.as_str(), "7");
        assert_eq!(notification.amount.get(), 500);
        assert_eq!(notification.status, PaymentStatus::Confirmed);
        assert_eq!(notification.error_code.as_deref(), Some("0"));
    }

    #[test]
    fn rejects_unsigned() {
        let result = verify_notification(VALID.as_bytes(), &platform(), &secret());
        assert!(matches!(
            result,
            Err(NotificationError::Token(token::TokenError::Missing))
        ));
    }

    #[test]
    fn rejects_other_platform() {
        let other = UidPlatform::new("platform-2").unwrap();
        let result = verify_notification(signed(VALID).as_bytes(), &other, &secret());
        assert!(matches!(
            result,
            Err(NotificationError::WrongPlatform { .. })
        ));
    }

    #[test]
    fn rejects_missing_platform() {
        let body = signed(r#"{"OrderId":"7","PaymentId":"p7","Amount":500,"Status":"CONFIRMED"}"#);
        let result = verify_notification(body.as_bytes(), &platform(), &secret());
        assert!(matches!(
            result,
            Err(NotificationError::WrongPlatform { received: None, .. })
        ));
    }

    #[test]
    fn rejects_missing_amount() {
        let body = signed(
            r#"{"UidPlatform":"platform-1","OrderId":"7","PaymentId":"p7","Status":"CONFIRMED"}"#,
        );
        let result = verify_notification(body.as_bytes(), &platform(), &secret());
        assert!(matches!(
            result,
            Err(NotificationError::Field(FieldError::Missing("Amount")))
        ));
    }

    #[test]
    fn rejects_negative_amount() {
        let body = signed(
            r#"{"UidPlatform":"platform-1","OrderId":"7","PaymentId":"p7","Amount":-5,"Status":"CONFIRMED"}"#,
        );
        let result = verify_notification(body.as_bytes(), &platform(), &secret());
        assert!(matches!(
            result,
            Err(NotificationError::Field(FieldError::Invalid {
                field: "Amount",
                ..
            }))
        ));
    }

    #[test]
    fn unreadable_informative_fields_are_absent() {
        let body = signed(
            r#"{"UidPlatform":"platform-1","OrderId":"7","PaymentId":"p7","Amount":5,"Phone":375291234567,"Status":"CONFIRMED","Success":1,"ErrorCode":[]}"#,
        );
        let notification = verify_notification(body.as_bytes(), &platform(), &secret()).unwrap();
        assert_eq!(notification.phone, None);
        assert_eq!(notification.success, None);
        assert_eq!(notification.error_code, None);
        assert_eq!(notification.status, PaymentStatus::Confirmed);
    }

    #[test]
    fn keeps_unknown_status() {
        let body = signed(
            r#"{"UidPlatform":"platform-1","OrderId":"7","PaymentId":"p7","Amount":5,"Status":"HELD"}"#,
        );
        let notification = verify_notification(body.as_bytes(), &platform(), &secret()).unwrap();
        assert_eq!(notification.status, PaymentStatus::Unknown("HELD".into()));
    }
}
