//! `rubrica`: runs the suite and its command-line tools.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    rubrica::cli::main().await
}
