//! One record, rendered: its data checked, the template compiled, the PDF
//! hashed and the layout manifest built from the boxes the template
//! reserved. The API, the `session.closed` handler, the CLI and the
//! benchmark all call [`render`]; it is synchronous and CPU-bound (run it in
//! `spawn_blocking` from async code).

use rubrica_fiel::digest::Sha256;
use rubrica_pdfsign::{LAYOUT_VERSION, LayoutManifest, PlacedRect, SignerLayout};
use typst::foundations::{Dict, Str, Value};

use crate::engine::{self, ReservedBox, TemplateError, Templates};
use crate::kind::{DocumentKind, RecordFacts};
use crate::schema::FieldError;

/// A rendered record.
#[derive(Debug, Clone)]
pub struct RenderedRecord {
    pub kind: DocumentKind,
    pub facts: RecordFacts,
    pub pdf: Vec<u8>,
    /// SHA-256 of `pdf`, hex.
    pub sha256: String,
    pub page_count: u32,
    /// Page width and height in points.
    pub page_size: (f64, f64),
    /// Where each signer initials and signs; its `document_sha256` is
    /// `sha256`.
    pub manifest: LayoutManifest,
}

/// Why a record was not rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The data lacks fields or has malformed ones: every problem, in
    /// Spanish (a 422).
    #[error("los datos no son válidos: {}", list(.0))]
    InvalidData(Vec<FieldError>),
    /// Typst failed, or the template did not reserve a box for every signer
    /// on every page: a fault of the template, never of the caller (a 500).
    #[error("error en la plantilla {}", .0)]
    Template(#[from] TemplateError),
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("«{}»: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Initials of a name for the margin caption: "María González Ruiz" → "MGR".
fn initials(name: &str) -> String {
    const PARTICLES: [&str; 6] = ["de", "del", "la", "las", "los", "y"];
    name.split_whitespace()
        .filter(|w| !PARTICLES.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .take(4)
        .collect()
}

/// Renders `kind` from `data` with the compiled-in templates.
pub fn render(kind: DocumentKind, data: &serde_json::Value) -> Result<RenderedRecord, RenderError> {
    render_with(&Templates::compiled_in(), kind, data)
}

/// Renders `kind` from `data` with `templates`.
pub fn render_with(
    templates: &Templates,
    kind: DocumentKind,
    data: &serde_json::Value,
) -> Result<RenderedRecord, RenderError> {
    let facts = kind.read(data).map_err(RenderError::InvalidData)?;
    let signers: Vec<Value> = facts
        .signers
        .iter()
        .map(|s| {
            let mut d = Dict::new();
            d.insert(Str::from("id"), Value::Str(s.id.as_str().into()));
            d.insert(Str::from("name"), Value::Str(s.name.as_str().into()));
            d.insert(Str::from("seat"), Value::Str(s.seat.as_str().into()));
            d.insert(Str::from("role"), Value::Str(s.role.as_str().into()));
            d.insert(Str::from("initials"), Value::Str(initials(&s.name).into()));
            Value::Dict(d)
        })
        .collect();
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), engine::to_typst(data));
    inputs.insert(
        Str::from("signers"),
        Value::Array(signers.into_iter().collect()),
    );
    let ident = format!("rubrica:{}:{}", kind.as_str(), facts.folio);
    let rendered = engine::render_pdf(templates, kind, inputs, &ident)?;
    let sha256 = hex::encode(Sha256::digest(&rendered.pdf));
    let manifest = manifest(kind, &facts, &rendered, &sha256)?;
    Ok(RenderedRecord {
        kind,
        facts,
        sha256,
        page_count: rendered.page_count,
        page_size: rendered.page_size,
        pdf: rendered.pdf,
        manifest,
    })
}

/// Builds the manifest from the boxes Typst laid out, converting Typst's
/// top-left origin to PDF's bottom-left.
fn manifest(
    kind: DocumentKind,
    facts: &RecordFacts,
    rendered: &engine::Rendered,
    sha256: &str,
) -> Result<LayoutManifest, TemplateError> {
    let page_height = rendered.page_size.1;
    let to_rect = |b: &ReservedBox| PlacedRect {
        page: b.page,
        x: round(b.x),
        y: round(page_height - b.top - b.height),
        width: round(b.width),
        height: round(b.height),
    };
    let bad = |message: String| TemplateError {
        file: format!("templates/documents/{}", kind.template_file()),
        line: 0,
        message,
    };
    let mut signers = Vec::with_capacity(facts.signers.len());
    for who in &facts.signers {
        let mine = || rendered.boxes.iter().filter(|b| b.signer == who.id);
        let signature = mine().find(|b| b.purpose == "signature").ok_or_else(|| {
            bad(format!(
                "la plantilla no reservó el recuadro de firma de «{}»",
                who.id
            ))
        })?;
        let mut initials: Vec<PlacedRect> = mine()
            .filter(|b| b.purpose == "initials")
            .map(to_rect)
            .collect();
        initials.sort_by_key(|r| r.page);
        initials.dedup_by_key(|r| r.page);
        signers.push(SignerLayout {
            signer: who.clone(),
            signature_box: to_rect(signature),
            initials,
        });
    }
    let manifest = LayoutManifest {
        version: LAYOUT_VERSION,
        document_sha256: Some(sha256.to_string()),
        page_count: rendered.page_count,
        signers,
    };
    manifest
        .validate()
        .map_err(|e| bad(format!("el manifiesto de diseño no es válido: {e}")))?;
    Ok(manifest)
}

/// Hundredths of a point: enough for a form field, and stable in JSON.
fn round(v: f64) -> f32 {
    ((v * 100.0).round() / 100.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_skip_particles() {
        assert_eq!(initials("María de la Luz González Ruiz"), "MLGR");
        assert_eq!(initials("Ñuño Pérez"), "ÑP");
    }
}
