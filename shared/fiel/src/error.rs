//! The crate's one error type.
//!
//! Every message is written for the person holding the e.firma (es-MX) and says
//! what to do next, because the CLI prints it as is and the services return it in
//! a 4xx body. Parser and crypto details never reach the message: they are kept in
//! `detail` fields, for logs only.

use std::path::PathBuf;

use time::OffsetDateTime;

/// What went wrong reading, checking or using a FIEL certificate or key.
///
/// One enum for the whole crate (callers map it to 4xx with [`FielError::code`]);
/// `#[non_exhaustive]` so new checks do not break the services' `match`es.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FielError {
    /// A file (certificate, key, CA, CRL) could not be read from disk.
    #[error(
        "No se pudo leer el archivo «{}». Verifique que la ruta sea correcta y que tenga permiso de lectura.",
        path.display()
    )]
    Io {
        /// The file we tried to read.
        path: PathBuf,
        /// The operating system's reason (for logs).
        #[source]
        source: std::io::Error,
    },

    /// The input is larger than any certificate or key can be; refusing early keeps
    /// a wrong file (a PDF, a video) from being parsed at all.
    #[error(
        "El archivo es demasiado grande para ser {what} ({size} bytes). Verifique que eligió el archivo correcto."
    )]
    TooLarge {
        /// What we expected, in Spanish ("un certificado", "una llave privada").
        what: &'static str,
        /// The size we were given.
        size: u64,
    },

    /// The bytes are not a DER or PEM X.509 certificate we can read.
    #[error(
        "El archivo no es un certificado X.509 válido (.cer). Use el archivo .cer de su e.firma tal como lo descargó del SAT."
    )]
    MalformedCertificate {
        /// What the parser said (for logs, never shown).
        detail: String,
    },

    /// The certificate's key is not RSA; SAT only issues RSA, and our signatures are RSA.
    #[error(
        "El certificado no usa una llave RSA y Rúbrica solo acepta certificados del SAT, que son RSA. Use el .cer de su e.firma."
    )]
    UnsupportedKeyAlgorithm,

    /// An RSA key below 2048 bits is not acceptable for a signature that must last years.
    #[error(
        "La llave es de {bits} bits y se requieren al menos 2048. Tramite una e.firma vigente en el SAT."
    )]
    KeyTooSmall {
        /// The key's modulus size.
        bits: usize,
    },

    /// A private key over 4096 bits, or of a size ring cannot sign with (its primes
    /// must be a multiple of 512 bits: 2048, 3072 or 4096-bit keys).
    #[error(
        "La llave es de {bits} bits y Rúbrica solo admite llaves RSA de 2048, 3072 o 4096 bits. Use la llave (.key) de su e.firma emitida por el SAT, que es de 2048 bits."
    )]
    UnsupportedKeySize {
        /// The key's modulus size.
        bits: usize,
    },

    /// The subject has no RFC (x500UniqueIdentifier), so we cannot tell whose it is.
    #[error(
        "El certificado no contiene un RFC (atributo x500UniqueIdentifier). Use el .cer de una e.firma emitida por el SAT."
    )]
    MissingRfc,

    /// A string is not a well-formed RFC.
    #[error(
        "«{value}» no es un RFC válido: debe tener 13 caracteres (persona física, p. ej. GODE561231GR8) o 12 (persona moral, p. ej. ABC010101AB1). Revise que esté completo y sin espacios."
    )]
    InvalidRfc {
        /// The rejected input.
        value: String,
    },

    /// A string is not a well-formed CURP.
    #[error(
        "«{value}» no es una CURP válida: debe tener 18 caracteres, p. ej. GODE561231HDFNRL09. Consúltela en su constancia de CURP."
    )]
    InvalidCurp {
        /// The rejected input.
        value: String,
    },

    /// A string is not a 20-digit SAT certificate number.
    #[error(
        "«{value}» no es un número de certificado válido: debe tener 20 dígitos, p. ej. 30001000000500003415."
    )]
    InvalidCertificateNumber {
        /// The rejected input.
        value: String,
    },

    /// The bytes are not a PKCS#8 (or PKCS#1) private key we can read.
    #[error(
        "El archivo no es una llave privada válida (.key). Use el archivo .key de su e.firma, el que se generó junto con su certificado."
    )]
    MalformedKey {
        /// What the parser said (for logs, never shown).
        detail: String,
    },

    /// Decryption of the `.key` failed: in practice, the password is wrong.
    #[error(
        "La contraseña de la llave privada es incorrecta. Escriba la contraseña de su e.firma (la de su archivo .key) y vuelva a intentarlo; si la lee de un archivo, revise que no tenga espacios ni saltos de línea de más."
    )]
    WrongPassword,

    /// The `.key` is encrypted with a scheme we do not implement.
    #[error(
        "La llave privada está cifrada con un método que Rúbrica no admite. Use el archivo .key que entrega el SAT (PKCS#8 cifrado con 3DES)."
    )]
    UnsupportedKeyEncryption {
        /// What the decryptor said (for logs, never shown).
        detail: String,
    },

    /// The key's public half is not the certificate's public key.
    #[error(
        "La llave privada no corresponde al certificado. Elija el archivo .key que se generó junto con este .cer (los dos de la misma e.firma)."
    )]
    KeyCertificateMismatch,

    /// A CSD (sello digital, for invoices) was offered where a FIEL is required.
    #[error(
        "El certificado {number} es un Certificado de Sello Digital (CSD), que solo sirve para facturar. Para firmar actas y documentos use su e.firma (FIEL)."
    )]
    CsdNotAllowed {
        /// Certificate number (or serial in hex) so the person knows which file.
        number: String,
    },

    /// Neither FIEL nor CSD: the key usages do not match an e.firma.
    #[error(
        "El certificado {number} no es una e.firma (FIEL): no tiene los usos de llave de una e.firma. Use el .cer de su e.firma emitida por el SAT."
    )]
    NotFiel {
        /// Certificate number (or serial in hex).
        number: String,
    },

    /// The certificate had expired at the signing time.
    #[error(
        "El certificado {number} venció el {}. Renueve su e.firma en el SAT y firme con el certificado nuevo.",
        crate::fecha(not_after)
    )]
    CertificateExpired {
        /// Certificate number (or serial in hex).
        number: String,
        /// End of validity.
        not_after: OffsetDateTime,
    },

    /// The signing time is before the certificate's validity.
    #[error(
        "El certificado {number} todavía no era válido en la fecha de firma; es válido desde el {}. Revise la fecha y hora de su equipo.",
        crate::fecha(not_before)
    )]
    CertificateNotYetValid {
        /// Certificate number (or serial in hex).
        number: String,
        /// Start of validity.
        not_before: OffsetDateTime,
    },

    /// keyUsage lacks nonRepudiation, which a signature on a record needs.
    #[error(
        "El certificado {number} no permite firmas con no repudio (uso de llave nonRepudiation). Use el .cer de su e.firma."
    )]
    MissingNonRepudiation {
        /// Certificate number (or serial in hex).
        number: String,
    },

    /// No valid path from the certificate to a configured trust anchor.
    #[error(
        "No se pudo comprobar que el certificado {number} lo emitió una autoridad de confianza: {reason}. Verifique que la carpeta de autoridades certificadoras configurada contenga los certificados del SAT."
    )]
    Untrusted {
        /// Certificate number (or serial in hex).
        number: String,
        /// Spanish explanation of what failed in the chain.
        reason: String,
    },

    /// The certificate appears on a configured CRL.
    #[error(
        "El certificado {number} está revocado desde el {}. Tramite una e.firma nueva en el SAT.",
        crate::fecha(revoked_at)
    )]
    Revoked {
        /// Certificate number (or serial in hex).
        number: String,
        /// The CRL's revocation date.
        revoked_at: OffsetDateTime,
    },

    /// Revocation was required but could not be established.
    #[error(
        "No se pudo comprobar si el certificado {number} está revocado: {reason}. Actualice las listas de revocación (CRL) configuradas."
    )]
    RevocationUnknown {
        /// Certificate number (or serial in hex).
        number: String,
        /// Spanish explanation.
        reason: String,
    },

    /// An RSA signature does not verify with the certificate.
    #[error(
        "La firma no corresponde a los datos o al certificado. Vuelva a firmar el documento con la e.firma correcta."
    )]
    SignatureInvalid,

    /// The RSA primitive failed while signing (not expected with a valid key).
    #[error(
        "No se pudo generar la firma con la llave privada. Intente de nuevo; si el problema continúa, reporte el error."
    )]
    SigningFailed,

    /// A certificate offered as a CA (anchor or intermediate) is not an RSA CA.
    #[error(
        "El certificado «{subject}» no es de una autoridad certificadora RSA y no puede usarse como autoridad raíz ni intermedia. Use los certificados de las autoridades del SAT."
    )]
    NotCertificateAuthority {
        /// The certificate's subject DN.
        subject: String,
    },

    /// The configured trust folder holds no usable CA certificate.
    #[error(
        "No se encontró ningún certificado de autoridad certificadora en «{}». Coloque ahí los certificados raíz e intermedios del SAT (.cer, .crt o .pem).",
        path.display()
    )]
    EmptyTrustStore {
        /// The folder or file that was configured.
        path: PathBuf,
    },

    /// A file in the trust folder is not a certificate.
    #[error(
        "El archivo «{}» de la carpeta de autoridades certificadoras no es un certificado válido. Quítelo o reemplácelo por el certificado correcto (.cer, .crt o .pem).",
        path.display()
    )]
    MalformedTrustAnchor {
        /// The offending file.
        path: PathBuf,
        /// What the parser said (for logs, never shown).
        detail: String,
    },

    /// A configured CRL file cannot be parsed.
    #[error(
        "El archivo «{}» no es una lista de revocación (CRL) válida. Descárguela de nuevo de la autoridad certificadora.",
        path.display()
    )]
    MalformedCrl {
        /// The offending file.
        path: PathBuf,
        /// What the parser said (for logs, never shown).
        detail: String,
    },

    /// A configured CRL is not signed by any CA of the trust store: it proves nothing.
    #[error(
        "La lista de revocación «{}» no está firmada por ninguna autoridad de la carpeta de confianza. Agregue el certificado de la autoridad que la emitió o quite la lista.",
        path.display()
    )]
    UntrustedCrl {
        /// The offending file.
        path: PathBuf,
    },
}

