//! The one place certificate validators are built from settings: the trust
//! anchors (`auth.trust_anchors_dir`) and the revocation sources
//! (`auth.crl_dir`, `auth.crl_urls`, `auth.ocsp_url`,
//! `auth.revocation_required`). FIEL login, signing
//! (prepare, complete), archive ingest and the public verification all call
//! [`validator`] or [`untrusted_validator`], so they cannot disagree.

use std::sync::Arc;

use std::time::Duration;

use rubrica_fiel::{RevocationOptions, RevocationSource, TrustStore, Validator};

use crate::Settings;

/// The revocation source the settings describe.
pub fn revocation_source(settings: &Settings) -> RevocationSource {
    let auth = &settings.auth;
    RevocationSource::several([
        RevocationSource::CrlFiles(auth.crl_dir.iter().cloned().collect()),
        RevocationSource::CrlUrls(auth.crl_urls.clone()),
        RevocationSource::Ocsp(auth.ocsp_url.clone().unwrap_or_default()),
    ])
}

/// The network settings of the revocation sources.
pub fn revocation_options(settings: &Settings) -> RevocationOptions {
    RevocationOptions {
        network_timeout: Duration::from_secs(settings.auth.revocation_timeout_seconds.max(1)),
        crl_refresh: Duration::from_secs(settings.auth.crl_refresh_minutes.max(1) * 60),
    }
}

/// The validator of the configured trust anchors and revocation sources.
/// `Err` is the Spanish reason no certificate can be accepted (no anchors,
/// an unreadable folder, a CRL that is not from a trusted CA): callers
/// refuse, they never wave certificates through.
pub fn validator(settings: &Settings) -> Result<Arc<Validator>, String> {
    let auth = &settings.auth;
    let Some(dir) = &auth.trust_anchors_dir else {
        return Err(
            "no hay autoridades certificadoras de confianza configuradas (auth.trust_anchors_dir)"
                .into(),
        );
    };
    let trust = TrustStore::from_dir(dir).map_err(|e| {
        tracing::error!(error = %e, dir = %dir.display(), "no se pudieron cargar las autoridades de confianza");
        format!(
            "no se pudieron cargar las autoridades certificadoras de {}: {e}",
            dir.display()
        )
    })?;
    let source = revocation_source(settings);
    let validator = Validator::with_options(trust, &source, revocation_options(settings))
        .map_err(|e| {
            tracing::error!(error = %e, "no se pudieron cargar las listas de revocación");
            format!(
                "no se pudieron cargar las listas de revocación (auth.crl_dir): {e}. Descargue de nuevo las CRL de las autoridades certificadoras configuradas."
            )
        })?;
    if source == RevocationSource::NotConfigured {
        if auth.revocation_required {
            tracing::warn!(
                "auth.revocation_required está activo y no hay fuentes de revocación (auth.crl_dir, auth.crl_urls, auth.ocsp_url): se rechazará todo certificado"
            );
        } else {
            tracing::warn!(
                "la revocación de certificados NO se verifica (auth.revocation_required = false, sin auth.crl_dir, auth.crl_urls ni auth.ocsp_url)"
            );
        }
    }
    Ok(Arc::new(
        validator.require_revocation_check(auth.revocation_required),
    ))
}

/// A validator that trusts no CA, for reports when the anchors cannot be
/// loaded: every chain is indeterminate, never valid.
pub fn untrusted_validator(settings: &Settings) -> Arc<Validator> {
    let validator = match Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured) {
        Ok(v) => v,
        // Nothing is loaded without a source, so this cannot fail.
        Err(e) => unreachable!("validador vacío: {e}"),
    };
    Arc::new(validator.require_revocation_check(settings.auth.revocation_required))
}
