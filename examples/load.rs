//! Drives many complete payments at once through the sandbox and the
//! example shop, each running as its own process on 127.0.0.1, and reports
//! payments per second and the peak memory of both processes.
//!
//! Build the sandbox binary first, then run the driver:
//!
//! ```text
//! cargo build --release -p kupikupi-actix --features sandbox --bin kupikupi-sandbox
//! cargo build --release -p kupikupi-examples --example shop
//! cargo run --release -p kupikupi-examples --example load -- --payments 1000
//! ```
//!
//! Each payment is one customer with their own phone walking the whole
//! flow over HTTP. The customer creates an order and views the order page,
//! which reads the points balance twice. Then they press pay, open the
//! form, read the transfer code from the account JSON and submit it. They
//! come back through the return route and see the order paid. The driver
//! then waits until the sandbox has delivered every notification, and
//! checks that each customer's balance went down exactly once.
//!
//! The driver starts and stops both processes itself. Peak memory is
//! `VmHWM` from `/proc/PID/status`, so it is reported on Linux only.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::task::JoinSet;

const UID: &str = "load-shop";
/// The coffee's price in the shop's catalogue, in kopecks.
const COFFEE: u64 = 97_200;
/// Each customer's points: enough for one coffee.
const BALANCE: u64 = 100_000;
const FIRST_PHONE: u64 = 79_000_000_000;

/// Drives concurrent complete payments through the sandbox and the shop.
#[derive(Debug, Parser)]
struct Args {
    /// Number of payments, all started at once.
    #[arg(long, default_value_t = 1000)]
    payments: u64,

    /// The kupikupi-sandbox binary; defaults to the one beside this
    /// program's folder in the target directory.
    #[arg(long)]
    sandbox_bin: Option<PathBuf>,

    /// The shop example binary; defaults to the one beside this program.
    #[arg(long)]
    shop_bin: Option<PathBuf>,

    /// HTTP worker threads of each process.
    #[arg(long, default_value_t = 2)]
    workers: usize,

    /// Seconds after which the run gives up.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

type Failure = String;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            report_error(&format!("cannot start the Tokio runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            report_error(&message);
            ExitCode::FAILURE
        }
    }
}

#[allow(
    clippy::print_stderr,
    reason = "a command-line tool reports errors on stderr"
)]
fn report_error(message: &str) {
    eprintln!("load: {message}");
}

/// A child process, killed when dropped unless it was stopped.
struct Process {
    name: &'static str,
    child: Child,
}

impl Process {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for a clean exit, killing it after 10 s.
    fn stop(&mut self) {
        let terminated = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while terminated && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|error| format!("cannot find a free port: {error}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|error| format!("cannot find a free port: {error}"))
}

/// A binary beside this program: `examples/NAME` or `NAME` one folder up.
fn sibling(explicit: Option<PathBuf>, relative: &str) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let exe =
        std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    // This program is <target>/<profile>/examples/load.
    let examples = exe.parent().ok_or("this program has no folder")?;
    let path = examples.join(relative);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found; build it first (see `cargo run --example load -- --help` and the file's header) or pass its path",
            path.display()
        ))
    }
}

/// `VmHWM` (peak resident memory) of a process, in KiB.
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn log_file(dir: &Path, name: &str) -> Result<Stdio, String> {
    let file = std::fs::File::create(dir.join(name))
        .map_err(|error| format!("cannot create {name}: {error}"))?;
    Ok(Stdio::from(file))
}

