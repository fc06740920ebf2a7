//! `rubrica signable`, `rubrica sign` (offline) and the PDF part of
//! `rubrica verify`: the same rubrica-pdfsign code the signing service runs,
//! on local files. Each returns the process exit code: 0 done, 1 a signature
//! is not valid (verify) or the machine failed, 2 the input was refused.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
use rubrica_pdfsign::{
    LayoutManifest, MAX_PDF_BYTES, Outcome, PdfSignError, PrepareOptions, SignatureReport, Verdict,
    VerificationReport,
};

/// Reads a whole input file, refusing one larger than any PDF we accept; the
/// message says which file and what to do.
fn read_input(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let describe = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no existe".to_string(),
            std::io::ErrorKind::PermissionDenied => "no tiene permiso para leerlo".to_string(),
            _ => format!("no se pudo leer ({e})"),
        };
        format!("{what} {} {why}. Indique la ruta correcta.", path.display())
    };
    let file = std::fs::File::open(path).map_err(describe)?;
    let mut bytes = Vec::new();
    file.take(MAX_PDF_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(describe)?;
    if bytes.len() as u64 > MAX_PDF_BYTES {
        return Err(format!(
            "{what} {} es demasiado grande (más de {} MB). Verifique que eligió el archivo correcto.",
            path.display(),
            MAX_PDF_BYTES / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// Writes through a temporary file in the same folder and renames it, so an
/// interrupted run never leaves half a PDF where the output should be.
fn write_output(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp: PathBuf = dir.join(format!(
        ".{}.{}.tmp",
        name.unwrap_or_else(|| "salida".into()),
        std::process::id()
    ));
    let fail = |e: std::io::Error| {
        format!(
            "no se pudo escribir {} ({e}). Verifique que la carpeta exista y que tenga permiso de escritura.",
            path.display()
        )
    };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Exit code for a refused input vs a failure of this machine.
fn code_of(e: &PdfSignError) -> u8 {
    if e.is_caused_by_input() { 2 } else { 1 }
}

/// `rubrica signable --in acta.pdf --layout layout.json --out signable.pdf`.
pub fn signable(input: &Path, layout: &Path, output: &Path) -> u8 {
    let pdf = match read_input(input, "El PDF") {
        Ok(b) => b,
        Err(e) => return fail(2, &e),
    };
    let manifest = match read_input(layout, "El manifiesto de diseño")
        .and_then(|b| LayoutManifest::from_json(&b).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => return fail(2, &e),
    };
    let out = match rubrica_pdfsign::make_signable(&pdf, &manifest) {
        Ok(out) => out,
        Err(e) => return fail(code_of(&e), &e.to_string()),
    };
    if let Err(e) = write_output(output, &out) {
        return fail(1, &e);
    }
    outln!(
        "Acta abierta a firma: {} firmantes, {} páginas con su recuadro de rúbrica. Guardada en {}.",
        manifest.signers.len(),
        manifest.page_count,
        output.display()
    );
    for s in &manifest.signers {
        outln!(
            "  {} (RFC {}), {} · {}",
            s.signer.name,
            s.signer.rfc,
            s.signer.seat,
            s.signer.role
        );
    }
    0
}

/// What `rubrica sign` needs.
pub struct SignRequest<'a> {
    pub input: &'a Path,
    pub output: &'a Path,
    pub cer: &'a Path,
    pub key: &'a Path,
    pub password_file: &'a Path,
    pub trust: Option<&'a Path>,
    pub location: Option<String>,
}

/// `rubrica sign --in … --out … --cer … --key … --password-file …`: finds the
/// signer's fields by the RFC in the certificate and signs now.
pub fn sign(request: SignRequest<'_>) -> u8 {
    let pdf = match read_input(request.input, "El PDF") {
        Ok(b) => b,
        Err(e) => return fail(2, &e),
    };
    let credential = match rubrica_fiel::read_password_file(request.password_file)
        .and_then(|password| Credential::from_files(request.cer, request.key, &*password))
    {
        Ok(c) => c,
        Err(e) => return fail(if e.is_caused_by_input() { 2 } else { 1 }, &e.to_string()),
    };
    let validator = match request
        .trust
        .map(|t| load_validator(t, &RevocationSource::NotConfigured))
        .transpose()
    {
        Ok(v) => v,
        Err(e) => return fail(2, &e),
    };
    let options = PrepareOptions {
        validator: validator.as_ref(),
        location: request.location,
        ..PrepareOptions::now()
    };
    let signed = match rubrica_pdfsign::sign(&pdf, &credential, &options) {
        Ok(s) => s,
        Err(e) => return fail(code_of(&e), &e.to_string()),
    };
    if let Err(e) = write_output(request.output, &signed) {
        return fail(1, &e);
    }
    let certificate = credential.certificate();
    outln!(
        "Firmó {} (RFC {}) con el certificado {}. Guardado en {}.",
        certificate.holder_name(),
        certificate.rfc(),
        certificate.display_number(),
        request.output.display()
    );
    // Who is still missing, from the document's form (no signature is
    // checked again: that is `rubrica verify`'s job).
    let pending = rubrica_pdfsign::pending_signers(&signed).unwrap_or_default();
    if pending.is_empty() {
        outln!("Todas las firmas están completas.");
    } else {
        let names: Vec<&str> = pending.iter().map(|p| p.name.as_str()).collect();
        let count = if pending.len() == 1 {
            "Falta 1 firma".to_owned()
        } else {
            format!("Faltan {} firmas", pending.len())
        };
        outln!("{count}: {}.", names.join(", "));
    }
    if validator.is_none() {
        outln!(
            "No se comprobó la cadena de su certificado: indique --trust con las autoridades certificadoras para hacerlo antes de firmar."
        );
    }
    0
}

fn load_validator(path: &Path, revocation: &RevocationSource) -> Result<Validator, String> {
    TrustStore::from_path(path)
        .and_then(|trust| Validator::new(trust, revocation))
        .map_err(|e| e.to_string())
}

/// Whether the file starts like a PDF (used to decide whether `verify` checks
/// signatures of a file it was given for another reason).
pub fn looks_like_pdf(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| head[..n].windows(5).any(|w| w == b"%PDF-"))
}

/// The PDF part of `rubrica verify FILE [--trust ca.pem|DIR [--crl FILE|DIR|URL]...
/// [--ocsp URL]] [--json]`:
/// exit 0 only when every signature is valid, 1 when any is invalid or
/// indeterminate (or there is none), 2 when the file cannot be read.
pub fn verify(path: &Path, trust: Option<&Path>, revocation: &RevocationSource, json: bool) -> u8 {
    let pdf = match read_input(path, "El PDF") {
        Ok(b) => b,
        Err(e) => return fail(2, &e),
    };
    let validator = match trust {
        Some(t) => match load_validator(t, revocation) {
            Ok(v) => v,
            Err(e) => return fail(2, &e),
        },
        None => match Validator::new(TrustStore::empty(), &RevocationSource::NotConfigured) {
            Ok(v) => v,
            Err(e) => return fail(1, &e.to_string()),
        },
    };
    let report = match rubrica_pdfsign::verify(&pdf, &validator) {
        Ok(r) => r,
        Err(e) => return fail(2, &e.to_string()),
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => outln!("{text}"),
            Err(e) => return fail(1, &format!("no se pudo escribir el resultado: {e}")),
        }
    } else {
        print_report(path, &report, trust.is_some());
    }
    if report.verdict == Verdict::Valid {
        0
    } else {
        1
    }
}

fn fail(code: u8, message: &str) -> u8 {
    eprintln!("error: {message}");
    code
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "VÁLIDA",
        Verdict::Invalid => "NO VÁLIDA",
        Verdict::Indeterminate => "INDETERMINADA",
    }
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "✔",
        Outcome::Failed => "✘",
        Outcome::Indeterminate => "?",
        Outcome::NotChecked => "–",
    }
}

