//! A customer paying in the example shop with a real browser: headless
//! Chromium driven over WebDriver through chromedriver.
//!
//! The test needs Debian's `chromium` and `chromium-driver` packages
//! (`apt-get install -y chromium chromium-driver`); `CHROMIUM` and
//! `CHROMEDRIVER` override the paths `/usr/bin/chromium` and
//! `/usr/bin/chromedriver`. It saves a screenshot of each page in
//! `KUPIKUPI_SCREENSHOT_DIR`, or else in `screenshots/` of the cargo target
//! folder.

// Test support: a failed step fails the test on the spot, and the paths of
// the screenshots are printed for the person running it.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{COFFEE, RICH_BALANCE, Setup, World, rich};
use fantoccini::{Client, ClientBuilder, Locator};
use kupikupi::Kopecks;
use tokio::process::{Child, Command};

/// Maximum time for the whole browser walk, cold browser start included.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);
/// Maximum time for one page to show the element the test waits for.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

fn program(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.exists(),
        "{} not found. Install Chromium and its WebDriver with \
         `apt-get update && apt-get install -y chromium chromium-driver`, \
         or set {variable} to the program's path.",
        path.display()
    );
    path
}

/// Where screenshots go: `KUPIKUPI_SCREENSHOT_DIR`, or `screenshots/` in the
/// target folder that contains this test binary.
fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KUPIKUPI_SCREENSHOT_DIR") {
        return PathBuf::from(dir);
    }
    // The binary is at <target>/<profile>/deps/browser-<hash>.
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    target.join("screenshots")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    _child: Child,
    url: String,
}

async fn start_driver() -> Driver {
    let chromedriver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
    let port = free_port();
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", chromedriver.display()));
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    common::wait_for(
        "chromedriver to answer /status",
        || {
            let request = http.get(format!("{url}/status")).send();
            async move {
                request
                    .await
                    .map(|response| response.status().as_u16())
                    .ok()
            }
        },
        |status| *status == Some(200),
    )
    .await;
    Driver { _child: child, url }
}

async fn connect(driver: &Driver, profile: &Path) -> Client {
    let chromium = program("CHROMIUM", "/usr/bin/chromium");
    let arguments = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-quic".to_owned(),
        "--window-size=1000,800".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium.to_string_lossy(),
            "args": arguments,
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|error| panic!("cannot start a Chromium session: {error}"))
}

async fn screenshot(browser: &Client, dir: &Path, name: &str) {
    let png = browser.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

async fn find(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no element {css:?} within {PAGE_TIMEOUT:?}: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_pays_order() {
    // Fail, never skip, without a browser: CI installs one.
    program("CHROMIUM", "/usr/bin/chromium");
    program("CHROMEDRIVER", "/usr/bin/chromedriver");
    tokio::time::timeout(TEST_TIMEOUT, walk_through_payment())
        .await
        .unwrap_or_else(|_| panic!("the browser test took longer than {TEST_TIMEOUT:?}"));
}

async fn walk_through_payment() {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let world = World::start(Setup::default()).await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = connect(&driver, profile.path()).await;

    // The catalogue: order coffee with the customer's phone.
    browser.goto(world.shop.url()).await.unwrap();
    find(&browser, "#phone-coffee")
        .await
        .send_keys("+7 900 123-45-67")
        .await
        .unwrap();
    screenshot(&browser, &dir, "1-catalogue.png").await;
    find(&browser, "#order-coffee").await.click().await.unwrap();

    // The order page shows the points and the pay button.
    let pay = find(&browser, "#pay").await;
    let points = find(&browser, "#points").await.text().await.unwrap();
    assert_eq!(points, "Your KupiKupi points: 5000.00 ₽");
    let order_url = browser.current_url().await.unwrap();
    let id: i64 = order_url
        .path()
        .strip_prefix("/orders/")
        .unwrap()
        .parse()
        .unwrap();
    screenshot(&browser, &dir, "2-order.png").await;
    pay.click().await.unwrap();

    // The sandbox's payment form.
    find(&browser, "#code").await;
    let form_url = browser.current_url().await.unwrap();
    assert_eq!(form_url.origin(), world.sandbox.base_url().origin());
    let form_text = find(&browser, "main").await.text().await.unwrap();
    assert!(form_text.contains("972.00 ₽"), "{form_text}");
    screenshot(&browser, &dir, "3-form.png").await;

    // The customer's account page, where the transfer code is.
    browser
        .goto(world.sandbox.account_url(&rich()).as_str())
        .await
        .unwrap();
    let row = find(&browser, "table tr:nth-child(2)").await;
    let row_text = row.text().await.unwrap();
    assert!(row_text.contains(&format!("shop-{id}")), "{row_text}");
    let code = row
        .find(Locator::Css(".code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.len(), 6, "{code:?}");
    screenshot(&browser, &dir, "4-account.png").await;

    // Back on the form: type the code and pay.
    browser.goto(form_url.as_str()).await.unwrap();
    find(&browser, "#code")
        .await
        .send_keys(&code)
        .await
        .unwrap();
    find(&browser, "form:first-of-type button[type=submit]")
        .await
        .click()
        .await
        .unwrap();

    // The shop's order page, now paid.
    let paid = find(&browser, ".paid").await.text().await.unwrap();
    assert_eq!(paid, "Paid with KupiKupi points. Thank you!");
    let final_url = browser.current_url().await.unwrap();
    assert_eq!(
        final_url.as_str(),
        world.url(&format!("/orders/{id}")).as_str()
    );
    screenshot(&browser, &dir, "5-paid.png").await;

    assert!(world.stored(id).await.paid);
    assert_eq!(world.balance(&rich()), Kopecks::new(RICH_BALANCE - COFFEE));

    browser.close().await.unwrap();
    world.stop().await;
}
