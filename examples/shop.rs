//! Run with: cargo run --example shop
//!
//! Without configuration it starts an embedded KupiKupi sandbox with demo
//! customers and prints where to click. To use a real KupiKupi service
//! instead, set all three of
//!
//! - `KUPIKUPI_BASE_URL`: the API's base URL,
//! - `KUPIKUPI_UID_PLATFORM`: the shop's platform UID,
//! - `KUPIKUPI_SECRET_KEY`: the platform's secret key,
//!
//! and `SHOP_PUBLIC_URL`, the address customers' browsers reach the shop
//! at. Register `{SHOP_PUBLIC_URL}kupikupi/notifications` as the
//! notification URL at the service.
//!
//! Other settings: `SHOP_PORT` (default 8080, and a free port when 8080 is
//! busy), `SHOP_DATABASE` (default `kupikupi-example-shop.sqlite3` in
//! the system's temporary folder), `SHOP_WORKERS` (default 2) and
//! `RUST_LOG` (default `info,kupikupi_actix=debug,kupikupi_examples=debug`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use kupikupi::{Kopecks, Phone, SecretKey, UidPlatform};
use kupikupi_actix::sandbox::{RetrySchedule, Sandbox, SandboxHandle, SandboxPlatform};
use kupikupi_examples::{ServiceConfig, ShopConfig, ShopHandle, start};
use tracing::{error, info};
use tracing_subscriber::EnvFilter;

/// The demo customer with enough points for everything but the grinder.
const DEMO_PHONE: &str = "79001234567";
const DEMO_BALANCE: Kopecks = Kopecks::new(500_000);
/// A second customer with too few points for anything.
const POOR_PHONE: &str = "79007654321";
const POOR_BALANCE: Kopecks = Kopecks::new(5_000);
const DEMO_UID: &str = "corner-coffee";
const DEFAULT_PORT: u16 = 8080;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new("info,kupikupi_actix=debug,kupikupi_examples=debug")
        }))
        .with_writer(std::io::stderr)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    // A port the operator chose must be the one used; only the default
    // gives way to a free port when it is taken.
    let (port, fall_back_to_free_port) = match std::env::var("SHOP_PORT") {
        Ok(text) => (
            text.parse().map_err(|_| {
                format!("invalid SHOP_PORT {text:?}: write a port number, like 8080")
            })?,
            false,
        ),
        Err(_) => (DEFAULT_PORT, true),
    };
    let workers = match std::env::var("SHOP_WORKERS") {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("invalid SHOP_WORKERS {text:?}: write a number, like 2"))?,
        Err(_) => 2,
    };
    let database = std::env::var_os("SHOP_DATABASE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("kupikupi-example-shop.sqlite3"));

    let (service, sandbox) = match service_from_env()? {
        Some(service) => (service, None),
        None => {
            let (service, sandbox) = start_sandbox().await?;
            (service, Some(sandbox))
        }
    };

    let mut config = ShopConfig::new(database, service);
    config.port = port;
    config.fall_back_to_free_port = fall_back_to_free_port;
    config.workers = workers;
    config.public_url = std::env::var("SHOP_PUBLIC_URL").ok();
    if sandbox.is_some() {
        config.demo_phone = Some(format!("+{DEMO_PHONE}"));
    }
    let shop = start(config).await.map_err(|source| error_chain(&source))?;

    if let Some(sandbox) = &sandbox {
        let uid = UidPlatform::new(DEMO_UID).map_err(|source| source.to_string())?;
        let url = shop
            .notification_url()
            .parse()
            .map_err(|source| format!("invalid notification URL: {source}"))?;
        sandbox
            .set_notification_url(&uid, url)
            .map_err(|source| source.to_string())?;
        print_demo_instructions(&shop, sandbox)?;
    } else {
        info!(
            url = shop.url(),
            "shop listening; talking to the configured KupiKupi service"
        );
    }

    kupikupi_actix::sandbox::shutdown_signal().await;
    info!("shutting down");
    shop.stop().await;
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    info!("stopped");
    Ok(())
}

