//! A stand-in for the KupiKupi service: a real HTTP/1.1 server on
//! 127.0.0.1 whose replies each test scripts, and which counts requests per
//! method and keeps every body it received.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code, unreachable_pub)] // Each test binary uses a different part.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kupikupi::retry::RetryPolicy;
use kupikupi::{Client, SecretKey, UidPlatform};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const UID: &str = "platform-test";
pub const SECRET: &str = "canary-secret-7f3a9c";
pub const PHONE: &str = "79005550123";

/// What the stand-in does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// HTTP status and a JSON body.
    Json(u16, Value),
    /// HTTP status, extra headers and a raw body.
    Raw(u16, Vec<(String, String)>, Vec<u8>),
    /// A body streamed without Content-Length, in chunks.
    Chunked(usize),
    /// Read the request and never answer.
    Hang,
    /// Read the request and close the connection without answering.
    Close,
}

/// A request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub body: Vec<u8>,
    pub headers: String,
}

type Script = dyn Fn(&str, usize, &Value) -> Reply + Send + Sync;

pub struct Service {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Service {
    /// Starts the stand-in; `script` gets the method name, how many requests
    /// of that method came before, and the parsed body.
    pub async fn start(
        script: impl Fn(&str, usize, &Value) -> Reply + Send + Sync + 'static,
    ) -> Service {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/api/", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let task = tokio::spawn({
            let seen = seen.clone();
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(serve(stream, seen.clone(), script.clone()));
                }
            }
        });
        Service {
            base_url,
            seen,
            task,
        }
    }

    /// How many requests of a method arrived.
    pub fn count(&self, method: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|seen| seen.method == method)
            .count()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn client(&self) -> Client {
        client_for(&self.base_url)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client with short timeouts and fast retries, so failure tests finish quickly.
pub fn client_for(base_url: &str) -> Client {
    Client::builder(
        UidPlatform::new(UID).unwrap(),
        SecretKey::new(SECRET).unwrap(),
        base_url,
    )
    .timeout(Duration::from_millis(400))
    .connect_timeout(Duration::from_millis(400))
    .retry(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    })
    .build()
    .unwrap()
}

pub fn ok(fields: Value) -> Reply {
    let mut body = json!({"Success": true, "ErrorCode": "0"});
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    Reply::Json(200, body)
}

pub fn refused(code: &str) -> Reply {
    Reply::Json(
        200,
        json!({"Success": false, "ErrorCode": code, "Message": "refused", "Details": "Phone"}),
    )
}

pub fn payment(order_id: &str, amount: u64, status: &str) -> Value {
    json!({"OrderId": order_id, "Amount": amount, "PaymentId": format!("pay-{order_id}"), "Status": status})
}

pub fn form(order_id: &str, amount: u64, url: &str) -> Reply {
    let mut fields = payment(order_id, amount, "NEW");
    fields["PaymentURL"] = Value::from(url);
    ok(fields)
}

async fn serve(mut stream: TcpStream, seen: Arc<Mutex<Vec<Seen>>>, script: Arc<Script>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    };
    let headers = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let length: usize = headers
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|value| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
    let body = buffer[header_end..header_end + length].to_vec();
    let path = headers.split_whitespace().nth(1).unwrap_or_default();
    let method = path.rsplit('/').next().unwrap_or_default().to_owned();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let previous = {
        let mut seen = seen.lock().unwrap();
        let previous = seen.iter().filter(|seen| seen.method == method).count();
        seen.push(Seen {
            method: method.clone(),
            body,
            headers,
        });
        previous
    };
    let reply = script(&method, previous, &parsed);
    let response = match reply {
        Reply::Json(status, body) => {
            let body = serde_json::to_vec(&body).unwrap();
            head(
                status,
                &[("Content-Type".into(), "application/json".into())],
                Some(body.len()),
                &body,
            )
        }
        Reply::Raw(status, headers, body) => head(status, &headers, Some(body.len()), &body),
        Reply::Chunked(total) => {
            let mut response = head(
                200,
                &[("Transfer-Encoding".into(), "chunked".into())],
                None,
                b"",
            );
            let piece = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                let size = piece.len().min(total - sent);
                response.extend_from_slice(format!("{size:x}\r\n").as_bytes());
                response.extend_from_slice(&piece[..size]);
                response.extend_from_slice(b"\r\n");
                sent += size;
            }
            response.extend_from_slice(b"0\r\n\r\n");
            response
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        Reply::Close => return,
    };
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

fn head(status: u16, headers: &[(String, String)], length: Option<usize>, body: &[u8]) -> Vec<u8> {
    let mut response = format!("HTTP/1.1 {status} Status\r\nConnection: close\r\n");
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(length) = length {
        response.push_str(&format!("Content-Length: {length}\r\n"));
    }
    response.push_str("\r\n");
    let mut bytes = response.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
