//! Test helpers: the 9-member test PKI, the signed example acta, external
//! validators, and a hand-made incremental update for tampering.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use lopdf::{Document, Object, ObjectId};
use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
use rubrica_pdfsign::{
    LayoutManifest, PrepareOptions, SignerIdentity, example, make_signable, sign,
};

/// The test PKI's password.
pub const PASSWORD: &str = "12345678a";

/// The nine members of the test STL: file name, name, RFC, CURP, seat, role.
pub const MEMBERS: [(&str, &str, &str, &str, &str, &str); 9] = [
    (
        "maria",
        "MARÍA GONZÁLEZ RUIZ",
        "GORM800101AB1",
        "GORM800101MDFNZR09",
        "Órgano garante (ITEI)",
        "Presidenta",
    ),
    (
        "juan",
        "JUAN PÉREZ LÓPEZ",
        "PELJ750505CD2",
        "PELJ750505HDFRPN02",
        "Poder Ejecutivo",
        "Titular",
    ),
    (
        "ana",
        "ANA TORRES DÍAZ",
        "TODA900909EF3",
        "TODA900909MDFRZN05",
        "Poder Judicial",
        "Titular",
    ),
    (
        "luis",
        "LUIS HERNÁNDEZ MORA",
        "HEML820315GH4",
        "HEML820315HJCRRS07",
        "Poder Legislativo",
        "Suplente",
    ),
    (
        "sofia",
        "SOFÍA RAMÍREZ CASTRO",
        "RACS880720JK5",
        "RACS880720MJCMST03",
        "Municipio de Zapopan",
        "Titular",
    ),
    (
        "jose",
        "JOSÉ ÁLVAREZ PEÑA",
        "AAPJ850412LM6",
        "AAPJ850412HJCLXS01",
        "Academia",
        "Titular",
    ),
    (
        "carmen",
        "CARMEN VEGA SOLÍS",
        "VESC790101NP7",
        "VESC790101MJCGLR04",
        "Sector empresarial",
        "Titular",
    ),
    (
        "raul",
        "RAÚL ORTIZ LUNA",
        "OILR860606QR8",
        "OILR860606HJCRNL06",
        "Organización de la sociedad civil",
        "Titular",
    ),
    (
        "lucia",
        "LUCÍA MÉNDEZ ROJAS",
        "MERL910214ST9",
        "MERL910214MJCNJC08",
        "Comunidad tecnológica",
        "Enlace",
    ),
];

/// The repository's `tests/fixtures` (the crate is `shared/pdfsign`).
pub fn fixtures_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    assert!(
        dir.join("make-test-pki.sh").is_file(),
        "fixtures not found at {}: these tests need the repository's tests/fixtures folder",
        dir.display()
    );
    dir
}

/// A SAT test credential folder.
pub fn sat_dir(name: &str) -> PathBuf {
    fixtures_dir().join("sat-test-certs").join(name)
}

/// The test PKI (CA + 9 FIELs + CSD + expired), generated once per run.
pub fn pki() -> &'static Path {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("pdfsign-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cmd = Command::new("bash");
        cmd.arg(fixtures_dir().join("make-test-pki.sh")).arg(&dir);
        for (file, name, rfc, curp, _, _) in MEMBERS {
            // The certificates carry names without accents, as SAT's often do.
            cmd.arg(format!("{file}:{}:{rfc}:{curp}", strip_accents(name)));
        }
        let out = cmd
            .output()
            .expect("running make-test-pki.sh (needs bash and openssl)");
        assert!(
            out.status.success(),
            "make-test-pki.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

fn strip_accents(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'Á' => 'A',
            'É' => 'E',
            'Í' => 'I',
            'Ó' => 'O',
            'Ú' => 'U',
            'Ñ' => 'N',
            other => other,
        })
        .collect()
}

/// Opens a member's credential from the test PKI.
pub fn credential(file: &str) -> Credential {
    let dir = pki();
    Credential::from_files(
        dir.join(format!("{file}.cer")),
        dir.join(format!("{file}.key")),
        PASSWORD,
    )
    .unwrap_or_else(|e| panic!("opening {file}: {e}"))
}

/// A validator trusting the test CA.
pub fn validator() -> Validator {
    let trust = TrustStore::from_path(pki().join("ca.pem")).expect("test CA");
    Validator::new(trust, &RevocationSource::NotConfigured).expect("validator")
}

/// A validator trusting nothing.
pub fn untrusting_validator() -> Validator {
    Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured).expect("validator")
}

/// The identities of the members, in order.
pub fn identities() -> Vec<SignerIdentity> {
    MEMBERS
        .iter()
        .map(|(file, name, rfc, _, seat, role)| SignerIdentity {
            id: (*file).to_owned(),
            name: (*name).to_owned(),
            seat: (*seat).to_owned(),
            role: (*role).to_owned(),
            rfc: (*rfc).to_owned(),
        })
        .collect()
}

/// The 20-page example acta and its standard layout for the 9 members.
pub fn acta_and_layout() -> (Vec<u8>, LayoutManifest) {
    let acta = example::acta(20);
    let layout = LayoutManifest::standard(20, example::A4, identities());
    (acta, layout)
}

