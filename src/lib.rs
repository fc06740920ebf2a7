//! The `rubrica` launcher and CLI.
//!
//! # Layout
//! - [`all_specs`]: the five services of the suite, as the platform runs them.
//! - [`cli`]: the command line (`serve`, and the commands later issues add),
//!   with Spanish help and messages.

pub mod cli;
pub mod commands;

use rubrica_platform::ServiceSpec;

/// Every service of the suite, in start-up order.
pub fn all_specs() -> Vec<ServiceSpec> {
    vec![
        rubrica_secretariat::spec(),
        rubrica_documents::spec(),
        rubrica_signing::spec(),
        rubrica_mail::spec(),
        rubrica_archive::spec(),
    ]
}
