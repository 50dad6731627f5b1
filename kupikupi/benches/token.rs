//! Token verification against its floor, one SHA-256 over the bytes the
//! Token covers, and against JSON validation of the body alone, all measured
//! in the same run.
//!
//! Run with `cargo bench -p kupikupi --bench token`.

// Benchmark setup: a failure should stop the run with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kupikupi::SecretKey;
use kupikupi::token;
use sha2::{Digest, Sha256};

const SECRET: &str = "yIKirCvplm0N1DOg";

/// A notification as the service sends it.
fn typical_notification() -> String {
    r#"{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"shop1-104233","PaymentId":"3093273","Amount":97200,"Phone":79001234567,"Status":"CONFIRMED","Success":true,"ErrorCode":"0"}"#.to_owned()
}

/// A 4 KiB body: a long Cyrillic description, unknown fields and a nested
/// receipt that the Token leaves out.
fn large_body() -> String {
    let description = "Заказ: чайник электрический, 1.7 л; ".repeat(48);
    let items: Vec<String> = (0..20)
        .map(|index| {
            format!(
                r#"{{"Name":"Item {index}","Price":{},"Quantity":1}}"#,
                1000 + index
            )
        })
        .collect();
    let body = format!(
        r#"{{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"shop1-104233","PaymentId":"3093273","Amount":97200,"Phone":79001234567,"Status":"CONFIRMED","Success":true,"ErrorCode":"0","Description":"{description}","Rrn":"123456789012","Receipt":{{"Items":[{}]}}}}"#,
        items.join(",")
    );
    assert!(
        (3900..=4300).contains(&body.len()),
        "the large body is {} bytes",
        body.len()
    );
    body
}

/// The exact bytes the Token of `body` covers, secret included.
fn covered_bytes(body: &str) -> Vec<u8> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body).unwrap();
    let mut pairs: Vec<(String, String)> = object
        .into_iter()
        .filter_map(|(key, value)| match value {
            serde_json::Value::String(text) => Some((key, text)),
            serde_json::Value::Number(number) => Some((key, number.to_string())),
            serde_json::Value::Bool(flag) => Some((key, flag.to_string())),
            _ => None,
        })
        .collect();
    pairs.push(("SecretKey".into(), SECRET.into()));
    pairs.sort_by(|left, right| left.0.as_bytes().cmp(right.0.as_bytes()));
    pairs
        .into_iter()
        .flat_map(|(_, value)| value.into_bytes())
        .collect()
}

fn bench_case(criterion: &mut Criterion, name: &str, unsigned: &str) {
    let secret = SecretKey::new(SECRET).unwrap();
    let signed = token::sign_json(unsigned, &secret).unwrap();
    assert!(token::verify(signed.as_bytes(), &secret).is_ok());
    let covered = covered_bytes(unsigned);

    let mut group = criterion.benchmark_group(name);
    group.bench_function("sha256 floor", |bencher| {
        bencher.iter(|| Sha256::digest(black_box(&covered)))
    });
    // Reading the body at all costs this much: a lower bound for any
    // verifier that must reject invalid JSON.
    group.bench_function("json validation only", |bencher| {
        bencher
            .iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(signed.as_bytes())))
    });
    group.bench_function("verify", |bencher| {
        bencher.iter(|| token::verify(black_box(signed.as_bytes()), &secret))
    });
    group.finish();
}

fn token_benches(criterion: &mut Criterion) {
    bench_case(criterion, "typical notification", &typical_notification());
    bench_case(criterion, "4 KiB body", &large_body());
}

criterion_group!(benches, token_benches);
criterion_main!(benches);
