//! The `Token` that signs every request and notification.
//!
//! The rule, also written in `docs/protocol.md`:
//!
//! 1. Take every field at the root of the JSON body, except `Token`, whose
//!    value is a string, a number or a boolean. Objects, arrays and `null` are
//!    left out, whatever their key.
//! 2. Add the pair (`SecretKey`, secret key).
//! 3. Sort the pairs by key, comparing bytes.
//! 4. Concatenate the values with no separator: a string as its unescaped
//!    UTF-8 text, a number exactly as written in the body (`6300.0` stays
//!    `6300.0`), a boolean as `true` or `false`.
//! 5. The Token is the SHA-256 of those bytes in lowercase hex.
//!
//! [`verify`] applies the rule to the exact bytes received, so a field the
//! service adds later is covered too, and rejects a body that repeats a key.
//!
//! ```
//! use kupikupi::SecretKey;
//! use kupikupi::token;
//!
//! let secret = SecretKey::new("yIKirCvplm0N1DOg")?;
//! let signed = token::sign_json(r#"{"OrderId":"1042","Amount":97200}"#, &secret)?;
//! token::verify(signed.as_bytes(), &secret)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use self::scan::SyntaxError;
use self::scan::{Entry, Scalar};
use crate::SecretKey;
use crate::wire::field;

mod scan;

/// A computed Token: 64 lowercase hex digits.
///
/// `Debug` hides the value so that a Token never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The Token as the hex text sent in the `Token` field.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares with a received Token in constant time.
    pub fn matches(&self, received: &str) -> bool {
        let expected = self.0.as_bytes();
        let received = received.as_bytes();
        expected.len() == received.len() && bool::from(expected.ct_eq(received))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Why a body could not be signed or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The body is not valid UTF-8 JSON.
    #[error("invalid JSON body: {0}")]
    Syntax(#[from] SyntaxError),
    /// A JSON object could not be read or written while signing.
    #[error("invalid JSON body: {0}")]
    Json(#[source] serde_json::Error),
    /// The body is JSON but not an object.
    #[error("invalid body: expected a JSON object at the root")]
    NotAnObject,
    /// A root key appears twice, so two readers could see different values.
    #[error("invalid body: the key {0:?} appears more than once")]
    DuplicateKey(String),
    /// The body has no `Token` field.
    #[error("the body has no Token field")]
    Missing,
    /// The `Token` field is not a string.
    #[error("the Token field is not a string")]
    NotAString,
    /// The Token does not match the body and the secret key.
    #[error("the Token does not match the body")]
    Mismatch,
}

/// The root fields of a body and the received Token if there is one.
#[derive(Debug)]
struct RootFields<'a> {
    /// Every root key except `Token`, with its value if the Token covers it.
    entries: Vec<Entry<'a>>,
    /// The `Token` field: its text, or why it cannot be used.
    token: Option<Result<Cow<'a, str>, TokenError>>,
}

impl<'a> RootFields<'a> {
    /// Sorts the entries by key and rejects a repeated key.
    fn into_sorted(mut self) -> Result<Self, TokenError> {
        // One sort serves both the Token order and the duplicate check, and
        // keeps a body with thousands of keys linear-logarithmic.
        self.entries
            .sort_unstable_by(|left, right| left.0.as_bytes().cmp(right.0.as_bytes()));
        if let Some(pair) = self.entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(TokenError::DuplicateKey(pair[0].0.clone().into_owned()));
        }
        Ok(self)
    }
}

/// Computes the Token of a received or prepared body; a `Token` field in it
/// is ignored.
///
/// # Errors
///
/// Returns [`TokenError`] when the body is not a JSON object or repeats a key.
pub fn compute(body: &[u8], secret: &SecretKey) -> Result<Token, TokenError> {
    let fields = parse_root(body)?;
    Ok(Token(to_hex(&digest_sorted(&fields.entries, secret))))
}

/// Checks the `Token` field of a received body against the body itself.
///
/// The comparison takes the same time wherever the first difference is.
///
/// # Errors
///
/// Returns [`TokenError::Mismatch`] for a wrong Token, and another
/// [`TokenError`] when the body is not a JSON object, repeats a key, or has no
/// string `Token` field.
pub fn verify(body: &[u8], secret: &SecretKey) -> Result<(), TokenError> {
    let fields = parse_root(body)?;
    let received = fields.token.ok_or(TokenError::Missing)??;
    // A received Token that is not 64 lowercase hex digits cannot match; its
    // shape is public, so rejecting it early reveals nothing about the secret.
    let received = from_hex(&received).ok_or(TokenError::Mismatch)?;
    let expected = digest_sorted(&fields.entries, secret);
    if bool::from(expected.ct_eq(&received)) {
        Ok(())
    } else {
        Err(TokenError::Mismatch)
    }
}

