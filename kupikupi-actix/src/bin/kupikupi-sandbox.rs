//! Runs the KupiKupi sandbox as a separate process, until Ctrl-C or SIGTERM.
//!
//! ```text
//! kupikupi-sandbox --port 8090 --platform-uid demo-shop --secret demo-secret \
//!     --notification-url http://127.0.0.1:8080/kupikupi/notifications \
//!     --customer 79001234567=100000 --deadline 15m --retry-schedule 1m,5m,30m
//! ```
//!
//! Logs go to standard error; `RUST_LOG` overrides the default filter
//! `info,kupikupi_actix=debug`.

use std::time::Duration;

use clap::Parser;
use kupikupi::{Kopecks, Phone, SecretKey, UidPlatform};
use kupikupi_actix::sandbox::{RetrySchedule, Sandbox, SandboxPlatform, parse_duration};
use tracing::{error, info};
use tracing_subscriber::EnvFilter;
use url::Url;

/// A stand-in for the KupiKupi cashback points service: the API, the
/// payment form, customer accounts and notification delivery, all in memory.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one, which the log shows.
    #[arg(long, default_value_t = 8090, env = "KUPIKUPI_SANDBOX_PORT")]
    port: u16,

    /// UID of the merchant's platform.
    #[arg(
        long,
        default_value = "sandbox-platform",
        env = "KUPIKUPI_UID_PLATFORM"
    )]
    platform_uid: String,

    /// Secret key of the platform. Prefer the environment variable, since
    /// other users of this machine can read command-line arguments.
    #[arg(long, env = "KUPIKUPI_SECRET_KEY", hide_env_values = true)]
    secret: String,

    /// Shop name shown on the payment form; defaults to the platform UID.
    #[arg(long)]
    shop_name: Option<String>,

    /// Where notifications are POSTed. It can also be set later with
    /// `PUT /sandbox/platforms/{uid}/notification-url`.
    #[arg(long, env = "KUPIKUPI_NOTIFICATION_URL")]
    notification_url: Option<Url>,

    /// A customer and their balance in kopecks, as PHONE=KOPECKS, for example
    /// 79001234567=100000. Repeat for more customers.
    #[arg(long = "customer", value_name = "PHONE=KOPECKS", value_parser = parse_customer)]
    customers: Vec<(Phone, Kopecks)>,

    /// How long a payment may stay unfinished after Init, such as 15m or 90s.
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    deadline: Duration,

    /// Pauses between notification attempts, comma-separated, such as
    /// 1m,5m,30m; "none" tries once.
    #[arg(long, default_value = "1m,5m,10m,30m,60m")]
    retry_schedule: RetrySchedule,

    /// How long one notification attempt may take, such as 10s.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    delivery_timeout: Duration,

    /// Number of HTTP worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

fn parse_customer(text: &str) -> Result<(Phone, Kopecks), String> {
    let (phone, balance) = text.split_once('=').ok_or_else(|| {
        format!("invalid customer {text:?}: write PHONE=KOPECKS, like 79001234567=100000")
    })?;
    let phone = Phone::parse(phone).map_err(|error| error.to_string())?;
    let balance: u64 = balance.trim().parse().map_err(|_| {
        format!("invalid balance {balance:?}: write a whole number of kopecks, like 100000")
    })?;
    Ok((phone, Kopecks::new(balance)))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,kupikupi_actix=debug")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let uid = UidPlatform::new(args.platform_uid).map_err(|error| error.to_string())?;
    let secret = SecretKey::new(args.secret).map_err(|error| error.to_string())?;
    let mut platform = SandboxPlatform::new(uid.clone(), secret);
    if let Some(name) = args.shop_name {
        platform = platform.shop_name(name);
    }
    if let Some(url) = args.notification_url {
        platform = platform.notification_url(url);
    }
    let mut builder = Sandbox::builder()
        .add_platform(platform)
        .port(args.port)
        .deadline(args.deadline)
        .retry_schedule(args.retry_schedule)
        .delivery_timeout(args.delivery_timeout)
        .workers(args.workers);
    let customers = args.customers;
    for (phone, balance) in &customers {
        builder = builder.customer(phone.clone(), *balance);
    }
    let sandbox = builder.start().await.map_err(|error| error_chain(&error))?;

    info!(
        base_url = %sandbox.base_url(),
        uid_platform = %uid,
        customers = customers.len(),
        "sandbox listening; the API is at the base URL"
    );
    info!(
        index = %sandbox.base_url(),
        deliveries = %sandbox.deliveries_url(),
        "the index page links every customer's account page, where the transfer codes are"
    );

    kupikupi_actix::sandbox::shutdown_signal().await;
    info!("shutting down");
    sandbox.stop().await;
    info!("sandbox stopped");
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
