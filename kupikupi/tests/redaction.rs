//! Runs every client path with a canary secret and phone while capturing all
//! `tracing` output at TRACE, then checks that neither the secret, the full
//! phone nor any Token sent appears in the logs or in any `Debug` output.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use kupikupi::{
    InitOutcome, InitRequest, Kopecks, OrderId, Phone, SecretKey, UidPlatform, token,
    verify_notification,
};
use serde_json::{Value, json};
use support::{PHONE, Reply, SECRET, Service, form, ok, payment, refused};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn request(id: &str) -> InitRequest {
    InitRequest::new(
        OrderId::new(id).unwrap(),
        Kopecks::new(500),
        Phone::parse(PHONE).unwrap(),
    )
    .description("canary order")
}

#[tokio::test]
async fn no_secret_phone_or_token_in_logs_or_debug() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut debug_output = String::new();

    // Success paths.
    let service = Service::start(|method, previous, _| match (method, previous) {
        ("Balance", _) => ok(json!({"Phone": 79005550123u64, "Balance": 900})),
        ("Init", 0) => form("1", 500, "https://pay.example/f"),
        ("Init", 1) => Reply::Hang,
        ("Init", _) => form("2", 500, "https://pay.example/f"),
        _ => ok(payment("2", 500, "NEW")),
    })
    .await;
    let client = service.client();
    let balance = client.balance(&Phone::parse(PHONE).unwrap()).await.unwrap();
    let started = client.init(&request("1")).await.unwrap();
    let reconciled = client.init(&request("2")).await.unwrap();
    let payment = client
        .check_out(&OrderId::new("2").unwrap(), Kopecks::new(500))
        .await
        .unwrap();
    assert!(matches!(reconciled, InitOutcome::Form(_)));
    debug_output.push_str(&format!(
        "{client:?}{balance:?}{started:?}{reconciled:?}{payment:?}{:?}",
        request("1")
    ));

    // Failure paths: refusals, 5xx with retries, garbage, timeouts.
    for reply in [
        refused("4"),
        Reply::Raw(500, vec![], vec![]),
        Reply::Raw(200, vec![], b"x".to_vec()),
        Reply::Hang,
    ] {
        let failing = Service::start(move |_, _, _| reply.clone()).await;
        let client = failing.client();
        let errors = [
            client
                .balance(&Phone::parse(PHONE).unwrap())
                .await
                .unwrap_err(),
            client.init(&request("3")).await.unwrap_err(),
            client
                .check_out(&OrderId::new("3").unwrap(), Kopecks::new(500))
                .await
                .unwrap_err(),
        ];
        for error in &errors {
            debug_output.push_str(&format!("{error:?} {error}"));
        }
    }

    // A notification verified and one rejected.
    let secret = SecretKey::new(SECRET).unwrap();
    let platform = UidPlatform::new(support::UID).unwrap();
    let body = token::sign_json(
        &format!(r#"{{"UidPlatform":"{}","OrderId":"1","PaymentId":"p","Amount":500,"Phone":{PHONE},"Status":"CONFIRMED"}}"#, support::UID),
        &secret,
    )
    .unwrap();
    let notification = verify_notification(body.as_bytes(), &platform, &secret).unwrap();
    let rejected = verify_notification(b"{\"Token\":\"00\"}", &platform, &secret).unwrap_err();
    debug_output.push_str(&format!("{notification:?}{rejected:?}{secret:?}"));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("kupikupi.call"),
        "the capture saw no client spans:\n{logs}"
    );
    assert!(
        logs.contains("retrying"),
        "the capture saw no retries:\n{logs}"
    );

    let mut tokens: Vec<String> = Vec::new();
    for seen in service.seen() {
        let sent: Value = serde_json::from_slice(&seen.body).unwrap();
        tokens.push(sent["Token"].as_str().unwrap().to_owned());
    }
    let signed: Value = serde_json::from_str(&body).unwrap();
    tokens.push(signed["Token"].as_str().unwrap().to_owned());

    for (name, text) in [("logs", &logs), ("Debug output", &debug_output)] {
        assert!(!text.contains(SECRET), "the secret appears in the {name}");
        assert!(
            !text.contains(PHONE),
            "the full phone appears in the {name}"
        );
        for token in &tokens {
            assert!(
                !text.contains(token.as_str()),
                "a Token appears in the {name}"
            );
        }
    }
    assert!(
        logs.contains("+7 900 ***-**-23"),
        "the masked phone should be logged:\n{logs}"
    );
}

#[tokio::test]
async fn refused_connection_retries_are_logged_and_counted() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = support::client_for(&format!("http://127.0.0.1:{port}/"));
    client.init(&request("1")).await.unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // Three tries in all: the request never left the machine, so Init may repeat.
    assert_eq!(logs.matches("sending request").count(), 3, "{logs}");
    assert_eq!(logs.matches("retrying").count(), 2, "{logs}");
    assert_eq!(logs.matches("giving up after retries").count(), 1, "{logs}");
}
