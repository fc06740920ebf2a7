//! An RFC 6960 OCSP client: asks the configured responder about one
//! certificate and believes the answer only when it is signed by the
//! certificate's issuer, or by a responder certificate that issuer delegated
//! (id-kp-OCSPSigning), echoes our nonce, names our certificate and is current.
//!
//! The request identifies the certificate by SHA-1 of its issuer's name and key
//! plus its serial (the form every responder, SAT's and `openssl ocsp`
//! included, understands). Answers are cached until the responder's
//! nextUpdate, at most [`MAX_GOOD_CACHE`]; a revocation is kept; failures are
//! never cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use der::asn1::{Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Header, Reader, SliceReader};
use ring::rand::SecureRandom;
use time::OffsetDateTime;
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_ocsp::ext::Nonce;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, Request, ResponderId, TbsRequest, Version,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::certificate::Certificate;
use crate::crypto::{self, RsaPublicKey};
use crate::net;
use crate::trust::{CaCertificate, SignedParts};

/// id-sha1.
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// id-pkix-ocsp-basic.
const OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce.
const OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// Largest OCSP response read (one answer and a responder certificate or two).
const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Clock difference tolerated between us and the responder.
const SKEW: time::Duration = time::Duration::minutes(5);
/// An answer without nextUpdate is accepted this long after its thisUpdate.
const MAX_AGE_WITHOUT_NEXT_UPDATE: time::Duration = time::Duration::hours(24);
/// Longest a "good" answer is reused without asking again.
const MAX_GOOD_CACHE: time::Duration = time::Duration::minutes(5);

/// What the responder established about one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OcspAnswer {
    /// A current, correctly signed "good".
    Good {
        /// The answer's thisUpdate.
        this_update: OffsetDateTime,
    },
    /// A correctly signed "revoked".
    Revoked {
        revoked_at: OffsetDateTime,
        /// RFC 5280 CRLReason code.
        reason: Option<u8>,
    },
    /// The responder answered, but the answer settles nothing: "unknown", or an
    /// answer that is not signed by whom it should be, not current, not ours.
    Unusable(String),
    /// No answer (responder down, timeout, not HTTP 200): nothing was checked.
    Unreachable(String),
}

/// Queries one responder URL.
#[derive(Debug)]
pub(crate) struct OcspClient {
    url: String,
    timeout: Duration,
    /// DER of the CertID → answer and until when it may be reused.
    cache: Mutex<HashMap<Vec<u8>, (OcspAnswer, OffsetDateTime)>>,
}

impl OcspClient {
    pub(crate) fn new(url: String, timeout: Duration) -> Self {
        Self {
            url,
            timeout,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Asks about `certificate`, whose issuer (already verified by the chain) is
    /// `issuer`.
    pub(crate) fn query(&self, certificate: &Certificate, issuer: &CaCertificate) -> OcspAnswer {
        let now = OffsetDateTime::now_utc();
        let Some(parts) = IssuerParts::of(issuer) else {
            return OcspAnswer::Unusable(format!(
                "no se pudo leer el certificado de la autoridad «{}»",
                issuer.name()
            ));
        };
        let Some(cert_id) = cert_id(&parts, certificate.serial()) else {
            return OcspAnswer::Unusable(
                "el número de serie del certificado no cabe en una consulta OCSP".to_owned(),
            );
        };
        let Ok(key) = cert_id.to_der() else {
            return OcspAnswer::Unusable("no se pudo formar la consulta OCSP".to_owned());
        };
        if let Some((answer, until)) = self.lock().get(&key)
            && *until > now
        {
            return answer.clone();
        }
        let mut nonce = [0u8; 16];
        if ring::rand::SystemRandom::new().fill(&mut nonce).is_err() {
            return OcspAnswer::Unreachable("no se pudo generar el nonce de la consulta".into());
        }
        let Some(request) = request_der(&cert_id, &nonce) else {
            return OcspAnswer::Unusable("no se pudo formar la consulta OCSP".to_owned());
        };
        let body = match net::fetch(net::Exchange {
            url: &self.url,
            body: Some(("application/ocsp-request", request)),
            accept: "application/ocsp-response",
            timeout: self.timeout,
            limit: MAX_RESPONSE_BYTES,
        }) {
            Ok(body) => body,
            Err(reason) => return OcspAnswer::Unreachable(reason),
        };
        let (answer, until) = match read_response(&body, &cert_id, &nonce, issuer, &parts, now) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let mut cache = self.lock();
        cache.retain(|_, (_, until)| *until > now);
        cache.insert(key, (answer.clone(), until));
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, (OcspAnswer, OffsetDateTime)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a CertID and a responder-id comparison need from the issuer.
struct IssuerParts {
    /// The issuer's subject Name, DER.
    subject: Vec<u8>,
    /// The issuer's subjectPublicKey BIT STRING contents.
    key_bits: Vec<u8>,
}

impl IssuerParts {
    fn of(issuer: &CaCertificate) -> Option<Self> {
        let (_, x509) = X509Certificate::from_der(issuer.der()).ok()?;
        Some(Self {
            subject: x509.subject().as_raw().to_vec(),
            key_bits: x509.public_key().subject_public_key.data.to_vec(),
        })
    }
}

fn sha1(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

fn cert_id(issuer: &IssuerParts, serial: &[u8]) -> Option<CertId> {
    Some(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: SHA1,
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(sha1(&issuer.subject)).ok()?,
        issuer_key_hash: OctetString::new(sha1(&issuer.key_bits)).ok()?,
        serial_number: SerialNumber::new(strip_zeros(serial)).ok()?,
    })
}

fn request_der(cert_id: &CertId, nonce: &[u8]) -> Option<Vec<u8>> {
    let nonce = Nonce(OctetString::new(nonce.to_vec()).ok()?)
        .to_der()
        .ok()?;
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id.clone(),
                single_request_extensions: None,
            }],
            request_extensions: Some(vec![Extension {
                extn_id: OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(nonce).ok()?,
            }]),
        },
        optional_signature: None,
    }
    .to_der()
    .ok()
}