/// Computes the Token of a JSON object built in memory, such as a request
/// about to be sent; a `Token` entry in it is ignored.
///
/// Numbers are taken as `serde_json` writes them, which is the text that
/// ends up in the serialized body.
pub fn compute_object(object: &Map<String, Value>, secret: &SecretKey) -> Token {
    let mut text = Vec::with_capacity(object.len());
    for (key, value) in object {
        if key == field::TOKEN {
            continue;
        }
        match value {
            Value::String(string) => {
                text.push((Cow::Borrowed(key.as_str()), Cow::Borrowed(string.as_str())))
            }
            Value::Number(number) => {
                text.push((Cow::Borrowed(key.as_str()), Cow::Owned(number.to_string())))
            }
            Value::Bool(flag) => text.push((
                Cow::Borrowed(key.as_str()),
                Cow::Borrowed(if *flag { "true" } else { "false" }),
            )),
            Value::Null | Value::Array(_) | Value::Object(_) => {}
        }
    }
    let mut entries: Vec<_> = text
        .into_iter()
        .map(|(key, value)| (key, Some(Scalar::Text(value))))
        .collect();
    // A map's keys are unique, so only the order matters here.
    entries.sort_unstable_by(|left, right| left.0.as_bytes().cmp(right.0.as_bytes()));
    Token(to_hex(&digest_sorted(&entries, secret)))
}

/// Adds (or replaces) the `Token` field of a JSON object.
pub fn sign_object(object: &mut Map<String, Value>, secret: &SecretKey) {
    let token = compute_object(object, secret);
    object.insert(field::TOKEN.to_owned(), Value::String(token.0));
}

/// Signs a JSON object given as text and returns it with its `Token` field
/// set. Useful to build test notifications.
///
/// # Errors
///
/// Returns [`TokenError`] when the text is not a JSON object or repeats a key.
pub fn sign_json(body: &str, secret: &SecretKey) -> Result<String, TokenError> {
    // Reject duplicate keys, which a `Map` would silently merge.
    parse_root(body.as_bytes())?;
    let mut object: Map<String, Value> = serde_json::from_str(body).map_err(TokenError::Json)?;
    sign_object(&mut object, secret);
    serde_json::to_string(&object).map_err(TokenError::Json)
}

