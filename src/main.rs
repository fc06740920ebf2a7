//! `rubrica`: runs the suite and its command-line tools.

use std::process::ExitCode;

/// No `#[tokio::main]`: `cli::main` starts the async runtime only for the
/// commands that need it, so offline `verify` and `sign` start fast.
fn main() -> ExitCode {
    rubrica::cli::main()
}
