//! Every name that appears on the wire, in one place.
//!
//! The service publishes only the method names and the meaning of a few
//! fields; the rest of the contract is described in `docs/protocol.md`. If the
//! live service spells something differently, this module is the one place to
//! change.

/// Method names. A request for method `M` is `POST {base_url}/M`.
pub mod method {
    /// Points balance of a customer, by phone.
    pub const BALANCE: &str = "Balance";
    /// Starts a points transfer for an order and returns the form link.
    pub const INIT: &str = "Init";
    /// Latest payment of an order.
    pub const CHECK_OUT: &str = "CheckOut";
}

/// JSON field names, in the PascalCase the service uses.
pub mod field {
    /// Platform identifier issued to the merchant.
    pub const UID_PLATFORM: &str = "UidPlatform";
    /// Signature of the body, see [`crate::token`].
    pub const TOKEN: &str = "Token";
    /// Name under which the secret key enters the Token; never sent.
    pub const SECRET_KEY: &str = "SecretKey";
    /// Customer's phone, 11 digits starting with 7.
    pub const PHONE: &str = "Phone";
    /// Merchant's order id.
    pub const ORDER_ID: &str = "OrderId";
    /// Amount in kopecks.
    pub const AMOUNT: &str = "Amount";
    /// Service-assigned payment id.
    pub const PAYMENT_ID: &str = "PaymentId";
    /// Payment status.
    pub const STATUS: &str = "Status";
    /// Whether the request succeeded.
    pub const SUCCESS: &str = "Success";
    /// Error code, `"0"` on success.
    pub const ERROR_CODE: &str = "ErrorCode";
    /// Short error message.
    pub const MESSAGE: &str = "Message";
    /// Error details, for example the name of a malformed field.
    pub const DETAILS: &str = "Details";
    /// Link to the hosted payment form.
    pub const PAYMENT_URL: &str = "PaymentURL";
    /// Points balance in kopecks.
    pub const BALANCE: &str = "Balance";
    /// Text shown on the payment form.
    pub const DESCRIPTION: &str = "Description";
    /// Where the form sends the customer after a confirmed payment.
    pub const SUCCESS_URL: &str = "SuccessURL";
    /// Where the form sends the customer after a failed or cancelled payment.
    pub const FAIL_URL: &str = "FailURL";
}

/// Status strings.
pub mod status {
    /// Created by `Init`.
    pub const NEW: &str = "NEW";
    /// The customer opened the form.
    pub const FORM_SHOWED: &str = "FORM_SHOWED";
    /// Points transferred; final success.
    pub const CONFIRMED: &str = "CONFIRMED";
    /// Wrong code too often, or too few points; final.
    pub const REJECTED: &str = "REJECTED";
    /// The customer cancelled; final.
    pub const CANCELED: &str = "CANCELED";
    /// The form was not completed in time; final.
    pub const DEADLINE_EXPIRED: &str = "DEADLINE_EXPIRED";
}

/// Error code strings of the `ErrorCode` field.
pub mod error_code {
    /// Success.
    pub const OK: &str = "0";
    /// The Token does not match the body.
    pub const INVALID_TOKEN: &str = "1";
    /// The `UidPlatform` is not registered.
    pub const UNKNOWN_PLATFORM: &str = "2";
    /// A field is missing or malformed; `Details` names it.
    pub const INVALID_REQUEST: &str = "3";
    /// No customer has this phone.
    pub const PHONE_NOT_REGISTERED: &str = "4";
    /// The customer has fewer points than the amount.
    pub const NOT_ENOUGH_POINTS: &str = "5";
    /// The order's payment conflicts: another amount, or already confirmed.
    pub const PAYMENT_CONFLICT: &str = "6";
    /// The order has no payment.
    pub const ORDER_NOT_FOUND: &str = "7";
    /// Internal error of the service.
    pub const INTERNAL: &str = "99";
}

/// The body a merchant answers a notification with, after HTTP 200.
pub const NOTIFICATION_ACK: &str = "OK";