/// Hashes the covered values of entries already sorted by key, with the
/// secret key at its place in that order.
fn digest_sorted(entries: &[Entry<'_>], secret: &SecretKey) -> [u8; 32] {
    let secret_key = field::SECRET_KEY.as_bytes();
    let mut hasher = Sha256::new();
    let mut secret_added = false;
    for (key, value) in entries {
        let Some(value) = value else { continue };
        if !secret_added && key.as_bytes() > secret_key {
            hasher.update(secret.expose().as_bytes());
            secret_added = true;
        }
        hasher.update(value.as_bytes());
    }
    if !secret_added {
        hasher.update(secret.expose().as_bytes());
    }
    hasher.finalize().into()
}

/// Decodes 64 lowercase hex digits.
fn from_hex(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(bytes)
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn parse_root(body: &[u8]) -> Result<RootFields<'_>, TokenError> {
    let scan::Root::Object(all) = scan::read_root(body)? else {
        return Err(TokenError::NotAnObject);
    };
    let mut fields = RootFields {
        entries: Vec::with_capacity(all.len()),
        token: None,
    };
    let mut repeated_token = false;
    for (key, value) in all {
        if key == field::TOKEN {
            repeated_token |= fields.token.is_some();
            fields.token = Some(match value {
                Some(Scalar::Text(text)) => Ok(text),
                _ => Err(TokenError::NotAString),
            });
        } else {
            fields.entries.push((key, value));
        }
    }
    if repeated_token {
        return Err(TokenError::DuplicateKey(field::TOKEN.to_owned()));
    }
    fields.into_sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretKey {
        SecretKey::new("yIKirCvplm0N1DOg").unwrap()
    }

    fn sha256_hex(text: &str) -> String {
        to_hex(&Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn computes_over_sorted_values_with_secret() {
        // Keys sorted: Amount, OrderId, SecretKey, UidPlatform.
        let body = br#"{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"9921","Amount":972}"#;
        let expected = sha256_hex("9729921yIKirCvplm0N1DOgM2hULcD5OiYGkmSK");
        assert_eq!(compute(body, &secret()).unwrap().as_str(), expected);
    }

    #[test]
    fn secret_goes_last_when_keys_sort_before_it() {
        let expected = sha256_hex("1yIKirCvplm0N1DOg");
        assert_eq!(
            compute(br#"{"A":1}"#, &secret()).unwrap().as_str(),
            expected
        );
    }

    #[test]
    fn empty_object_hashes_secret_alone() {
        let expected = sha256_hex("yIKirCvplm0N1DOg");
        assert_eq!(compute(b"{}", &secret()).unwrap().as_str(), expected);
    }

    #[test]
    fn verify_accepts_signed_body() {
        let signed = sign_json(r#"{"OrderId":"1","Amount":5}"#, &secret()).unwrap();
        assert!(verify(signed.as_bytes(), &secret()).is_ok());
    }

    #[test]
    fn verify_rejects_other_secret() {
        let signed = sign_json(r#"{"OrderId":"1","Amount":5}"#, &secret()).unwrap();
        let other = SecretKey::new("another").unwrap();
        assert!(matches!(
            verify(signed.as_bytes(), &other),
            Err(TokenError::Mismatch)
        ));
    }

    #[test]
    fn verify_rejects_missing_token() {
        assert!(matches!(
            verify(br#"{"Amount":5}"#, &secret()),
            Err(TokenError::Missing)
        ));
    }

    #[test]
    fn verify_rejects_numeric_token() {
        assert!(matches!(
            verify(br#"{"Amount":5,"Token":5}"#, &secret()),
            Err(TokenError::NotAString)
        ));
    }

    #[test]
    fn verify_rejects_duplicate_key() {
        let result = verify(br#"{"Amount":5,"Amount":6,"Token":"x"}"#, &secret());
        assert!(matches!(result, Err(TokenError::DuplicateKey(key)) if key == "Amount"));
    }

    #[test]
    fn verify_rejects_duplicate_token() {
        let result = verify(br#"{"Token":"a","Token":"b"}"#, &secret());
        assert!(matches!(result, Err(TokenError::DuplicateKey(_))));
    }

    #[test]
    fn duplicate_key_written_with_escape_is_detected() {
        let result = verify(br#"{"Amount":5,"\u0041mount":6,"Token":"x"}"#, &secret());
        assert!(matches!(result, Err(TokenError::DuplicateKey(_))));
    }

    #[test]
    fn rejects_array_root() {
        assert!(matches!(
            compute(b"[1,2]", &secret()),
            Err(TokenError::NotAnObject)
        ));
    }

    #[test]
    fn rejects_scalar_root() {
        assert!(matches!(
            compute(b"5", &secret()),
            Err(TokenError::NotAnObject)
        ));
    }

    #[test]
    fn rejects_trailing_garbage() {
        assert!(matches!(
            compute(b"{} x", &secret()),
            Err(TokenError::Syntax(_))
        ));
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert!(matches!(
            compute(b"{\"A\":\"\xff\"}", &secret()),
            Err(TokenError::Syntax(_))
        ));
    }

    #[test]
    fn number_text_is_hashed_as_written() {
        let written = compute(br#"{"Amount":6300.0}"#, &secret()).unwrap();
        let reformatted = compute(br#"{"Amount":6300}"#, &secret()).unwrap();
        assert_ne!(written, reformatted);
        assert_eq!(written.as_str(), sha256_hex("6300.0yIKirCvplm0N1DOg"));
    }

    #[test]
    fn escaped_string_is_hashed_unescaped() {
        let escaped = compute(br#"{"D":"\u0417\u0430\u043a\u0430\u0437"}"#, &secret()).unwrap();
        let plain = compute("{\"D\":\"Заказ\"}".as_bytes(), &secret()).unwrap();
        assert_eq!(escaped, plain);
    }

    #[test]
    fn nested_values_are_left_out() {
        let with_nested = compute(br#"{"A":1,"Data":{"B":2},"Items":[3],"N":null}"#, &secret());
        let without = compute(br#"{"A":1}"#, &secret());
        assert_eq!(with_nested.unwrap(), without.unwrap());
    }

    #[test]
    fn whitespace_does_not_change_token() {
        let compact = compute(br#"{"A":1,"B":"x"}"#, &secret()).unwrap();
        let spaced = compute(b"{ \"A\" : 1 ,\n \"B\" : \"x\" }", &secret()).unwrap();
        assert_eq!(compact, spaced);
    }

    #[test]
    fn compute_object_matches_compute_on_serialized() {
        let mut object = Map::new();
        object.insert("OrderId".into(), Value::from("7"));
        object.insert("Amount".into(), Value::from(u64::MAX));
        object.insert("Success".into(), Value::from(true));
        object.insert("Nested".into(), serde_json::json!({"x": 1}));
        let body = serde_json::to_vec(&object).unwrap();
        assert_eq!(
            compute_object(&object, &secret()),
            compute(&body, &secret()).unwrap()
        );
    }

    #[test]
    fn token_matches_is_exact() {
        let token = compute(b"{}", &secret()).unwrap();
        assert!(token.matches(token.as_str()));
        assert!(!token.matches(&token.as_str().to_uppercase()));
        assert!(!token.matches(""));
        assert!(!token.matches(&token.as_str()[..63]));
    }

    #[test]
    fn token_debug_is_redacted() {
        let token = compute(b"{}", &secret()).unwrap();
        assert!(!format!("{token:?}").contains(token.as_str()));
    }
}
