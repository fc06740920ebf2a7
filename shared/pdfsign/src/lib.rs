//! Signable actas and PAdES signatures with e.firma (FIEL) for Rúbrica.
//!
//! Every member who attended a session initials every page of its acta and
//! signs at the bottom with their own FIEL, each in their own incremental
//! revision, in a form independent validators accept (poppler's `pdfsig`,
//! `openssl cms`, validators that analyse later revisions). The model, object
//! by object, is in `PDF-SIGNING.md`: read-only text fields pre-created on
//! every page before anyone signs; each signer fills their own and locks them
//! with a FieldMDP transform in a PAdES B-B signature (CMS, SHA-256 with RSA,
//! signing-certificate-v2, time in `/M`).
//!
//! Everything here is a pure function over bytes, with no I/O: the signing
//! service and the `rubrica` CLI run the same code.
//!
//! # Layout
//!
//! - [`layout`]: [`LayoutManifest`], the contract with the documents service:
//!   page count and, per signer ([`SignerIdentity`]: id, name, seat, role,
//!   RFC), the signature box and one initials slot per page;
//!   [`LayoutManifest::standard`] computes one for tests and demos.
//! - [`signable`]: [`make_signable`] adds the signable revision (AcroForm,
//!   signature fields, initials fields) to an approved PDF.
//! - [`sign`]: the signer's revision in two steps — [`prepare`] returns the DER
//!   of the signed attributes to sign and a [`PreparedRevision`]; [`complete`]
//!   embeds the signature value — and [`sign()`](sign::sign) doing both with a
//!   [`rubrica_fiel::Credential`].
//! - [`verify`]: [`verify()`](verify::verify) checks every signature and
//!   the changes after it, returning a serialisable [`VerificationReport`].
//! - [`example`]: an example acta (A4, Spanish text) for tests and benchmarks.
//! - [`error`]: [`PdfSignError`]; every message is Spanish and says what to do.
//! - [`Limits`]: what one PDF may make the reader hold or do (decoded bytes
//!   per stream and per document, cross-reference entries, objects,
//!   revisions, nesting); a file beyond them is refused with its own error.
//!
//! Internal: `reader` (revisions, cross-reference tables and streams, lazy
//! object loading), `syntax` (PDF object syntax into lopdf's model), `writer`
//! (incremental updates), `fields` (the form as Rúbrica lays it out),
//! `changes` (what each revision changed, against the permitted pattern),
//! `appearance` (appearance streams, WinAnsi text, Helvetica metrics), `cms`
//! and `der` (CMS SignedData by hand, so the signed bytes are exact).
//!
//! # Example
//!
//! ```no_run
//! use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
//! use rubrica_pdfsign::{LayoutManifest, PrepareOptions, make_signable, sign, verify};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let acta = std::fs::read("acta.pdf")?;
//! let layout = LayoutManifest::from_json(&std::fs::read("layout.json")?)?;
//! let signable = make_signable(&acta, &layout)?;
//!
//! let me = Credential::from_files("mi.cer", "mi.key", "contraseña")?;
//! let signed = sign(&signable, &me, &PrepareOptions::now())?;
//!
//! let validator = Validator::new(TrustStore::from_dir("ac/")?, &RevocationSource::NotConfigured)?;
//! let report = verify(&signed, &validator)?;
//! println!("{}", report.summary);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod appearance;
mod changes;
mod cms;
mod der;
pub mod error;
pub mod example;
mod fields;
pub mod layout;
mod reader;
pub mod sign;
pub mod signable;
mod syntax;
pub mod verify;
mod writer;

pub use error::{PdfSignError, Result};
pub use layout::{LAYOUT_VERSION, LayoutManifest, PlacedRect, SignerIdentity, SignerLayout};
pub use reader::{Limits, MAX_PDF_BYTES};
/// Outcomes and verdicts are rubrica-fiel's, so certificate and signature
/// reports read the same.
pub use rubrica_fiel::{Check, Outcome, Verdict};
pub use sign::{PrepareOptions, Prepared, PreparedRevision, complete, prepare, sign};
pub use signable::make_signable;
pub use verify::{SignatureChecks, SignatureReport, VerificationReport, pending_signers, verify};

/// Entry points for the fuzz targets in `fuzz/`: empty, except when
/// cargo-fuzz builds with `--cfg fuzzing`.
#[doc(hidden)]
pub mod fuzzing {
    #![allow(unexpected_cfgs)]

    /// Reads everything the reader can be made to read: the revisions, then
    /// in each of the last few revisions every object, the pages and the
    /// form. Returns how many objects were read.
    #[cfg(fuzzing)]
    pub fn read_everything(pdf: &[u8]) -> crate::Result<usize> {
        let file = crate::reader::PdfFile::parse(pdf)?;
        let mut read = 0;
        let revisions = file.revisions.len();
        for rev in revisions.saturating_sub(4)..revisions {
            let ids: Vec<u32> = file.revisions[rev].ids().collect();
            for id in ids {
                if file.get(rev, id)?.is_some() {
                    read += 1;
                }
            }
            let _ = file.pages(rev);
            let _ = crate::fields::read_form(&file, rev);
        }
        Ok(read)
    }

    /// Parses a CMS ContentInfo/SignedData as verification does, reads its
    /// signed attributes and every certificate it carries. Returns how many
    /// parts were found.
    #[cfg(fuzzing)]
    pub fn parse_cms(bytes: &[u8]) -> usize {
        let Some(parsed) = crate::cms::parse_signed_data(bytes) else {
            return 0;
        };
        let mut found = parsed.signer_count + parsed.attributes.len();
        found += usize::from(parsed.message_digest().is_some());
        found += usize::from(parsed.content_type_is_data());
        found += usize::from(parsed.signing_certificate_v2_hash().is_some());
        for certificate in &parsed.certificates {
            found += usize::from(rubrica_fiel::Certificate::from_der(certificate).is_ok());
        }
        found
    }
}
