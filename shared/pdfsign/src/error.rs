//! The crate's one error type.
//!
//! Every message is written for the person who runs the command or calls the
//! service (es-MX) and says what to do next: the CLI prints it as is and the
//! signing service returns it in a 4xx body. Parser details never reach the
//! message; they stay in `detail` fields, for logs only.

use rubrica_fiel::FielError;

/// What went wrong reading a PDF or a layout, preparing a signable revision,
/// signing, or reading a document to verify it.
///
/// A signature that does not verify is **not** an error: [`crate::verify`]
/// reports it. Errors are for inputs that cannot be processed at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfSignError {
    /// The bytes are not a PDF we can read (no header, broken cross-reference
    /// data, truncated).
    #[error(
        "El archivo no es un PDF válido o está dañado. Verifique que eligió el acta correcta y, si la descargó, descárguela de nuevo."
    )]
    Malformed {
        /// What the reader found (for logs, never shown).
        detail: String,
    },

    /// The input is larger than any acta can reasonably be.
    #[error(
        "El PDF es demasiado grande ({size} bytes; el máximo es {limit}). Verifique que eligió el acta correcta."
    )]
    TooLarge {
        /// The size we were given.
        size: u64,
        /// The limit.
        limit: u64,
    },

    /// The PDF is encrypted; signing it would need its password and would make
    /// later revisions unreadable to validators without it.
    #[error(
        "El PDF está protegido con contraseña o cifrado. Genere el acta sin protección y vuelva a intentarlo."
    )]
    Encrypted,

    /// The layout manifest is not valid JSON for our contract.
    #[error(
        "El manifiesto de diseño no es válido: {reason}. Use el manifiesto que generó el servicio de documentos para esta acta."
    )]
    InvalidLayout {
        /// Spanish explanation of what is wrong.
        reason: String,
    },

    /// The manifest was made for a PDF with another number of pages.
    #[error(
        "El manifiesto de diseño es para un acta de {manifest} páginas y el PDF tiene {pdf}. Use el manifiesto que corresponde a esta acta."
    )]
    PageCountMismatch {
        /// Pages the manifest describes.
        manifest: u32,
        /// Pages in the PDF.
        pdf: u32,
    },

    /// The manifest names a PDF (by SHA-256) and this is another one.
    #[error(
        "El manifiesto de diseño corresponde a otro PDF (huella SHA-256 distinta). Use el manifiesto que generó el servicio de documentos para esta versión del acta."
    )]
    DocumentMismatch,

    /// A box of the manifest lies outside its page.
    #[error(
        "El recuadro {what} de «{signer}» en la página {page} queda fuera de la página. Corrija el manifiesto de diseño."
    )]
    RectOutsidePage {
        /// Signer id.
        signer: String,
        /// 1-based page.
        page: u32,
        /// "de firma" or "de rúbrica".
        what: &'static str,
    },

    /// The PDF already has signature fields or signatures: it cannot be opened
    /// for signature a second time.
    #[error(
        "El PDF ya tiene campos de firma o firmas. Para abrir la firma use el PDF aprobado, sin firmas ni campos de firma."
    )]
    AlreadySignable,

    /// The PDF was not prepared for signature by Rúbrica (no signature fields).
    #[error(
        "El PDF no tiene campos de firma de Rúbrica. Firme la versión firmable del acta (la que genera «rubrica signable» o el servicio de firma)."
    )]
    NotSignable,

    /// The certificate's RFC has no signature field in the document.
    #[error(
        "El RFC {rfc} del certificado no corresponde a ningún firmante de esta acta. Verifique que usa su propia e.firma y que usted está en la lista de firmantes; si falta, pida al facilitador que abra de nuevo la firma."
    )]
    NoFieldForRfc {
        /// The certificate's RFC.
        rfc: String,
    },

    /// The signer's signature field already holds a signature.
    #[error(
        "{name} (RFC {rfc}) ya firmó esta acta. No es necesario firmar de nuevo; si recibió una versión anterior, descargue la más reciente."
    )]
    AlreadySigned {
        /// The signer's name as in the document.
        name: String,
        /// The signer's RFC.
        rfc: String,
    },

    /// The signer's initials fields were filled without their signature: the
    /// document was altered outside Rúbrica.
    #[error(
        "Las rúbricas de {name} (RFC {rfc}) ya tienen contenido aunque no ha firmado: el acta fue modificada fuera de Rúbrica. Pida al facilitador que revise el acta con «rubrica verify»."
    )]
    InitialsAlreadyFilled {
        /// The signer's name as in the document.
        name: String,
        /// The signer's RFC.
        rfc: String,
    },

    /// The space reserved for the signature is too small for this certificate
    /// and chain (never with Rúbrica's own reservation).
    #[error(
        "La firma no cabe en el espacio reservado del PDF. Prepare la firma de nuevo; si el problema continúa, reporte el error."
    )]
    SignatureTooLarge {
        /// Bytes needed.
        needed: usize,
        /// Bytes reserved.
        reserved: usize,
    },

    /// A prepared revision could not be read back (corrupted or from another
    /// version of Rúbrica).
    #[error("La firma preparada no es válida o expiró. Prepare la firma de nuevo.")]
    InvalidPrepared {
        /// What was wrong (for logs, never shown).
        detail: String,
    },

    /// A FIEL problem: CSD, expired, wrong password, signature value that does
    /// not match the certificate…
    #[error(transparent)]
    Fiel(#[from] FielError),
}

impl PdfSignError {
    /// A stable machine-readable code, so APIs can return it next to the Spanish
    /// message and clients can branch on it without parsing text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed_pdf",
            Self::TooLarge { .. } => "pdf_too_large",
            Self::Encrypted => "pdf_encrypted",
            Self::InvalidLayout { .. } => "invalid_layout",
            Self::PageCountMismatch { .. } => "page_count_mismatch",
            Self::DocumentMismatch => "document_mismatch",
            Self::RectOutsidePage { .. } => "rect_outside_page",
            Self::AlreadySignable => "already_signable",
            Self::NotSignable => "not_signable",
            Self::NoFieldForRfc { .. } => "rfc_without_field",
            Self::AlreadySigned { .. } => "already_signed",
            Self::InitialsAlreadyFilled { .. } => "initials_already_filled",
            Self::SignatureTooLarge { .. } => "signature_too_large",
            Self::InvalidPrepared { .. } => "invalid_prepared",
            Self::Fiel(e) => e.code(),
        }
    }

    /// Whether the fault is in what the caller supplied (document, layout,
    /// certificate, signature value) rather than in this machine: services
    /// answer 4xx for the former and 500 for the latter.
    pub fn is_caused_by_input(&self) -> bool {
        match self {
            Self::SignatureTooLarge { .. } => false,
            Self::Fiel(e) => e.is_caused_by_input(),
            _ => true,
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        Self::Malformed {
            detail: detail.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = PdfSignError> = std::result::Result<T, E>;