/// Reads and checks a response. `Ok` is an answer to cache (and until when);
/// `Err` an answer not to cache.
fn read_response(
    body: &[u8],
    cert_id: &CertId,
    nonce: &[u8],
    issuer: &CaCertificate,
    parts: &IssuerParts,
    now: OffsetDateTime,
) -> Result<(OcspAnswer, OffsetDateTime), OcspAnswer> {
    let unusable = |why: &str| OcspAnswer::Unusable(why.to_owned());
    let response = OcspResponse::from_der(body)
        .map_err(|_| unusable("la respuesta del servicio OCSP no es una respuesta OCSP válida"))?;
    match response.response_status {
        OcspResponseStatus::Successful => {}
        OcspResponseStatus::TryLater | OcspResponseStatus::InternalError => {
            return Err(OcspAnswer::Unreachable(
                "el servicio OCSP no pudo responder en este momento".to_owned(),
            ));
        }
        OcspResponseStatus::Unauthorized => {
            return Err(unusable(
                "el servicio OCSP no da información sobre certificados de esta autoridad",
            ));
        }
        OcspResponseStatus::MalformedRequest | OcspResponseStatus::SigRequired => {
            return Err(unusable("el servicio OCSP rechazó la consulta"));
        }
    }
    let bytes = response
        .response_bytes
        .filter(|b| b.response_type == OCSP_BASIC)
        .ok_or_else(|| unusable("la respuesta del servicio OCSP no es de tipo básico"))?;
    let der = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(der)
        .map_err(|_| unusable("la respuesta del servicio OCSP no es una respuesta OCSP válida"))?;
    let tbs = tbs_bytes(der).ok_or_else(|| {
        unusable("la respuesta del servicio OCSP no es una respuesta OCSP válida")
    })?;

    // Who signed it: the issuer itself, or a responder it delegated.
    let oid = basic.signature_algorithm.oid.to_string();
    let signature = basic
        .signature
        .as_bytes()
        .ok_or_else(|| unusable("la firma de la respuesta OCSP está mal formada"))?;
    let signed_by =
        |key: &RsaPublicKey| crypto::verify_signed(tbs, &oid, &oid, signature, key).is_ok();
    let responder = &basic.tbs_response_data.responder_id;
    let by_issuer = names_responder(responder, &parts.subject, &parts.key_bits)
        && signed_by(issuer.public_key());
    let by_delegate = !by_issuer
        && basic.certs.iter().flatten().any(|cert| {
            delegated_key(cert, issuer, parts, responder, now).is_some_and(|key| signed_by(&key))
        });
    if !by_issuer && !by_delegate {
        return Err(unusable(&format!(
            "la respuesta OCSP no está firmada por la autoridad «{}» ni por un servicio OCSP autorizado por ella",
            issuer.name()
        )));
    }

    // Ours: the nonce is echoed (responders that omit it are accepted only
    // within the freshness rules below), and it names our certificate.
    if let Some(echoed) = basic.nonce()
        && echoed.0.as_bytes() != nonce
    {
        return Err(unusable(
            "la respuesta OCSP no corresponde a esta consulta (el nonce no coincide)",
        ));
    }
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|s| same_cert_id(&s.cert_id, cert_id))
        .ok_or_else(|| unusable("la respuesta OCSP no habla de este certificado"))?;

    // Current.
    let this_update = to_time(&single.this_update)
        .ok_or_else(|| unusable("la fecha de la respuesta OCSP no es válida"))?;
    let next_update = match &single.next_update {
        Some(t) => {
            Some(to_time(t).ok_or_else(|| unusable("la fecha de la respuesta OCSP no es válida"))?)
        }
        None => None,
    };
    if this_update > now + SKEW {
        return Err(unusable("la respuesta OCSP tiene una fecha futura"));
    }
    let stale = match next_update {
        Some(next) => next + SKEW < now,
        None => this_update + MAX_AGE_WITHOUT_NEXT_UPDATE < now,
    };
    if stale {
        return Err(unusable("la respuesta OCSP ya no está vigente"));
    }

    Ok(match &single.cert_status {
        CertStatus::Good(_) => (
            OcspAnswer::Good { this_update },
            next_update.unwrap_or(now).min(now + MAX_GOOD_CACHE),
        ),
        CertStatus::Revoked(info) => (
            OcspAnswer::Revoked {
                revoked_at: to_time(&info.revocation_time)
                    .ok_or_else(|| unusable("la fecha de revocación no es válida"))?,
                reason: info.revocation_reason.map(|r| r as u8),
            },
            now + time::Duration::days(1),
        ),
        CertStatus::Unknown(_) => {
            return Err(unusable(
                "el servicio OCSP respondió que no conoce este certificado",
            ));
        }
    })
}

