//! The layout manifest: where each signer's boxes go.
//!
//! The documents service renders an acta and knows where it left room: a
//! margin on every page for the attendees' initials and a signature block
//! (*firmas al calce*) on the last page. It hands that knowledge over as a
//! [`LayoutManifest`] (JSON) next to the PDF; [`crate::make_signable`] turns it
//! into form fields. Coordinates are PDF points (1/72 in) from the page's
//! lower-left corner, the same space as the page's `/MediaBox`.
//!
//! ```json
//! {
//!   "version": 1,
//!   "document_sha256": "…64 hex digits, optional…",
//!   "page_count": 20,
//!   "signers": [{
//!     "id": "maria", "name": "MARÍA GONZÁLEZ RUIZ", "seat": "Sociedad civil",
//!     "role": "Titular", "rfc": "GORM800101AB1",
//!     "signature_box": { "page": 20, "x": 56, "y": 500, "width": 160, "height": 70 },
//!     "initials": [ { "page": 1, "x": 545, "y": 760, "width": 44, "height": 30 }, … ]
//!   }]
//! }
//! ```

use std::collections::HashSet;

use rubrica_fiel::Rfc;
use serde::{Deserialize, Serialize};

use crate::error::{PdfSignError, Result};

/// The manifest version this crate reads and writes.
pub const LAYOUT_VERSION: u32 = 1;

/// Longest signer id: it becomes part of field names, which viewers show.
const MAX_ID_LEN: usize = 40;

/// Most signers on one record (an STL has 9 seats × titular/suplente, plus
/// facilitator and invited members).
const MAX_SIGNERS: usize = 64;

/// Where every signer's boxes are on a rendered record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutManifest {
    /// Contract version; must be [`LAYOUT_VERSION`].
    pub version: u32,
    /// SHA-256 (hex) of the approved PDF the layout was computed for. When
    /// present, [`crate::make_signable`] refuses any other PDF, so a layout
    /// cannot be applied to a different version of the acta by mistake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
    /// Pages of the PDF; a mismatch means the wrong manifest.
    pub page_count: u32,
    /// The required signers, in the order their boxes appear.
    pub signers: Vec<SignerLayout>,
}

/// Who signs (as the secretariat service knows them). Also what a signable
/// PDF records in each signature field, so a signer's certificate can be
/// matched to their fields by RFC without the manifest.
// No `deny_unknown_fields` here or on `SignerLayout`: serde does not support
// it together with `flatten`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerIdentity {
    /// Stable id (e.g. the member id); letters, digits, `-` and `_`, at most 40.
    /// Field names are built from it: `Firma_<id>`, `Rubrica_<id>_p<N>`.
    pub id: String,
    /// Full name as printed in the acta.
    pub name: String,
    /// Seat represented (e.g. "Poder Ejecutivo", "Sociedad civil organizada").
    pub seat: String,
    /// Role in the seat: "Titular", "Suplente", "Facilitador"…
    pub role: String,
    /// RFC of the person, as in their e.firma: how their certificate finds
    /// their fields.
    pub rfc: String,
}

/// One signer's boxes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignerLayout {
    /// Who.
    #[serde(flatten)]
    pub signer: SignerIdentity,
    /// The visible signature box in the bottom block.
    pub signature_box: PlacedRect,
    /// One initials slot per page, every page exactly once.
    pub initials: Vec<PlacedRect>,
}

/// A rectangle on a page.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacedRect {
    /// 1-based page number.
    pub page: u32,
    /// Left edge, in points from the page's left.
    pub x: f32,
    /// Bottom edge, in points from the page's bottom.
    pub y: f32,
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
}

impl PlacedRect {
    /// `[llx lly urx ury]`.
    pub fn corners(&self) -> [f32; 4] {
        [self.x, self.y, self.x + self.width, self.y + self.height]
    }
}

