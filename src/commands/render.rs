//! `rubrica render`: renders a record offline with the same code and
//! templates as the documents service (`rubrica_documents::render`). Exit
//! code: 0 done, 2 the input was refused (unreadable, not JSON, missing
//! fields), 1 a template or the machine failed.

use std::path::Path;

use rubrica_documents::{DocumentKind, RenderError};

/// Largest data file accepted (the 20-page example is ~100 KB).
const MAX_DATA_BYTES: u64 = 16 * 1024 * 1024;

/// What to render and where to write it.
pub struct RenderRequest<'a> {
    pub kind: &'a str,
    pub data: &'a Path,
    pub output: &'a Path,
    pub layout: Option<&'a Path>,
}

fn fail(code: u8, message: &str) -> u8 {
    eprintln!("Error: {message}");
    code
}

fn kinds() -> String {
    DocumentKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `rubrica render`; returns the exit code.
pub fn render(request: RenderRequest<'_>) -> u8 {
    let Some(kind) = DocumentKind::parse(request.kind) else {
        return fail(
            2,
            &format!(
                "«{}» no es un tipo de documento; los tipos son: {}.",
                request.kind,
                kinds()
            ),
        );
    };
    let text = match std::fs::metadata(request.data) {
        Ok(m) if m.len() > MAX_DATA_BYTES => {
            return fail(
                2,
                &format!(
                    "El archivo de datos {} es demasiado grande (más de {} MB).",
                    request.data.display(),
                    MAX_DATA_BYTES / (1024 * 1024)
                ),
            );
        }
        Ok(_) => match std::fs::read(request.data) {
            Ok(t) => t,
            Err(e) => {
                return fail(
                    2,
                    &format!("No se pudo leer {} ({e}).", request.data.display()),
                );
            }
        },
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "no existe".to_string()
            } else {
                format!("no se pudo leer ({e})")
            };
            return fail(
                2,
                &format!("El archivo de datos {} {why}.", request.data.display()),
            );
        }
    };
    let data: serde_json::Value = match serde_json::from_slice(&text) {
        Ok(d) => d,
        Err(e) => {
            return fail(
                2,
                &format!(
                    "{} no es JSON válido (línea {}, columna {}).",
                    request.data.display(),
                    e.line(),
                    e.column()
                ),
            );
        }
    };
    let rendered = match rubrica_documents::render(kind, &data) {
        Ok(r) => r,
        Err(RenderError::InvalidData(errors)) => {
            eprintln!(
                "Error: los datos de {} no son válidos:",
                request.data.display()
            );
            for e in &errors {
                eprintln!("  - «{}»: {}", e.field, e.message);
            }
            return 2;
        }
        Err(RenderError::Template(e)) => {
            return fail(
                1,
                &format!(
                    "error en la plantilla {}, línea {}: {}",
                    e.file, e.line, e.message
                ),
            );
        }
    };
    if let Err(e) = std::fs::write(request.output, &rendered.pdf) {
        return fail(
            1,
            &format!("No se pudo escribir {} ({e}).", request.output.display()),
        );
    }
    if let Some(layout) = request.layout {
        let json = match serde_json::to_vec_pretty(&rendered.manifest) {
            Ok(j) => j,
            Err(e) => return fail(1, &format!("No se pudo serializar el manifiesto ({e}).")),
        };
        if let Err(e) = std::fs::write(layout, json) {
            return fail(
                1,
                &format!("No se pudo escribir {} ({e}).", layout.display()),
            );
        }
    }
    outln!(
        "{}: {} páginas, SHA-256 {}. Guardado en {}.",
        rendered.facts.title,
        rendered.page_count,
        rendered.sha256,
        request.output.display()
    );
    if let Some(layout) = request.layout {
        outln!(
            "Manifiesto de diseño ({} firmantes) en {}.",
            rendered.manifest.signers.len(),
            layout.display()
        );
    }
    0
}