/// Reads the service settings; `None` when none of them is set.
fn service_from_env() -> Result<Option<ServiceConfig>, String> {
    let names = [
        "KUPIKUPI_BASE_URL",
        "KUPIKUPI_UID_PLATFORM",
        "KUPIKUPI_SECRET_KEY",
    ];
    let values = names.map(|name| std::env::var(name).ok());
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    let [Some(base_url), Some(uid), Some(secret)] = values else {
        return Err(format!(
            "missing {}: set all of KUPIKUPI_BASE_URL, KUPIKUPI_UID_PLATFORM and KUPIKUPI_SECRET_KEY, or none to use the embedded sandbox",
            missing.join(", ")
        ));
    };
    if std::env::var_os("SHOP_PUBLIC_URL").is_none() {
        return Err(
            "missing SHOP_PUBLIC_URL: with a real KupiKupi service, set the address customers reach the shop at, like https://shop.example/"
                .to_owned(),
        );
    }
    Ok(Some(ServiceConfig {
        base_url,
        uid_platform: UidPlatform::new(uid)
            .map_err(|source| format!("invalid KUPIKUPI_UID_PLATFORM: {source}"))?,
        secret_key: SecretKey::new(secret)
            .map_err(|source| format!("invalid KUPIKUPI_SECRET_KEY: {source}"))?,
    }))
}

async fn start_sandbox() -> Result<(ServiceConfig, SandboxHandle), String> {
    let uid = UidPlatform::new(DEMO_UID).map_err(|source| source.to_string())?;
    // The sandbox and the shop run in one process and share this key; it
    // protects nothing real.
    let secret = SecretKey::new(format!("sandbox-{}", std::process::id()))
        .map_err(|source| source.to_string())?;
    let demo = Phone::parse(DEMO_PHONE).map_err(|source| source.to_string())?;
    let poor = Phone::parse(POOR_PHONE).map_err(|source| source.to_string())?;
    let sandbox = Sandbox::builder()
        .add_platform(SandboxPlatform::new(uid.clone(), secret.clone()).shop_name("Corner Coffee"))
        .customer(demo, DEMO_BALANCE)
        .customer(poor, POOR_BALANCE)
        .retry_schedule(RetrySchedule::new([5, 30, 120].map(Duration::from_secs)))
        .start()
        .await
        .map_err(|source| error_chain(&source))?;
    let service = ServiceConfig {
        base_url: sandbox.base_url().to_string(),
        uid_platform: uid,
        secret_key: secret,
    };
    Ok((service, sandbox))
}

#[allow(
    clippy::print_stdout,
    reason = "the demo's instructions are its output, for the person who started it"
)]
fn print_demo_instructions(shop: &ShopHandle, sandbox: &SandboxHandle) -> Result<(), String> {
    let demo = Phone::parse(DEMO_PHONE).map_err(|source| source.to_string())?;
    println!();
    println!("Example shop with an embedded KupiKupi sandbox (no real points move).");
    println!();
    println!("  Shop:             {}", shop.url());
    println!("  Customer account: {}", sandbox.account_url(&demo));
    println!("  Sandbox:          {}", sandbox.base_url());
    println!();
    println!("1. Open the shop and press Order under a product (the phone is filled in).");
    println!(
        "2. The order page shows the customer's points ({DEMO_BALANCE}). Press \"Pay with KupiKupi points\"."
    );
    println!("3. Open the customer account page: it shows the transfer code for the payment.");
    println!("4. Type the code on the payment form and press Pay.");
    println!("5. You are back on the order page, which now says the order is paid.");
    println!();
    println!("The customer +{POOR_PHONE} has only {POOR_BALANCE}: its orders get no pay button.");
    println!("Press Ctrl-C to stop.");
    Ok(())
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