async fn run(args: Args) -> Result<(), String> {
    let sandbox_bin = sibling(args.sandbox_bin.clone(), "../kupikupi-sandbox")?;
    let shop_bin = sibling(args.shop_bin.clone(), "shop")?;
    let dir = tempfile::tempdir()
        .map_err(|error| format!("cannot create a temporary folder: {error}"))?;
    let sandbox_port = free_port()?;
    let shop_port = free_port()?;
    let sandbox_url = format!("http://127.0.0.1:{sandbox_port}/");
    let shop_url = format!("http://127.0.0.1:{shop_port}/");
    let secret = format!("load-{}", std::process::id());

    let mut sandbox_command = Command::new(&sandbox_bin);
    sandbox_command
        .args(["--port", &sandbox_port.to_string()])
        .args(["--platform-uid", UID])
        .args([
            "--notification-url",
            &format!("{shop_url}kupikupi/notifications"),
        ])
        .args(["--deadline", "10m"])
        .args(["--retry-schedule", "100ms,200ms,400ms,800ms,1s,2s,5s"])
        .args(["--workers", &args.workers.to_string()])
        .env("KUPIKUPI_SECRET_KEY", &secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log_file(dir.path(), "sandbox.log")?);
    for index in 0..args.payments {
        sandbox_command.arg(format!("--customer={}={BALANCE}", FIRST_PHONE + index));
    }
    let mut sandbox = Process {
        name: "sandbox",
        child: sandbox_command
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", sandbox_bin.display()))?,
    };
    let mut shop = Process {
        name: "shop",
        child: Command::new(&shop_bin)
            .env("KUPIKUPI_BASE_URL", &sandbox_url)
            .env("KUPIKUPI_UID_PLATFORM", UID)
            .env("KUPIKUPI_SECRET_KEY", &secret)
            .env("SHOP_PUBLIC_URL", &shop_url)
            .env("SHOP_PORT", shop_port.to_string())
            .env("SHOP_DATABASE", dir.path().join("shop.sqlite3"))
            .env("SHOP_WORKERS", args.workers.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log_file(dir.path(), "shop.log")?)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", shop_bin.display()))?,
    };

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|error| format!("cannot create the HTTP client: {error}"))?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    wait_until_up(&http, &sandbox_url, deadline).await?;
    wait_until_up(&http, &shop_url, deadline).await?;

    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for index in 0..args.payments {
        let http = http.clone();
        let shop_url = shop_url.clone();
        let sandbox_url = sandbox_url.clone();
        tasks.spawn(async move {
            let phone = (FIRST_PHONE + index).to_string();
            pay(&http, &shop_url, &sandbox_url, &phone).await
        });
    }
    let mut failures: Vec<Failure> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => failures.push(failure),
            Err(error) => failures.push(format!("task failed: {error}")),
        }
    }
    let paid_after = started.elapsed();
    let deliveries = wait_for_deliveries(&http, &sandbox_url, deadline).await?;
    let settled_after = started.elapsed();

    let sandbox_peak = peak_memory_kib(sandbox.pid());
    let shop_peak = peak_memory_kib(shop.pid());
    shop.stop();
    sandbox.stop();

    let completed = args.payments - u64::try_from(failures.len()).unwrap_or(u64::MAX);
    print_report(&Report {
        payments: args.payments,
        completed,
        failures: &failures,
        paid_after,
        settled_after,
        deliveries,
        peaks: [(sandbox.name, sandbox_peak), (shop.name, shop_peak)],
        workers: args.workers,
    });
    if failures.is_empty() && deliveries.pending == 0 && deliveries.failed == 0 {
        Ok(())
    } else {
        // The logs and the database stay for a look at what went wrong.
        let kept = dir.keep();
        Err(format!(
            "{} payments failed, {} notifications pending, {} gave up; the logs and the database are in {}",
            failures.len(),
            deliveries.pending,
            deliveries.failed,
            kept.display()
        ))
    }
}