/// The exact bytes of tbsResponseData inside a BasicOCSPResponse (what was signed).
fn tbs_bytes(basic: &[u8]) -> Option<&[u8]> {
    let mut reader = SliceReader::new(basic).ok()?;
    Header::decode(&mut reader).ok()?;
    reader.tlv_bytes().ok()
}

/// Whether the ResponderID names the holder of `subject` / `key_bits`.
fn names_responder(responder: &ResponderId, subject: &[u8], key_bits: &[u8]) -> bool {
    match responder {
        ResponderId::ByName(name) => name.to_der().is_ok_and(|n| n == subject),
        ResponderId::ByKey(hash) => hash.as_bytes() == sha1(key_bits).as_slice(),
    }
}

/// The key of a responder certificate the issuer delegated OCSP to: named by
/// the ResponderID, issued and signed by `issuer`, valid now, with
/// id-kp-OCSPSigning.
fn delegated_key(
    cert: &x509_cert::Certificate,
    issuer: &CaCertificate,
    parts: &IssuerParts,
    responder: &ResponderId,
    now: OffsetDateTime,
) -> Option<RsaPublicKey> {
    let der = cert.to_der().ok()?;
    let (_, x509) = X509Certificate::from_der(&der).ok()?;
    let key_bits = &x509.public_key().subject_public_key.data;
    if !names_responder(responder, x509.subject().as_raw(), key_bits) {
        return None;
    }
    if x509.issuer().as_raw() != parts.subject.as_slice() {
        return None;
    }
    SignedParts::of_certificate(&x509)
        .verify_with(issuer.public_key())
        .ok()?;
    let validity = x509.validity();
    if validity.not_before.to_datetime() > now || validity.not_after.to_datetime() < now {
        return None;
    }
    let eku = x509.extended_key_usage().ok()??;
    if !eku.value.ocsp_signing {
        return None;
    }
    crypto::rsa_public_key(x509.public_key()).ok()
}

fn same_cert_id(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && strip_zeros(a.serial_number.as_bytes()) == strip_zeros(b.serial_number.as_bytes())
}

fn to_time(t: &OcspGeneralizedTime) -> Option<OffsetDateTime> {
    let seconds = i64::try_from(t.0.to_unix_duration().as_secs()).ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

fn strip_zeros(serial: &[u8]) -> &[u8] {
    let first = serial
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(serial.len().saturating_sub(1));
    &serial[first..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_carries_the_serial_without_leading_zeros_and_the_nonce() {
        let parts = IssuerParts {
            subject: vec![0x30, 0],
            key_bits: vec![1, 2, 3],
        };
        let id = cert_id(&parts, &[0, 0x10, 1]).unwrap();
        assert_eq!(id.serial_number.as_bytes(), &[0x10, 1]);
        let request = request_der(&id, &[7; 16]).unwrap();
        let parsed = OcspRequest::from_der(&request).unwrap();
        assert_eq!(parsed.nonce().unwrap().0.as_bytes(), &[7; 16]);
        // "tryLater" (0x30 0x03 0x0a 0x01 0x03) is no answer.
        assert_eq!(
            OcspResponse::from_der(&[0x30, 0x03, 0x0a, 0x01, 0x03])
                .unwrap()
                .response_status,
            OcspResponseStatus::TryLater
        );
    }
}
