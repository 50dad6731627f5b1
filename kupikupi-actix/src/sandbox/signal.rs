//! Waiting for the signal that stops a long-running process.

use tracing::error;

/// Waits until the process receives Ctrl-C (SIGINT) or, on Unix, SIGTERM.
///
/// The `kupikupi-sandbox` binary and the example shop wait on this before
/// they stop their servers. If a signal cannot be listened for, the failure
/// is logged and the function returns at once, so the caller stops instead
/// of running with no way to stop it cleanly.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    result = tokio::signal::ctrl_c() => log_signal_error(result),
                    _ = terminate.recv() => {}
                }
            }
            Err(source) => {
                error!(%source, "cannot listen for SIGTERM; only Ctrl-C stops the process");
                log_signal_error(tokio::signal::ctrl_c().await);
            }
        }
    }
    #[cfg(not(unix))]
    log_signal_error(tokio::signal::ctrl_c().await);
}

fn log_signal_error(result: std::io::Result<()>) {
    if let Err(source) = result {
        error!(%source, "cannot listen for Ctrl-C; stopping now");
    }
}
