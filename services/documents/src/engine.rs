//! Typst, embedded: one render turns a template and its data into a PDF/A-2b
//! and the compiled document's layout (where the template reserved room for
//! initials and signatures).
//!
//! Three traps of embedding Typst, and how this module avoids them:
//! - **Memory.** Typst memoises everything in a process-wide cache
//!   (`comemo`); a long-running server that never evicts it grows without
//!   bound. [`render_pdf`] evicts after every render.
//! - **File ids.** Typst interns every path into a global table capped at
//!   65,536 ids. The main file is always `/main.typ` and the shared layout
//!   `/layout.typ`, whatever the kind, so the ids are the same two forever.
//! - **Blocking.** A render is CPU-bound (tens of milliseconds); callers in
//!   async code run it in `spawn_blocking` behind a semaphore
//!   ([`crate::documents::Documents`]).
//!
//! Nothing here reads the clock, the machine's fonts or its files: the fonts
//! are `typst-assets`' (bundled in the binary) and the templates are
//! compiled in, so the same data gives the same bytes anywhere.

use std::sync::{Arc, LazyLock};

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Array, Bytes, Datetime, Dict, Label, Selector, Smart, Str, Value};
use typst::introspection::Introspector;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::{LazyHash, PicoStr};
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use crate::kind::DocumentKind;

/// The shared layout every kind imports as `/layout.typ`.
const LAYOUT_TYP: &str = include_str!("../../../templates/documents/layout.typ");

/// The label the layout puts on the marker at the top-left corner of every
/// box it reserves (see `slot` in `layout.typ`).
const SLOT_LABEL: &str = "rubrica-slot";

/// A box the template reserved, read back from the compiled document.
#[derive(Debug, Clone, PartialEq)]
pub struct ReservedBox {
    /// Signer id.
    pub signer: String,
    /// `initials` or `signature`.
    pub purpose: String,
    /// 1-based page.
    pub page: u32,
    /// Left edge, points from the page's left.
    pub x: f64,
    /// Top edge, points from the page's **top** (Typst's origin).
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// A rendered PDF and what the layout says about it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub page_count: u32,
    /// Width and height of the first page, in points (every page has the
    /// same size in these templates).
    pub page_size: (f64, f64),
    pub boxes: Vec<ReservedBox>,
}

/// Why Typst did not produce a PDF. Always a fault of a template (the data
/// was validated before), so callers log it and answer 500.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct TemplateError {
    /// The template file (`templates/documents/acta.typ`…), or `?` when
    /// Typst gave no location.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// Typst's message (English) with its hints.
    pub message: String,
}

/// The bundled fonts: Libertinus Serif for text, DejaVu Sans Mono for
/// digests. Loaded once per process.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .filter(|font| {
            let family = font.info().family.as_str();
            family.starts_with("Libertinus Serif") || family.starts_with("DejaVu Sans Mono")
        })
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable_path(path));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

// The two paths are constants that are valid virtual paths; this is only
// reached if Typst changes what it accepts, which the tests would show.
#[allow(clippy::panic)]
fn unreachable_path(path: &str) -> ! {
    panic!("ruta virtual inválida para Typst: {path}")
}

static MAIN_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/main.typ"));
static LAYOUT_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/layout.typ"));

/// The sources, parsed once per process: the layout and each kind's main
/// file, all under the two stable ids.
static LAYOUT_SOURCE: LazyLock<Source> =
    LazyLock::new(|| Source::new(*LAYOUT_ID, LAYOUT_TYP.to_string()));

struct RenderWorld {
    library: LazyHash<Library>,
    main: Source,
}

impl World for RenderWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        *MAIN_ID
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MAIN_ID {
            Ok(self.main.clone())
        } else if id == *LAYOUT_ID {
            Ok(LAYOUT_SOURCE.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.source(id)
            .map(|s| Bytes::from_string(s.text().to_string()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // Dates come from the data, never from the clock.
        None
    }
}

/// Converts JSON into the Typst value the template reads from `sys.inputs`.
pub fn to_typst(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(Str::from(s.as_str())),
        serde_json::Value::Array(items) => {
            Value::Array(items.iter().map(to_typst).collect::<Array>())
        }
        serde_json::Value::Object(map) => Value::Dict(
            map.iter()
                .map(|(k, v)| (Str::from(k.as_str()), to_typst(v)))
                .collect::<Dict>(),
        ),
    }
}

/// The main Typst file of each kind: the compiled-in templates, or one
/// replaced (the tests give the service a broken template this way; the
/// shared `layout.typ` is always the compiled-in one). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    replaced: Vec<(DocumentKind, Arc<str>)>,
}

impl Templates {
    /// The templates of `templates/documents/`, as compiled into the binary.
    pub fn compiled_in() -> Templates {
        Templates::default()
    }

    /// These templates with `kind`'s main file replaced by `source`
    /// (reported in errors under `kind`'s file name).
    pub fn replacing(mut self, kind: DocumentKind, source: impl Into<String>) -> Templates {
        self.replaced.retain(|(k, _)| *k != kind);
        self.replaced.push((kind, Arc::from(source.into())));
        self
    }

    /// The main file of `kind`.
    pub fn main(&self, kind: DocumentKind) -> &str {
        self.replaced
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(kind.template(), |(_, source)| &**source)
    }
}

