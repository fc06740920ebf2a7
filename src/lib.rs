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
    let Some(config) = rubrica_web::WebConfig::from_settings(suite.settings()) else {
        return Ok(suite);
    };
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()?;
    let state = rubrica_web::WebState::new(config, http);
    Ok(suite.with_front(rubrica_web::front(state)))
}