async fn wait_until_up(http: &reqwest::Client, url: &str, deadline: Instant) -> Result<(), String> {
    loop {
        if let Ok(response) = http.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("{url} did not answer before the timeout"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Counts of the sandbox's delivery log.
#[derive(Debug, Clone, Copy, Default)]
struct Deliveries {
    delivered: u64,
    pending: u64,
    failed: u64,
    attempts: u64,
}

async fn wait_for_deliveries(
    http: &reqwest::Client,
    sandbox_url: &str,
    deadline: Instant,
) -> Result<Deliveries, String> {
    loop {
        let log = get_json(http, &format!("{sandbox_url}sandbox/deliveries/json")).await?;
        let entries = log.as_array().ok_or("the delivery log is not a list")?;
        let mut counts = Deliveries::default();
        for entry in entries {
            match entry["state"].as_str() {
                Some("delivered") => counts.delivered += 1,
                Some("pending") => counts.pending += 1,
                _ => counts.failed += 1,
            }
            counts.attempts += entry["attempts"]
                .as_array()
                .map_or(0, |attempts| attempts.len() as u64);
        }
        if counts.pending == 0 || Instant::now() >= deadline {
            return Ok(counts);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|error| format!("GET {url}: {error}"))?;
    let bytes = response
        .bytes()
        .await
        .map_err(|error| format!("GET {url}: {error}"))?;
    serde_json::from_slice(&bytes).map_err(|error| format!("GET {url}: invalid JSON: {error}"))
}

fn location(response: &reqwest::Response, step: &str) -> Result<String, Failure> {
    if response.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!("{step}: expected 303, got {}", response.status()));
    }
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("{step}: no Location header"))
}

/// One customer's whole payment.
async fn pay(
    http: &reqwest::Client,
    shop_url: &str,
    sandbox_url: &str,
    phone: &str,
) -> Result<(), Failure> {
    let send = |request: reqwest::RequestBuilder, step: &'static str| async move {
        request
            .send()
            .await
            .map_err(|error| format!("{step} for {phone}: {error}"))
    };
    let form_body = |body: String| {
        (
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
            body,
        )
    };

    let (header, value, body) = form_body(format!("sku=coffee&phone={phone}"));
    let created = send(
        http.post(format!("{shop_url}orders"))
            .header(header, value)
            .body(body),
        "create order",
    )
    .await?;
    let order_path = location(&created, "create order")?;
    let order_url = format!("{}{}", shop_url.trim_end_matches('/'), order_path);
    let id = order_path.trim_start_matches("/orders/").to_owned();

    let page = send(http.get(&order_url), "order page").await?;
    let page = page
        .text()
        .await
        .map_err(|error| format!("order page: {error}"))?;
    if !page.contains("id=\"pay\"") {
        return Err(format!("order {id}: no pay button"));
    }

    let checkout = send(
        http.post(format!("{shop_url}kupikupi/checkout/{id}")),
        "checkout",
    )
    .await?;
    let form_url = location(&checkout, "checkout")?;
    let form = send(http.get(&form_url), "payment form").await?;
    if !form.status().is_success() {
        return Err(format!("order {id}: form answered {}", form.status()));
    }

    let account_url = format!("{sandbox_url}sandbox/accounts/{phone}/json");
    let account = get_json(http, &account_url).await?;
    let order_id = format!("shop-{id}");
    let code = account["pending"]
        .as_array()
        .and_then(|pending| {
            pending
                .iter()
                .find(|entry| entry["order_id"] == order_id.as_str())
        })
        .and_then(|entry| entry["code"].as_str())
        .ok_or_else(|| format!("order {id}: no transfer code"))?
        .to_owned();

    let (header, value, body) = form_body(format!("code={code}"));
    let submitted = send(
        http.post(&form_url).header(header, value).body(body),
        "submit code",
    )
    .await?;
    let return_url = location(&submitted, "submit code")?;
    let returned = send(http.get(&return_url), "return").await?;
    let back = location(&returned, "return")?;
    if back != order_url {
        return Err(format!(
            "order {id}: returned to {back}, not the order page"
        ));
    }

    let page = send(http.get(&order_url), "paid order page").await?;
    let page = page
        .text()
        .await
        .map_err(|error| format!("paid order page: {error}"))?;
    if !page.contains("Paid with KupiKupi points") {
        return Err(format!("order {id}: not shown as paid"));
    }
    let account = get_json(http, &account_url).await?;
    let expected = BALANCE - COFFEE;
    if account["balance"].as_u64() != Some(expected) {
        return Err(format!(
            "order {id}: balance {} instead of {expected}",
            account["balance"]
        ));
    }
    Ok(())
}

struct Report<'a> {
    payments: u64,
    completed: u64,
    failures: &'a [Failure],
    paid_after: Duration,
    settled_after: Duration,
    deliveries: Deliveries,
    peaks: [(&'static str, Option<u64>); 2],
    workers: usize,
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[allow(clippy::print_stdout, reason = "the report is this tool's output")]
fn print_report(report: &Report<'_>) {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let per_second = |elapsed: Duration| {
        let millis = u64::try_from(elapsed.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        // Whole payments per second with one decimal, in integers.
        let tenths = report.completed * 10_000 / millis;
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    println!("machine: {cpus} CPUs, {}", cpu_model());
    println!(
        "payments: {} started at once, {} completed, {} failed (HTTP workers per process: {})",
        report.payments,
        report.completed,
        report.failures.len(),
        report.workers
    );
    println!(
        "all orders paid after {:.2?}: {} payments/s",
        report.paid_after,
        per_second(report.paid_after)
    );
    println!(
        "all notifications settled after {:.2?}: {} payments/s",
        report.settled_after,
        per_second(report.settled_after)
    );
    println!(
        "notifications: {} delivered, {} pending, {} failed, {} attempts",
        report.deliveries.delivered,
        report.deliveries.pending,
        report.deliveries.failed,
        report.deliveries.attempts
    );
    for (name, peak) in report.peaks {
        match peak {
            Some(kib) => println!(
                "peak memory (VmHWM) of the {name}: {} MiB ({kib} KiB)",
                kib / 1024
            ),
            None => println!("peak memory (VmHWM) of the {name}: not available"),
        }
    }
    for failure in report.failures.iter().take(10) {
        println!("failure: {failure}");
    }
}
