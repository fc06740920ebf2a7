//! Every kind renders from its example in `templates/examples/`, and the
//! result is what the signing service and a reader need: a valid PDF
//! (`qpdf --check`), Spanish text that survives extraction (`pdftotext`), the
//! page count `pdfinfo` sees in the manifest, identical bytes on every
//! render, and a manifest `rubrica_pdfsign::make_signable` accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

use rubrica_documents::{DocumentKind, RenderError, RenderedRecord, render};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../templates/examples")
}

fn example(name: &str) -> serde_json::Value {
    let text = std::fs::read(examples().join(name)).unwrap();
    serde_json::from_slice(&text).unwrap()
}

fn rendered(kind: DocumentKind, name: &str) -> RenderedRecord {
    match render(kind, &example(name)) {
        Ok(r) => r,
        Err(e) => panic!("{name}: {e}"),
    }
}

/// Runs a poppler/qpdf tool on the PDF; `None` when the tool is missing
/// (said on stderr, so a green run without it is not mistaken for a full one).
fn tool(program: &str, args: &[&str], pdf: &[u8]) -> Option<(bool, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("documento.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut command = Command::new(program);
    command.args(args).arg(&path);
    if program == "pdftotext" {
        command.arg("-");
    }
    match command.output() {
        Ok(out) => Some((
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )),
        Err(_) => {
            eprintln!("OMITIDO: {program} no está instalado");
            None
        }
    }
}

const CASES: &[(DocumentKind, &str, &[&str])] = &[
    (
        DocumentKind::Acta,
        "acta.json",
        &[
            "ACTA DE LA SESIÓN ORDINARIA",
            "Lista de asistencia",
            "Verificación del quórum",
            "Quórum: 9 de 9 asientos activos representados, incluye sociedad civil",
            "Aprobación del orden del día",
            "Acuerdo 2026-ORD-04/ACU-01",
            "Firmas al calce",
            "ANDRÉS PEÑALOZA QUIÑONES",
            "Página 1 de",
            "Folio: 2026-ORD-04",
            "Secretariado Técnico Local de Gobierno Abierto de Jalisco",
        ],
    ),
    (
        DocumentKind::Acta,
        "acta-extraordinaria.json",
        &["ACTA DE LA SESIÓN EXTRAORDINARIA", "Suplente en funciones"],
    ),
    (
        DocumentKind::Acta,
        "acta-20-paginas.json",
        &["Página 20 de 20", "Cierre de la sesión"],
    ),
    (
        DocumentKind::Minuta,
        "minuta.json",
        &[
            "MINUTA DE LA REUNIÓN DE TRABAJO",
            "Temas tratados",
            "Acuerdos y compromisos",
        ],
    ),
    (
        DocumentKind::Convocatoria,
        "convocatoria.json",
        &[
            "CONVOCATORIA",
            "Orden del día",
            "9 de diciembre de 2026",
            "días hábiles",
        ],
    ),
    (
        DocumentKind::Informe,
        "informe.json",
        &[
            "INFORME DE ACTIVIDADES",
            "Jesús Ángel Íñiguez Pérez",
            "Asuntos pendientes",
        ],
    ),
    (
        DocumentKind::EntregaRecepcion,
        "entrega-recepcion.json",
        &[
            "ACTA DE ENTREGA-RECEPCIÓN",
            "Inventario",
            "SHA-256",
            "Begoña Ruiz Castañeda",
        ],
    ),
];

#[test]
fn every_kind_renders_from_its_example_into_text_a_reader_can_extract() {
    for (kind, name, expected) in CASES {
        let r = rendered(*kind, name);
        assert!(r.pdf.starts_with(b"%PDF-"), "{name}");
        if let Some((ok, text)) = tool("pdftotext", &["-layout", "-enc", "UTF-8"], &r.pdf) {
            assert!(ok, "{name}: {text}");
            // Extraction may break lines; compare with whitespace collapsed.
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for phrase in *expected {
                let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(flat.contains(&phrase), "{name}: «{phrase}» not in the text");
            }
        }
    }
}

#[test]
fn pdfinfo_sees_the_manifest_s_page_count_and_a_spanish_pdf_a_2b() {
    for (kind, name, _) in CASES {
        let r = rendered(*kind, name);
        let Some((ok, info)) = tool("pdfinfo", &[], &r.pdf) else {
            return;
        };
        assert!(ok, "{name}: {info}");
        let pages: u32 = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        assert_eq!(pages, r.manifest.page_count, "{name}");
        assert_eq!(pages, r.page_count, "{name}");
        let (ok, meta) = tool("pdfinfo", &["-meta"], &r.pdf).unwrap();
        assert!(ok, "{name}: {meta}");
        assert!(
            meta.contains("<pdfaid:part>2</pdfaid:part>")
                && meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
            "{name}: PDF/A-2b: {meta}"
        );
        assert!(
            meta.contains("es-MX"),
            "{name}: the language is Spanish: {meta}"
        );
    }
}

#[test]
fn qpdf_finds_no_errors_in_any_kind() {
    for (kind, name, _) in CASES {
        let r = rendered(*kind, name);
        if let Some((ok, out)) = tool("qpdf", &["--check"], &r.pdf) {
            assert!(ok, "{name}: {out}");
            assert!(
                out.contains("No syntax or stream encoding errors"),
                "{name}: {out}"
            );
        }
    }
}

#[test]
fn rendering_the_same_data_twice_gives_identical_bytes() {
    for (kind, name, _) in CASES {
        let a = rendered(*kind, name);
        let b = rendered(*kind, name);
        assert_eq!(a.sha256, b.sha256, "{name}");
        assert!(a.pdf == b.pdf, "{name}");
        assert_eq!(a.manifest, b.manifest, "{name}");
    }
}

#[test]
fn the_manifest_of_every_kind_is_accepted_by_make_signable() {
    for (kind, name, _) in CASES {
        let r = rendered(*kind, name);
        assert_eq!(
            r.manifest.document_sha256.as_deref(),
            Some(r.sha256.as_str())
        );
        let signable = rubrica_pdfsign::make_signable(&r.pdf, &r.manifest)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            signable.starts_with(&r.pdf),
            "{name}: an incremental update"
        );
        if let Some((ok, out)) = tool("qpdf", &["--check"], &signable) {
            assert!(ok, "{name}: signable: {out}");
        }
    }
}