/// The example acta through every stage: signable, then after each of the 9
/// signatures (index i = i+1 signatures).
pub struct SignedActa {
    pub acta: Vec<u8>,
    pub signable: Vec<u8>,
    pub stages: Vec<Vec<u8>>,
    /// Where the final PDF and its companions are written for external tools.
    pub dir: PathBuf,
}

impl SignedActa {
    pub fn signed(&self) -> &[u8] {
        self.stages.last().expect("nine stages")
    }

    pub fn signed_path(&self) -> PathBuf {
        self.dir.join("signed.pdf")
    }
}

/// Built once per test run.
pub fn signed_acta() -> &'static SignedActa {
    static ACTA: OnceLock<SignedActa> = OnceLock::new();
    ACTA.get_or_init(|| {
        let (acta, layout) = acta_and_layout();
        let signable = make_signable(&acta, &layout).expect("signable revision");
        let validator = validator();
        let mut stages = Vec::new();
        let mut current = signable.clone();
        for (file, ..) in MEMBERS {
            let options = PrepareOptions {
                validator: Some(&validator),
                ..PrepareOptions::now()
            };
            current = sign(&current, &credential(file), &options)
                .unwrap_or_else(|e| panic!("{file} signs: {e}"));
            stages.push(current.clone());
        }
        let dir = pki().join("acta");
        std::fs::create_dir_all(&dir).expect("acta dir");
        std::fs::write(dir.join("acta.pdf"), &acta).expect("write");
        std::fs::write(dir.join("signable.pdf"), &signable).expect("write");
        std::fs::write(dir.join("signed.pdf"), &current).expect("write");
        SignedActa {
            acta,
            signable,
            stages,
            dir,
        }
    })
}

/// Runs a command, returning (success, stdout + stderr). Panics with a clear
/// message when the tool is not installed.
pub fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} is not installed ({e}): apt-get install -y poppler-utils qpdf openssl"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Whether a tool is on the PATH.
pub fn available(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Each signature's (ByteRange, DER) found by scanning the raw bytes, without
/// Rúbrica's reader: what an independent extractor would do.
pub fn extract_signatures(pdf: &[u8]) -> Vec<([usize; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let needle = b"/ByteRange";
    let mut from = 0;
    while let Some(at) = pdf[from..].windows(needle.len()).position(|w| w == needle) {
        let start = from + at + needle.len();
        from = start;
        let open = start + pdf[start..].iter().position(|&b| b == b'[').expect("[");
        let close = open + pdf[open..].iter().position(|&b| b == b']').expect("]");
        let nums: Vec<usize> = std::str::from_utf8(&pdf[open + 1..close])
            .expect("ascii")
            .split_whitespace()
            .map(|n| n.parse().expect("number"))
            .collect();
        let br = [nums[0], nums[1], nums[2], nums[3]];
        let hex_text = &pdf[br[1] + 1..br[2] - 1];
        let mut der = hex::decode(hex_text).expect("hex contents");
        der.truncate(der_len(&der));
        out.push((br, der));
    }
    out
}

fn der_len(der: &[u8]) -> usize {
    let first = der[1];
    if first < 0x80 {
        2 + first as usize
    } else {
        let n = (first & 0x7f) as usize;
        let len = der[2..2 + n]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | b as usize);
        2 + n + len
    }
}

/// Appends a hand-made incremental update replacing or adding `objects`
/// (the way a tampering tool would), using lopdf to read the trailer.
pub fn append_revision(pdf: &[u8], objects: &[(ObjectId, Object)]) -> Vec<u8> {
    let doc = Document::load_mem(pdf).expect("lopdf reads the PDF");
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .expect("/Size");
    let root = doc.trailer.get(b"Root").expect("/Root").clone();
    let prev = doc.xref_start;
    let mut out = pdf.to_vec();
    let mut offsets = Vec::new();
    for (id, object) in objects {
        offsets.push((id.0, out.len()));
        writeln!(out, "{} {} obj", id.0, id.1).unwrap();
        lopdf::Writer::write_object(&mut out, object).unwrap();
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    offsets.sort();
    for (id, offset) in &offsets {
        write!(out, "{id} 1\n{offset:010} 00000 n\r\n").unwrap();
    }
    let max = offsets
        .iter()
        .map(|(id, _)| *id as i64 + 1)
        .max()
        .unwrap_or(0)
        .max(size);
    out.extend_from_slice(b"trailer\n");
    let mut trailer = lopdf::Dictionary::new();
    trailer.set("Size", max);
    trailer.set("Root", root);
    trailer.set("Prev", prev as i64);
    lopdf::Writer::write_object(&mut out, &Object::Dictionary(trailer)).unwrap();
    write!(out, "\nstartxref\n{xref}\n%%EOF\n").unwrap();
    out
}

/// The object id of a form field by its /T, as lopdf sees the latest revision.
pub fn field_id(pdf: &[u8], name: &str) -> (ObjectId, lopdf::Dictionary) {
    let doc = Document::load_mem(pdf).expect("lopdf reads the PDF");
    for (id, object) in &doc.objects {
        if let Object::Dictionary(d) = object
            && let Ok(Object::String(t, _)) = d.get(b"T")
            && t == name.as_bytes()
        {
            return (*id, d.clone());
        }
    }
    panic!("field {name} not found");
}

/// Writes bytes to a file in the acta folder.
pub fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = signed_acta().dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}
