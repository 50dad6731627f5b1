//! Property tests of the Token: a signed body always verifies, and changing
//! one field's value, adding a field or dropping one always breaks it.
//!
//! Two edits are outside the property because the rule concatenates values
//! without separators and does not hash keys: adding or dropping a field whose
//! value is the empty string, and edits that only rename keys in the same sort
//! position. The generators below therefore add and drop only fields with
//! non-empty values; the integration layer guards the rest by checking the
//! amount, the platform and the payment id against its own records.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kupikupi::SecretKey;
use kupikupi::token::{self, TokenError};
use proptest::prelude::*;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
enum Scalar {
    Text(String),
    Number(u64),
    Flag(bool),
}

impl Scalar {
    fn to_json(&self) -> Value {
        match self {
            Scalar::Text(text) => Value::from(text.as_str()),
            Scalar::Number(number) => Value::from(*number),
            Scalar::Flag(flag) => Value::from(*flag),
        }
    }

    fn text(&self) -> String {
        match self {
            Scalar::Text(text) => text.clone(),
            Scalar::Number(number) => number.to_string(),
            Scalar::Flag(flag) => flag.to_string(),
        }
    }
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        any::<String>().prop_map(Scalar::Text),
        "[а-яА-Я0-9 🎁]{0,12}".prop_map(Scalar::Text),
        any::<u64>().prop_map(Scalar::Number),
        any::<bool>().prop_map(Scalar::Flag),
    ]
}

fn non_empty_scalar() -> impl Strategy<Value = Scalar> {
    scalar().prop_filter("the value must not be empty", |value| {
        !value.text().is_empty()
    })
}

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,12}".prop_filter("Token is the signature itself", |key| key != "Token")
}

fn fields() -> impl Strategy<Value = Vec<(String, Scalar)>> {
    prop::collection::btree_map(key(), scalar(), 1..10).prop_map(|map| map.into_iter().collect())
}

fn secret() -> impl Strategy<Value = SecretKey> {
    "[ -~]{1,40}".prop_map(|text| SecretKey::new(text).unwrap())
}

/// Builds a body with the fields plus a nested object and an array, which
/// the Token leaves out, and signs it.
fn signed_body(fields: &[(String, Scalar)], secret: &SecretKey) -> Map<String, Value> {
    let mut object = Map::new();
    for (key, value) in fields {
        object.insert(key.clone(), value.to_json());
    }
    object.insert("Token".into(), Value::Null);
    token::sign_object(&mut object, secret);
    object
}

fn verify(object: &Map<String, Value>, secret: &SecretKey) -> Result<(), TokenError> {
    token::verify(&serde_json::to_vec(object).unwrap(), secret)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn signed_body_verifies(fields in fields(), secret in secret()) {
        let object = signed_body(&fields, &secret);
        prop_assert!(verify(&object, &secret).is_ok());
    }

    #[test]
    fn signed_body_with_nested_values_verifies(fields in fields(), secret in secret()) {
        let mut object = signed_body(&fields, &secret);
        object.insert("Data".into(), serde_json::json!({"Amount": 1, "Items": [1, 2]}));
        object.insert("Receipt".into(), serde_json::json!([{"Price": 5}]));
        object.insert("Nothing".into(), Value::Null);
        prop_assert!(verify(&object, &secret).is_ok());
    }

    #[test]
    fn changing_one_value_breaks_token(
        fields in fields(),
        secret in secret(),
        index in any::<prop::sample::Index>(),
        replacement in scalar(),
    ) {
        let position = index.index(fields.len());
        let (key, original) = &fields[position];
        prop_assume!(replacement.text() != original.text());
        let mut object = signed_body(&fields, &secret);
        object.insert(key.clone(), replacement.to_json());
        prop_assert!(matches!(verify(&object, &secret), Err(TokenError::Mismatch)));
    }

    #[test]
    fn adding_a_field_breaks_token(
        fields in fields(),
        secret in secret(),
        extra_key in key(),
        extra in non_empty_scalar(),
    ) {
        prop_assume!(fields.iter().all(|(key, _)| *key != extra_key));
        let mut object = signed_body(&fields, &secret);
        object.insert(extra_key, extra.to_json());
        prop_assert!(matches!(verify(&object, &secret), Err(TokenError::Mismatch)));
    }

    #[test]
    fn dropping_a_field_breaks_token(
        fields in fields(),
        secret in secret(),
        index in any::<prop::sample::Index>(),
    ) {
        let position = index.index(fields.len());
        let (key, value) = &fields[position];
        prop_assume!(!value.text().is_empty());
        let mut object = signed_body(&fields, &secret);
        object.remove(key);
        prop_assert!(matches!(verify(&object, &secret), Err(TokenError::Mismatch)));
    }

    #[test]
    fn another_secret_breaks_token(fields in fields(), secret in secret(), other in secret()) {
        prop_assume!(secret.expose() != other.expose());
        let object = signed_body(&fields, &secret);
        prop_assert!(matches!(verify(&object, &other), Err(TokenError::Mismatch)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256), secret in secret()) {
        let _ = token::verify(&body, &secret);
    }
}
