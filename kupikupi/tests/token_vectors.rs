//! The golden Token vectors: bodies, secrets and the tokens an independent
//! implementation of the rule computed for them. The sandbox is tested
//! against the same file.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kupikupi::SecretKey;
use kupikupi::token::{self, TokenError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    body: String,
    secret: String,
    token: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("data/token_vectors.json")).unwrap()
}

#[test]
fn vector_file_has_enough_cases() {
    assert!(vectors().len() >= 10);
}

#[test]
fn compute_matches_every_vector() {
    for vector in vectors() {
        let secret = SecretKey::new(vector.secret).unwrap();
        let computed = token::compute(vector.body.as_bytes(), &secret).unwrap();
        assert_eq!(computed.as_str(), vector.token, "vector {:?}", vector.name);
    }
}

#[test]
fn verify_accepts_every_vector_with_its_token() {
    for vector in vectors() {
        let secret = SecretKey::new(vector.secret).unwrap();
        // Re-serializing would reformat `6300.0` and `1e3`; splice the Token
        // into the original text instead.
        let body = splice_token(&vector.body, &vector.token);
        assert!(
            token::verify(body.as_bytes(), &secret).is_ok(),
            "vector {:?}",
            vector.name
        );
    }
}

#[test]
fn verify_rejects_every_vector_with_another_secret() {
    for vector in vectors() {
        let secret = SecretKey::new(format!("{}x", vector.secret)).unwrap();
        let body = splice_token(&vector.body, &vector.token);
        assert!(
            matches!(
                token::verify(body.as_bytes(), &secret),
                Err(TokenError::Mismatch)
            ),
            "vector {:?}",
            vector.name
        );
    }
}

/// Replaces or adds the `Token` field without touching the rest of the text.
fn splice_token(body: &str, token: &str) -> String {
    let without = match body.find("\"Token\"") {
        Some(start) => {
            let end = body[start..]
                .find('}')
                .map_or(body.len(), |offset| start + offset);
            let before = body[..start].trim_end().trim_end_matches(',');
            format!("{before}{}", &body[end..])
        }
        None => body.to_owned(),
    };
    let close = without.rfind('}').unwrap();
    let separator = if without[..close].trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    format!(
        "{}{separator}\"Token\":\"{token}\"{}",
        &without[..close],
        &without[close..]
    )
}
