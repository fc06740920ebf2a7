//! The `rubrica` launcher and CLI.
//!
//! # Layout
//! - [`all_specs`]: the five services of the suite, as the platform runs them.
//! - [`cli`]: the command line (`serve`, and the commands later issues add),
//!   with Spanish help and messages.

/// `println!` for what the command line prints. When whoever reads its
/// output has gone (`rubrica verify acta.pdf | head -3`), the program ends
/// quietly with status 141, as a Unix tool ended by SIGPIPE does, instead of
/// panicking: Rust ignores SIGPIPE, so `println!` panics there.
macro_rules! outln {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with [`outln!`]'s handling of a closed output.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

pub mod cli;
pub mod commands;

/// Writes to standard output for [`outln!`] and [`out!`]: a closed pipe
/// ends the program with status 141, any other failure with a Spanish
/// message and status 1.
#[doc(hidden)]
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    match std::io::stdout().lock().write_fmt(args) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        Err(e) => {
            eprintln!(
                "error: no se pudo escribir la salida ({e}). Revise el destino de la salida (archivo, disco o tubería)."
            );
            std::process::exit(1)
        }
    }
}

use rubrica_platform::ServiceSpec;
use rubrica_platform::config::SectionSpec;

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

/// The sections of the settings every service owns (`[mail]`, `[archive]`,
/// `[signing]`, `[terms]`): the launcher reads them all, whichever services
/// it runs, so none is mistaken for a misspelt key.
pub fn all_sections() -> Vec<SectionSpec> {
    all_specs()
        .iter()
        .flat_map(|spec| spec.sections.iter().copied())
        .collect()
}

/// Mounts the members' web platform (`services/web`) at `/` of `suite`,
/// talking to the suite's own services by their URLs.
/// The web front calls the other services of this process over loopback,
/// passing the browser's address in `X-Forwarded-For`: unless the operator
/// listed the proxies to trust, this process trusts its own loopback, so
/// login failures are counted per browser and not all against 127.0.0.1.
pub fn trust_local_front(settings: &mut rubrica_platform::Settings) {
    if settings.http.trusted_proxies.is_empty() {
        settings.http.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
    }
}

pub fn with_web(
    suite: rubrica_platform::launch::Suite,
) -> anyhow::Result<rubrica_platform::launch::Suite> {
    let Some(mut config) = rubrica_web::WebConfig::from_settings(suite.settings()) else {
        return Ok(suite);
    };
    let archive: rubrica_archive::settings::ArchiveSettings = suite.settings().section();
    config.max_evidence_bytes = archive.max_evidence_bytes.min(archive.max_object_bytes);
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()?;
    let state = rubrica_web::WebState::new(config, http);
    Ok(suite.with_front(rubrica_web::front(state)))
}

#[cfg(test)]
mod tests {
    /// Every section a service declares is one the platform leaves alone in
    /// processes that do not run that service, and the other way round.
    #[test]
    fn the_platform_knows_the_name_of_every_service_section() {
        let mut declared: Vec<&str> = super::all_sections().iter().map(|s| s.key).collect();
        declared.sort_unstable();
        let mut known = rubrica_platform::config::SERVICE_SECTIONS.to_vec();
        known.sort_unstable();
        assert_eq!(declared, known);
    }
}