#[test]
fn the_20_page_acta_has_20_pages_9_signers_and_boxes_where_the_template_left_room() {
    let r = rendered(DocumentKind::Acta, "acta-20-paginas.json");
    assert_eq!(r.page_count, 20);
    assert_eq!(r.page_size, (612.0, 792.0));
    let m = &r.manifest;
    assert_eq!(m.signers.len(), 9);
    assert!(m.signers.iter().any(|s| s.signer.rfc == "EKU9003173C9"));
    for s in &m.signers {
        assert_eq!(s.initials.len(), 20, "{}", s.signer.id);
        for (i, slot) in s.initials.iter().enumerate() {
            assert_eq!(slot.page, i as u32 + 1);
            // In the right margin strip, right of the text (which ends at 528 pt).
            assert_eq!(slot.x, 540.0);
            assert_eq!(slot.width, 56.0);
            assert!(
                slot.y >= 64.0 && slot.y + slot.height <= 792.0 - 84.0 + 0.01,
                "{slot:?}"
            );
        }
        // Same place on every page.
        assert!(s.initials.windows(2).all(|w| w[0].y == w[1].y));
        let sig = s.signature_box;
        assert!(sig.page >= 19, "signatures at the end: {sig:?}");
        assert!(sig.x >= 64.0 && sig.x + sig.width <= 528.01, "{sig:?}");
        assert!(sig.y >= 64.0 && sig.y + sig.height <= 708.01, "{sig:?}");
        assert_eq!((sig.width, sig.height), (220.0, 54.0));
    }
    // Slots of different signers do not overlap.
    let first: Vec<_> = m.signers.iter().map(|s| s.initials[0]).collect();
    for (a, b) in first.iter().zip(first.iter().skip(1)) {
        assert!(a.y >= b.y + b.height, "{a:?} above {b:?}");
    }
    // Signature boxes do not overlap either.
    for (i, a) in m.signers.iter().enumerate() {
        for b in &m.signers[i + 1..] {
            let (a, b) = (a.signature_box, b.signature_box);
            let apart = a.page != b.page
                || a.x + a.width <= b.x
                || b.x + b.width <= a.x
                || a.y + a.height <= b.y
                || b.y + b.height <= a.y;
            assert!(apart, "{a:?} and {b:?}");
        }
    }
}

#[test]
fn missing_and_malformed_fields_are_all_listed_in_spanish_and_nothing_is_rendered() {
    let mut data = example("acta.json");
    data["session"].as_object_mut().unwrap().remove("date");
    data["session"]["start_time"] = "25:99".into();
    data["signers"][0]["rfc"] = "NO-ES-RFC".into();
    data.as_object_mut().unwrap().remove("agenda");
    let Err(RenderError::InvalidData(errors)) = render(DocumentKind::Acta, &data) else {
        panic!("the data is invalid");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "session.date",
            "session.start_time",
            "agenda",
            "signers[0].rfc"
        ]
    );
    assert_eq!(errors[0].message, "falta este campo");
    assert!(errors[1].message.contains("hora"));
    assert!(errors[3].message.contains("RFC"));
}

#[test]
fn a_repeated_signer_is_refused_before_rendering() {
    let mut data = example("informe.json");
    let first = data["signers"][0].clone();
    data["signers"].as_array_mut().unwrap().push(first);
    let Err(RenderError::InvalidData(errors)) = render(DocumentKind::Informe, &data) else {
        panic!("a repeated signer is invalid");
    };
    assert!(
        errors.iter().any(|e| e.message.contains("repetido")),
        "{errors:?}"
    );
}
