//! An example acta, for tests, benchmarks and demonstrations.
//!
//! Pages the size of A4 with a folio, "Página X de Y", Spanish text with
//! accents, a right margin left free for initials and, on the last page, the
//! *firmas al calce* heading above the area [`LayoutManifest::standard`]
//! (crate::LayoutManifest::standard) fills with signature boxes. Built with
//! lopdf, the way any third-party PDF would arrive.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, SaveOptions, Stream, dictionary};

use crate::appearance::win_ansi;

/// A4 in points.
pub const A4: (f32, f32) = (595.0, 842.0);

/// How the example's cross-reference data is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefStyle {
    /// A classic `xref` table (PDF 1.4 writers, Typst).
    Table,
    /// Cross-reference and object streams (PDF 1.5+ writers).
    Streams,
}

const PARAGRAPH: &str = "En la ciudad de Guadalajara, Jalisco, reunidos los integrantes del Secretariado Técnico Local de Gobierno Abierto, se dio lectura al orden del día, que fue aprobado por unanimidad. La Presidenta informó sobre el avance de los compromisos del Plan de Acción Local; la representación de la sociedad civil organizada señaló la necesidad de publicar los datos abiertos en formatos reutilizables, conforme al principio de máxima publicidad. Tras la deliberación, se acordó por mayoría, con el voto favorable de la academia y del sector empresarial, dar seguimiento trimestral a cada compromiso.";

/// The example acta, `pages` long, written with a classic xref table.
pub fn acta(pages: u32) -> Vec<u8> {
    acta_with(pages, XrefStyle::Table)
}

/// The example acta with the chosen cross-reference style.
pub fn acta_with(pages: u32, style: XrefStyle) -> Vec<u8> {
    let pages = pages.max(1);
    let (width, height) = A4;
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |base: &str| {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => Object::Name(base.as_bytes().to_vec()),
            "Encoding" => "WinAnsiEncoding",
        }
    };
    let regular = doc.add_object(font("Helvetica"));
    let bold = doc.add_object(font("Helvetica-Bold"));
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => regular, "F2" => bold },
    });
    let text_width = width - 56.0 - 72.0; // left margin 56, initials margin 72
    let lines = wrap(PARAGRAPH, 95);
    let mut kids = Vec::new();
    for n in 1..=pages {
        let mut ops = Vec::new();
        let mut text = |font: &str, size: f32, x: f32, y: f32, s: &str| {
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("Tf", vec![font.into(), size.into()]));
            ops.push(Operation::new("Td", vec![x.into(), y.into()]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(win_ansi(s), lopdf::StringFormat::Literal)],
            ));
            ops.push(Operation::new("ET", vec![]));
        };
        text(
            "F2",
            13.0,
            56.0,
            height - 60.0,
            "ACTA DE LA SESIÓN ORDINARIA DEL SECRETARIADO TÉCNICO LOCAL",
        );
        text(
            "F1",
            9.0,
            56.0,
            height - 76.0,
            "Folio STL-JAL-2026-014 · Gobierno Abierto Jalisco",
        );
        let mut y = height - 104.0;
        let bottom = if n == pages {
            height * 0.55 + 40.0
        } else {
            70.0
        };
        let mut paragraph = 0;
        while y > bottom {
            paragraph += 1;
            text(
                "F2",
                10.0,
                56.0,
                y,
                &format!("{n}.{paragraph} Acuerdo número {paragraph} de la página {n}"),
            );
            y -= 14.0;
            for line in &lines {
                if y <= bottom {
                    break;
                }
                text("F1", 9.5, 56.0, y, line);
                y -= 12.0;
            }
            y -= 8.0;
        }
        if n == pages {
            text("F2", 11.0, 56.0, height * 0.55 + 14.0, "FIRMAS AL CALCE");
            text(
                "F1",
                8.0,
                56.0,
                height * 0.55 + 2.0,
                "Firman electrónicamente con su e.firma (FIEL) los integrantes que asistieron a la sesión.",
            );
        }
        text(
            "F1",
            8.0,
            width / 2.0 - 30.0,
            30.0,
            &format!("Página {n} de {pages}"),
        );
        let _ = text_width;
        let content = Content { operations: ops };
        let mut stream = Stream::new(Dictionary::new(), content.encode().unwrap_or_default());
        let _ = stream.compress();
        let content_id = doc.add_object(stream);
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources,
        });
        kids.push(Object::Reference(page));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => pages as i64,
            "MediaBox" => vec![0.into(), 0.into(), width.into(), height.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog);
    let info = doc.add_object(dictionary! {
        "Title" => Object::String(b"Acta de ejemplo".to_vec(), lopdf::StringFormat::Literal),
        "Producer" => Object::string_literal("Rubrica (ejemplo)"),
    });
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    let options = match style {
        XrefStyle::Table => SaveOptions::builder().build(),
        XrefStyle::Streams => SaveOptions::builder()
            .use_object_streams(true)
            .use_xref_streams(true)
            .build(),
    };
    // Saving to memory only fails on an I/O error, which a Vec cannot raise.
    let _ = doc.save_with_options(&mut out, options);
    out
}

/// Splits text into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
