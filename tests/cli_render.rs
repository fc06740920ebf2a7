//! `rubrica render`: the built binary renders the example records offline,
//! and its layout manifest opens the PDF for signature with `rubrica signable`.

use std::path::Path;
use std::process::Command;

use rubrica_pdfsign::LayoutManifest;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn render_writes_the_20_page_acta_and_a_layout_that_signable_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("acta.pdf");
    let layout = dir.path().join("layout.json");
    let out = Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["render", "--kind", "acta", "--data"])
        .arg(example("acta-20-paginas.json"))
        .arg("--out")
        .arg(&pdf)
        .arg("--layout")
        .arg(&layout)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("20 páginas"), "{stdout}");
    let manifest = LayoutManifest::from_json(&std::fs::read(&layout).unwrap()).unwrap();
    assert_eq!(manifest.page_count, 20);
    assert_eq!(manifest.signers.len(), 9);

    let signable = dir.path().join("firmable.pdf");
    let out = Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["signable", "--in"])
        .arg(&pdf)
        .arg("--layout")
        .arg(&layout)
        .arg("--out")
        .arg(&signable)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(signable.exists());
}

#[test]
fn render_lists_every_missing_field_in_spanish_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("datos.json");
    std::fs::write(
        &data,
        r#"{ "secretariat": { "name": "STL" }, "folio": "X-1" }"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["render", "--kind", "informe", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("informe.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for field in [
        "date",
        "place",
        "member",
        "period",
        "summary",
        "activities",
        "signers",
    ] {
        assert!(
            stderr.contains(&format!("«{field}»: falta este campo")),
            "{field}: {stderr}"
        );
    }
    assert!(!dir.path().join("informe.pdf").exists());

    let out = Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["render", "--kind", "oficio", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("x.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no es un tipo de documento"));
}