fn print_report(path: &Path, report: &VerificationReport, trusted: bool) {
    outln!("Documento: {}", path.display());
    outln!("SHA-256:   {}", report.document_sha256);
    outln!(
        "Firmas:    {} de {} campos de firma · {} revisiones",
        report.signed_fields,
        report.signature_fields,
        report.revisions
    );
    outln!();
    for (i, s) in report.signatures.iter().enumerate() {
        print_signature(i + 1, report.signatures.len(), s);
    }
    for note in &report.notes {
        outln!("Nota: {note}");
    }
    outln!("Resultado: {}", report.summary);
    if !trusted && report.verdict != Verdict::Invalid && !report.signatures.is_empty() {
        outln!(
            "Sin --trust no hay autoridades de confianza: ninguna firma puede darse por válida. Indique --trust con el certificado (o la carpeta) de las autoridades certificadoras."
        );
    }
}

fn print_signature(n: usize, total: usize, s: &SignatureReport) {
    outln!(
        "Firma {n} de {total} · campo {} · {}",
        s.field,
        verdict_word(s.verdict)
    );
    if let Some(c) = &s.certificate {
        outln!(
            "  Firmante: {} (RFC {}) · certificado {} · emitido por {}",
            c.holder_name,
            c.rfc,
            c.number,
            c.issuer
        );
    }
    if let Some(e) = &s.expected_signer {
        outln!(
            "  Campo de: {} (RFC {}) · {} · {}",
            e.name,
            e.rfc,
            e.seat,
            e.role
        );
    }
    let c = &s.checks;
    for (title, check) in [
        ("Rango firmado", &c.byte_range),
        ("Integridad", &c.digest),
        ("Firma RSA", &c.signature),
        ("Tipo de certificado", &c.certificate_type),
        ("Vigencia", &c.validity),
        ("Cadena de confianza", &c.chain),
        ("Revocación", &c.revocation),
        ("Firmante esperado", &c.signer),
        ("Rúbricas", &c.initials),
        ("Campos bloqueados", &c.locked_fields),
        ("Cambios posteriores", &c.later_changes),
    ] {
        outln!("  {} {title}: {}", mark(check.outcome), check.explanation);
    }
    outln!("  {}", s.summary);
    outln!();
}