impl FielError {
    /// A stable machine-readable code, so APIs can return it next to the Spanish
    /// message and clients can branch on it without parsing text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io",
            Self::TooLarge { .. } => "too_large",
            Self::MalformedCertificate { .. } => "malformed_certificate",
            Self::UnsupportedKeyAlgorithm => "unsupported_key_algorithm",
            Self::KeyTooSmall { .. } => "key_too_small",
            Self::UnsupportedKeySize { .. } => "unsupported_key_size",
            Self::MissingRfc => "missing_rfc",
            Self::InvalidRfc { .. } => "invalid_rfc",
            Self::InvalidCurp { .. } => "invalid_curp",
            Self::InvalidCertificateNumber { .. } => "invalid_certificate_number",
            Self::MalformedKey { .. } => "malformed_key",
            Self::WrongPassword => "wrong_password",
            Self::UnsupportedKeyEncryption { .. } => "unsupported_key_encryption",
            Self::KeyCertificateMismatch => "key_certificate_mismatch",
            Self::CsdNotAllowed { .. } => "csd_not_allowed",
            Self::NotFiel { .. } => "not_fiel",
            Self::CertificateExpired { .. } => "certificate_expired",
            Self::CertificateNotYetValid { .. } => "certificate_not_yet_valid",
            Self::MissingNonRepudiation { .. } => "missing_non_repudiation",
            Self::Untrusted { .. } => "untrusted",
            Self::Revoked { .. } => "revoked",
            Self::RevocationUnknown { .. } => "revocation_unknown",
            Self::SignatureInvalid => "signature_invalid",
            Self::SigningFailed => "signing_failed",
            Self::NotCertificateAuthority { .. } => "not_certificate_authority",
            Self::EmptyTrustStore { .. } => "empty_trust_store",
            Self::MalformedTrustAnchor { .. } => "malformed_trust_anchor",
            Self::MalformedCrl { .. } => "malformed_crl",
            Self::UntrustedCrl { .. } => "untrusted_crl",
        }
    }

    /// Whether the fault is in what the person supplied (their files, password,
    /// certificate) rather than in the server's configuration (trust folder, CRLs)
    /// or the machine: services answer 4xx for the former and 500 for the latter.
    /// [`FielError::Io`] counts as configuration because services only read files
    /// named in their configuration; the CLI shows every message the same way.
    pub fn is_caused_by_input(&self) -> bool {
        !matches!(
            self,
            Self::Io { .. }
                | Self::SigningFailed
                | Self::EmptyTrustStore { .. }
                | Self::MalformedTrustAnchor { .. }
                | Self::MalformedCrl { .. }
                | Self::UntrustedCrl { .. }
        )
    }
}

/// The crate's result type.
pub type Result<T, E = FielError> = std::result::Result<T, E>;
