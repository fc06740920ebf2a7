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

    /// A stream (cross-reference or object stream) decodes to more than
    /// [`Limits::max_stream_bytes`](crate::Limits::max_stream_bytes): a
    /// decompression bomb, stopped while it was being decoded.
    #[error(
        "El PDF excede el límite de {} MiB descomprimidos en un solo flujo de datos; no es un acta válida o está dañado: genere el documento de nuevo.",
        .limit / (1024 * 1024)
    )]
    StreamTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// Reading the document would take more than
    /// [`Limits::max_document_bytes`](crate::Limits::max_document_bytes) of
    /// decoded streams, copied stream data and parsed objects.
    #[error(
        "El PDF excede el límite de {} MiB de datos descomprimidos y leídos en memoria; no es un acta válida o está dañado: genere el documento de nuevo.",
        .limit / (1024 * 1024)
    )]
    DecodedTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// The cross-reference sections hold more than
    /// [`Limits::max_xref_entries`](crate::Limits::max_xref_entries) entries.
    #[error(
        "El PDF excede el límite de {} entradas en sus tablas de referencias cruzadas; no es un acta válida o está dañado: genere el documento de nuevo.",
        grouped(*.limit)
    )]
    TooManyXrefEntries {
        /// The limit.
        limit: usize,
    },

    /// The revisions' object tables hold more than
    /// [`Limits::max_revision_entries`](crate::Limits::max_revision_entries)
    /// entries in all (every revision sees every object before it).
    #[error(
        "El PDF excede el límite de {} entradas de objetos sumando todas sus revisiones; no es un acta válida o está dañado: genere el documento de nuevo.",
        grouped(*.limit)
    )]
    TooManyRevisionEntries {
        /// The limit.
        limit: usize,
    },

    /// An object number, a `/Size` or an object stream's `/N` beyond
    /// [`Limits::max_objects`](crate::Limits::max_objects).
    #[error(
        "El PDF excede el límite de {} objetos; no es un acta válida o está dañado: genere el documento de nuevo.",
        grouped(*.limit as usize)
    )]
    TooManyObjects {
        /// The limit.
        limit: u32,
    },

    /// More than [`Limits::max_revisions`](crate::Limits::max_revisions)
    /// revisions (or cross-reference sections in one chain).
    #[error(
        "El PDF excede el límite de {} revisiones (actualizaciones incrementales); no es un acta válida o está dañado: genere el documento de nuevo.",
        grouped(*.limit)
    )]
    TooManyRevisions {
        /// The limit.
        limit: usize,
    },

    /// Arrays and dictionaries nested deeper than
    /// [`Limits::max_depth`](crate::Limits::max_depth).
    #[error(
        "El PDF excede el límite de {limit} niveles de arreglos y diccionarios anidados; no es un acta válida o está dañado: genere el documento de nuevo."
    )]
    NestingTooDeep {
        /// The limit.
        limit: usize,
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
            Self::StreamTooLarge { .. } => "pdf_stream_too_large",
            Self::DecodedTooLarge { .. } => "pdf_decoded_too_large",
            Self::TooManyXrefEntries { .. } => "pdf_too_many_xref_entries",
            Self::TooManyRevisionEntries { .. } => "pdf_too_many_revision_entries",
            Self::TooManyObjects { .. } => "pdf_too_many_objects",
            Self::TooManyRevisions { .. } => "pdf_too_many_revisions",
            Self::NestingTooDeep { .. } => "pdf_nesting_too_deep",
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

    /// Whether this is one of the reader's hard limits: the reader stops at
    /// once instead of trying another reading of the file.
    pub(crate) fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::StreamTooLarge { .. }
                | Self::DecodedTooLarge { .. }
                | Self::TooManyXrefEntries { .. }
                | Self::TooManyRevisionEntries { .. }
                | Self::TooManyObjects { .. }
                | Self::TooManyRevisions { .. }
                | Self::NestingTooDeep { .. }
        )
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        Self::Malformed {
            detail: detail.into(),
        }
    }
}

/// `1000000` as `1,000,000` (es-MX groups thousands with commas).
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The crate's result type.
pub type Result<T, E = PdfSignError> = std::result::Result<T, E>;
