//! The `kupikupi-sandbox` binary: flags, a payment through it, its logs, and
//! a clean stop on SIGTERM.

#![cfg(all(feature = "sandbox", unix))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sandbox_common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kupikupi::retry::RetryPolicy;
use kupikupi::{Client, Kopecks};
use sandbox_common::*;

/// Kills the process if a test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for the process to exit, polling, for at most `limit`.
async fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let mut waited = Duration::ZERO;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(waited < limit, "the sandbox did not exit within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
}

#[tokio::test]
async fn binary_serves_a_payment_and_stops_on_sigterm() {
    let receiver = Receiver::start(Vec::new()).await;
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_kupikupi-sandbox"))
        .args(["--port", &port.to_string(), "--platform-uid", UID])
        .args(["--shop-name", "Binary shop"])
        .args(["--notification-url", receiver.url.as_str()])
        .args(["--customer", &format!("{RICH}={RICH_BALANCE}")])
        .args(["--deadline", "5m", "--retry-schedule", "50ms,100ms"])
        .env("KUPIKUPI_SECRET_KEY", SECRET)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);

    let base = format!("http://127.0.0.1:{port}/");
    let client = Client::builder(uid(), secret(), &base)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let mut balance = None;
    for _ in 0..200 {
        if let Ok(reply) = client.balance(&rich()).await {
            balance = Some(reply.balance);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(balance, Some(Kopecks::new(RICH_BALANCE)));

    let form = init(&client, &request("bin-1", 1_500, rich())).await;
    let html = open_form(&form).await;
    assert!(html.contains("Binary shop"), "{html}");
    let account = http()
        .get(format!("{base}sandbox/accounts/{RICH}/json"))
        .send()
        .await
        .unwrap();
    let account = json(account).await;
    let code = account["pending"][0]["code"].as_str().unwrap().to_owned();
    let response = submit_code(&form, &code).await;
    assert_eq!(response.status(), 200);

    // FORM_SHOWED and CONFIRMED reach the shop.
    for _ in 0..200 {
        if receiver.statuses().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.statuses(), ["FORM_SHOWED", "CONFIRMED"]);

    let pid = running.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut running.0, WAIT).await;
    assert!(status.success(), "{status}");

    let mut logs = String::new();
    running
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("sandbox started"), "{logs}");
    assert!(logs.contains("API call answered"), "{logs}");
    assert!(logs.contains("notification attempt"), "{logs}");
    assert!(logs.contains("sandbox stopped"), "{logs}");
    assert!(!logs.contains(SECRET), "the secret key is logged: {logs}");
    assert!(
        !logs.contains(RICH),
        "a full phone number is logged: {logs}"
    );
    let body: serde_json::Value = serde_json::from_str(&receiver.received()[0].body).unwrap();
    let token = body["Token"].as_str().unwrap();
    assert!(!logs.contains(token), "a Token is logged: {logs}");
    receiver.stop().await;
}

#[test]
fn binary_rejects_bad_customer_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_kupikupi-sandbox"))
        .args(["--port", "0", "--customer", "79001234567:100"])
        .env("KUPIKUPI_SECRET_KEY", SECRET)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("PHONE=KOPECKS"), "{message}");
}

#[test]
fn binary_requires_a_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_kupikupi-sandbox"))
        .args(["--port", "0"])
        .env_remove("KUPIKUPI_SECRET_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--secret"), "{message}");
}