/// Renders `kind` from `templates` with `inputs` (the template's
/// `sys.inputs`): compile, read the reserved boxes, export PDF/A-2b.
/// `ident` names the document stably (its PDF identifier is derived from
/// it). Evicts Typst's caches before returning, whatever the outcome.
pub fn render_pdf(
    templates: &Templates,
    kind: DocumentKind,
    inputs: Dict,
    ident: &str,
) -> Result<Rendered, TemplateError> {
    let result = render_source(kind, templates.main(kind), inputs, ident);
    comemo::evict(0);
    result
}

/// Renders `main` as the main file of `kind`.
fn render_source(
    kind: DocumentKind,
    main: &str,
    inputs: Dict,
    ident: &str,
) -> Result<Rendered, TemplateError> {
    let world = RenderWorld {
        library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
        main: Source::new(*MAIN_ID, main.to_string()),
    };
    let warned = typst::compile::<PagedDocument>(&world);
    let document = warned
        .output
        .map_err(|errors| template_error(&world, kind, &errors))?;
    let boxes = reserved_boxes(&document);
    let pages = document.pages();
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let page_size = pages
        .first()
        .map(|p| (p.frame.width().to_pt(), p.frame.height().to_pt()))
        .unwrap_or((0.0, 0.0));
    let standards = PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| TemplateError {
        file: "?".into(),
        line: 0,
        message: format!("PDF/A-2b: {e:?}"),
    })?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some("Rúbrica".to_string())),
        timestamp: None,
        page_ranges: None,
        standards,
        tagged: true,
        pretty: false,
    };
    let pdf = typst_pdf::pdf(&document, &options)
        .map_err(|errors| template_error(&world, kind, &errors))?;
    Ok(Rendered {
        pdf,
        page_count,
        page_size,
        boxes,
    })
}

/// Reads every marker the layout placed (`metadata(…) <rubrica-slot>`),
/// with the position Typst laid it out at.
fn reserved_boxes(document: &PagedDocument) -> Vec<ReservedBox> {
    let Some(label) = Label::new(PicoStr::intern(SLOT_LABEL)) else {
        return Vec::new();
    };
    let introspector = document.introspector();
    let mut boxes = Vec::new();
    for element in introspector.query(&Selector::Label(label)).iter() {
        let Some(location) = element.location() else {
            continue;
        };
        let Some(position) = introspector.position(location) else {
            continue;
        };
        let Ok(Value::Dict(value)) = element.get_by_name("value") else {
            continue;
        };
        let text = |key: &str| match value.get(key) {
            Ok(Value::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        let number = |key: &str| match value.get(key) {
            Ok(Value::Float(f)) => Some(*f),
            Ok(Value::Int(i)) => Some(*i as f64),
            _ => None,
        };
        let (Some(signer), Some(purpose), Some(width), Some(height)) = (
            text("signer"),
            text("purpose"),
            number("width"),
            number("height"),
        ) else {
            continue;
        };
        boxes.push(ReservedBox {
            signer,
            purpose,
            page: u32::try_from(position.page.get()).unwrap_or(u32::MAX),
            x: position.point.x.to_pt(),
            top: position.point.y.to_pt(),
            width,
            height,
        });
    }
    boxes
}

fn template_error(
    world: &RenderWorld,
    kind: DocumentKind,
    errors: &[SourceDiagnostic],
) -> TemplateError {
    let first = errors
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or_else(|| errors.first());
    let Some(diagnostic) = first else {
        return TemplateError {
            file: format!("templates/documents/{}", kind.template_file()),
            line: 0,
            message: "Typst falló sin diagnóstico".into(),
        };
    };
    let mut message = diagnostic.message.to_string();
    for hint in &diagnostic.hints {
        message.push_str("; hint: ");
        message.push_str(&hint.v);
    }
    let (file, line) = match diagnostic.span.id() {
        Some(id) => {
            let file = if id == *LAYOUT_ID {
                "templates/documents/layout.typ".to_string()
            } else {
                format!("templates/documents/{}", kind.template_file())
            };
            let line = world
                .source(id)
                .ok()
                .and_then(|source| {
                    let range = typst::WorldExt::range(world, diagnostic.span)?;
                    source.lines().byte_to_line(range.start)
                })
                .map(|l| l + 1)
                .unwrap_or(0);
            (file, line)
        }
        None => ("?".to_string(), 0),
    };
    TemplateError {
        file,
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_error_names_the_template_file_and_line() {
        let broken = "#import \"/layout.typ\": *\nHola.\n#no-existe(1)\n";
        let error = render_source(DocumentKind::Minuta, broken, Dict::new(), "prueba").unwrap_err();
        assert_eq!(error.file, "templates/documents/minuta.typ");
        assert_eq!(error.line, 3);
        assert!(error.message.contains("no-existe"), "{}", error.message);
        comemo::evict(0);
    }

    #[test]
    fn an_error_inside_the_shared_layout_names_layout_typ() {
        // `long-date` on something that is not a date string fails inside layout.typ.
        let broken = "#import \"/layout.typ\": *\n#long-date(7)\n";
        let error = render_source(DocumentKind::Acta, broken, Dict::new(), "prueba").unwrap_err();
        assert_eq!(error.file, "templates/documents/layout.typ");
        assert!(error.line > 0);
        comemo::evict(0);
    }
}
