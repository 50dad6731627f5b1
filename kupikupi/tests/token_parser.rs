//! Differential tests of the Token's JSON reader against `serde_json`: on
//! generated bodies, valid and broken, both must agree on what is valid JSON.
//! On valid objects with integer numbers, the Token computed from the raw
//! bytes must equal the Token computed from `serde_json`'s reading.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kupikupi::SecretKey;
use kupikupi::token::{self, TokenError};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Renders a JSON value with random whitespace. Integers only, so that
/// `serde_json` writes numbers back exactly as they were generated.
fn value(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        "[a-tv-zA-Z0-9 а-я🎁]{0,8}".prop_map(|text| format!("\"{text}\"")),
        r#"(\\n|\\"|\\\\|\\/|\\u0417|\\ud83c\\udf81|x){0,4}"#
            .prop_map(|text| format!("\"{text}\"")),
        any::<i64>().prop_map(|number| number.to_string()),
        any::<u64>().prop_map(|number| number.to_string()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        3 => leaf,
        1 => prop::collection::vec(value(depth - 1), 0..4).prop_map(|items| format!("[{}]", items.join(" , "))),
        1 => prop::collection::vec(("[a-z]{1,3}", value(depth - 1)), 0..4)
            .prop_map(|pairs| format!("{{{}}}", pairs.iter().map(|(key, value)| format!("\"{key}\":{value}")).collect::<Vec<_>>().join(","))),
    ]
    .boxed()
}

fn object() -> impl Strategy<Value = String> {
    prop::collection::vec(("[A-Za-z]{1,4}", value(2)), 0..6).prop_map(|pairs| {
        let fields: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("\n \"{key}\" :\t{value}"))
            .collect();
        format!("{{{}}}", fields.join(","))
    })
}

/// A body with one byte inserted, removed or replaced by a character that
/// matters to JSON.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        object(),
        any::<prop::sample::Index>(),
        0..3u8,
        prop::sample::select(b"{}[]:,\"\\ 0.e-+tfnu\x01".to_vec()),
    )
        .prop_map(|(body, index, operation, byte)| {
            let mut bytes = body.into_bytes();
            let position = index.index(bytes.len() + 1);
            match operation {
                0 => bytes.insert(position, byte),
                1 if position < bytes.len() => {
                    bytes.remove(position);
                }
                _ if position < bytes.len() => bytes[position] = byte,
                _ => bytes.push(byte),
            }
            bytes
        })
}

fn secret() -> SecretKey {
    SecretKey::new("differential").unwrap()
}

/// How `serde_json` reads a body.
#[derive(Debug)]
enum Reading {
    Invalid,
    NotAnObject,
    Object {
        unique_keys: bool,
    },
    /// Valid except for a lone UTF-16 surrogate escape. Such an escape is valid
    /// JSON grammar; the Token reader accepts it inside nested values, which
    /// it skips, and rejects it in root strings, which it must decode.
    LoneSurrogate,
    /// Valid grammar, but a number beyond the range of `f64`, which
    /// `serde_json` rejects and the Token reader keeps as written.
    OutOfRange,
}

/// `serde_json` skips the UTF-8 and escape checks inside values it ignores,
/// so the body is checked as UTF-8 here and read fully as a map: invalid
/// UTF-8 or escapes anywhere make the body invalid.
fn serde_reading(body: &[u8]) -> Reading {
    if std::str::from_utf8(body).is_err()
        || serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err()
    {
        return Reading::Invalid;
    }
    let is_object = body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{');
    if !is_object {
        return Reading::NotAnObject;
    }
    match serde_json::from_slice::<Map<String, Value>>(body) {
        Ok(map) => Reading::Object {
            unique_keys: map.len() == count_root_keys(body),
        },
        // serde_json reports a leading surrogate without a trailing one as an
        // "unexpected end of hex escape".
        Err(error)
            if error.to_string().contains("surrogate")
                || error.to_string().contains("hex escape") =>
        {
            Reading::LoneSurrogate
        }
        Err(error) if error.to_string().contains("number out of range") => Reading::OutOfRange,
        Err(_) => Reading::Invalid,
    }
}

/// Counts root keys with a streaming reader that does not merge duplicates.
fn count_root_keys(body: &[u8]) -> usize {
    struct Counter;
    impl<'de> serde::de::Visitor<'de> for Counter {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut count = 0;
            while map.next_entry::<String, serde::de::IgnoredAny>()?.is_some() {
                count += 1;
            }
            Ok(count)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde::Deserializer::deserialize_map(&mut deserializer, Counter).unwrap()
}

fn check(body: &[u8], compare_tokens: bool) -> Result<(), TestCaseError> {
    let ours = token::compute(body, &secret());
    match (serde_reading(body), &ours) {
        (Reading::Invalid, Err(TokenError::Syntax(_))) => {}
        (Reading::NotAnObject, Err(TokenError::NotAnObject)) => {}
        (Reading::Object { unique_keys: false }, Err(TokenError::DuplicateKey(_))) => {}
        (Reading::LoneSurrogate | Reading::OutOfRange, _) => {}
        (Reading::Object { unique_keys: true }, Ok(computed)) => {
            if compare_tokens {
                let map: Map<String, Value> = serde_json::from_slice(body).unwrap();
                let expected = token::compute_object(&map, &secret());
                prop_assert!(
                    computed == &expected,
                    "token differs for {:?}",
                    String::from_utf8_lossy(body)
                );
            }
        }
        (expected, _) => {
            return Err(TestCaseError::fail(format!(
                "serde_json reading {expected:?}, ours {ours:?}, body {:?}",
                String::from_utf8_lossy(body)
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn valid_objects_match_serde_json(body in object()) {
        check(body.as_bytes(), true)?;
    }

    #[test]
    fn mutated_objects_match_serde_json(body in mutated()) {
        // A mutation can turn `10` into `1e0`, which serde_json writes back as
        // `1.0`, so only validity is compared here.
        check(&body, false)?;
    }

    #[test]
    fn any_values_match_serde_json(body in value(3)) {
        check(body.as_bytes(), true)?;
    }
}