impl LayoutManifest {
    /// Reads a manifest from JSON and checks it ([`LayoutManifest::validate`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let manifest: Self =
            serde_json::from_slice(bytes).map_err(|e| PdfSignError::InvalidLayout {
                reason: format!(
                    "el JSON no tiene la forma esperada (línea {}, columna {})",
                    e.line(),
                    e.column()
                ),
            })?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks everything that does not need the PDF: version, ids, RFCs, one
    /// initials slot per page, sane rectangles.
    pub fn validate(&self) -> Result<()> {
        let invalid = |reason: String| Err(PdfSignError::InvalidLayout { reason });
        if self.version != LAYOUT_VERSION {
            return invalid(format!(
                "la versión {} no es compatible (se espera {LAYOUT_VERSION})",
                self.version
            ));
        }
        if self.page_count == 0 {
            return invalid("el número de páginas es cero".into());
        }
        if let Some(hash) = &self.document_sha256
            && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return invalid("document_sha256 no es una huella SHA-256 en hexadecimal".into());
        }
        if self.signers.is_empty() {
            return invalid("no hay firmantes".into());
        }
        if self.signers.len() > MAX_SIGNERS {
            return invalid(format!("hay más de {MAX_SIGNERS} firmantes"));
        }
        let mut ids = HashSet::new();
        let mut rfcs = HashSet::new();
        for s in &self.signers {
            let who = &s.signer;
            if who.id.is_empty()
                || who.id.len() > MAX_ID_LEN
                || !who
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return invalid(format!(
                    "el identificador «{}» debe tener de 1 a {MAX_ID_LEN} letras sin acento, dígitos, «-» o «_»",
                    who.id
                ));
            }
            if !ids.insert(who.id.as_str()) {
                return invalid(format!("el identificador «{}» está repetido", who.id));
            }
            let rfc = Rfc::parse(&who.rfc).map_err(|_| PdfSignError::InvalidLayout {
                reason: format!("el RFC «{}» de «{}» no es válido", who.rfc, who.id),
            })?;
            if !rfcs.insert(rfc.as_str().to_owned()) {
                return invalid(format!(
                    "el RFC {rfc} aparece en dos firmantes; cada persona firma una vez"
                ));
            }
            if who.name.trim().is_empty() {
                return invalid(format!("falta el nombre de «{}»", who.id));
            }
            check_rect(&s.signature_box, self.page_count, &who.id, "de firma")?;
            let mut pages = HashSet::new();
            for slot in &s.initials {
                check_rect(slot, self.page_count, &who.id, "de rúbrica")?;
                if !pages.insert(slot.page) {
                    return invalid(format!(
                        "«{}» tiene dos recuadros de rúbrica en la página {}",
                        who.id, slot.page
                    ));
                }
            }
            if pages.len() != self.page_count as usize {
                return invalid(format!(
                    "«{}» tiene recuadros de rúbrica en {} de {} páginas; se requiere uno en cada página",
                    who.id,
                    pages.len(),
                    self.page_count
                ));
            }
        }
        Ok(())
    }

    /// A standard layout for an acta of `page_count` pages of `page_size`
    /// points (width, height): initials stacked in a 64-point right margin of
    /// every page, from the top; signature boxes in a three-column grid from
    /// the middle of the last page down. The example acta of [`crate::example`]
    /// leaves exactly this room. Used by tests, benchmarks and demos; the
    /// documents service computes its own from the template.
    pub fn standard(page_count: u32, page_size: (f32, f32), signers: Vec<SignerIdentity>) -> Self {
        let (width, height) = page_size;
        let n = signers.len().max(1) as f32;
        let slot_h = ((height - 72.0 - 4.0 * (n - 1.0)) / n).min(34.0);
        let slot_w = 48.0;
        let columns = 3.0;
        let box_w = (width - 2.0 * 56.0 - 2.0 * 8.0) / columns;
        let box_h = 64.0;
        let signers = signers
            .into_iter()
            .enumerate()
            .map(|(i, signer)| {
                let i_f = i as f32;
                let initials = (1..=page_count)
                    .map(|page| PlacedRect {
                        page,
                        x: width - 8.0 - slot_w,
                        y: height - 36.0 - (i_f + 1.0) * slot_h - i_f * 4.0,
                        width: slot_w,
                        height: slot_h,
                    })
                    .collect();
                let (row, col) = ((i / 3) as f32, (i % 3) as f32);
                let signature_box = PlacedRect {
                    page: page_count,
                    x: 56.0 + col * (box_w + 8.0),
                    y: height * 0.55 - (row + 1.0) * (box_h + 10.0),
                    width: box_w,
                    height: box_h,
                };
                SignerLayout {
                    signer,
                    signature_box,
                    initials,
                }
            })
            .collect();
        Self {
            version: LAYOUT_VERSION,
            document_sha256: None,
            page_count,
            signers,
        }
    }
}

fn check_rect(r: &PlacedRect, page_count: u32, signer: &str, what: &'static str) -> Result<()> {
    let finite = [r.x, r.y, r.width, r.height].iter().all(|v| v.is_finite());
    if r.page == 0 || r.page > page_count {
        return Err(PdfSignError::InvalidLayout {
            reason: format!(
                "el recuadro {what} de «{signer}» está en la página {}, que no existe",
                r.page
            ),
        });
    }
    if !finite || r.width < 8.0 || r.height < 8.0 {
        return Err(PdfSignError::InvalidLayout {
            reason: format!(
                "el recuadro {what} de «{signer}» en la página {} es demasiado pequeño (mínimo 8 × 8 puntos)",
                r.page
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(id: &str, rfc: &str) -> SignerIdentity {
        SignerIdentity {
            id: id.into(),
            name: "MARÍA GONZÁLEZ".into(),
            seat: "Sociedad civil".into(),
            role: "Titular".into(),
            rfc: rfc.into(),
        }
    }

    #[test]
    fn the_standard_layout_is_valid_and_round_trips() {
        let m = LayoutManifest::standard(
            20,
            (595.0, 842.0),
            vec![who("maria", "GORM800101AB1"), who("juan", "PELJ750505CD2")],
        );
        m.validate().unwrap();
        let json = serde_json::to_vec(&m).unwrap();
        assert_eq!(LayoutManifest::from_json(&json).unwrap(), m);
    }

    #[test]
    fn bad_manifests_are_refused_with_a_reason() {
        let mut m =
            LayoutManifest::standard(3, (595.0, 842.0), vec![who("maria", "GORM800101AB1")]);
        m.signers[0].initials.pop();
        assert!(matches!(
            m.validate(),
            Err(PdfSignError::InvalidLayout { .. })
        ));
        let m2 = LayoutManifest::standard(
            3,
            (595.0, 842.0),
            vec![who("a", "GORM800101AB1"), who("b", "GORM800101AB1")],
        );
        assert!(m2.validate().is_err());
        let m3 =
            LayoutManifest::standard(3, (595.0, 842.0), vec![who("con espacio", "GORM800101AB1")]);
        assert!(m3.validate().is_err());
        assert!(LayoutManifest::from_json(b"{").is_err());
    }
}
