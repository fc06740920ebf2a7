//! The public site's forms: Verificar (a PDF, multipart, or a SHA-256),
//! Dudas, quejas y sugerencias (section f) with its folio lookup, and Súmate
//! (section g). They work without JavaScript; a form with a mistake comes
//! back with what was typed and a Spanish message that says what to fix.
//! Their answers are never cached (they echo what a person typed).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde_json::{Value, json};

use super::render::{self, Freshness, Page};
use super::{
    Failure, WebState, archive_base, call, failure_page, get_ok, proof, secretariat,
    secretariat_url, stl_of, v, valid_sha256, verdict_text,
};

/// The largest PDF the verification page takes (the archive takes 8 MiB
/// from anonymous callers).
pub(crate) const MAX_PDF_BYTES: usize = 8 * 1024 * 1024;
/// The largest form body (text forms).
const MAX_FORM_BYTES: usize = 32 * 1024;
/// The largest complaint attachment (the secretariat's
/// `attachments::MAX_ATTACHMENT_BYTES`, which checks it again).
pub(crate) const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The most a complaint form may send in all before it is cut short (an
/// oversize attachment is read and dropped up to here, so the form still
/// comes back as typed).
const MAX_ATTACHMENT_DRAIN: usize = 64 * 1024 * 1024;

/// Reads a body up to `limit` bytes; `None` when it is larger.
async fn read_body(payload: web::Payload, limit: usize) -> Result<Option<Vec<u8>>, Failure> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(Some(bytes.to_vec())),
        Ok(Err(_)) => Ok(None),
        Err(_) => Err(Failure {
            status: StatusCode::BAD_REQUEST,
            message: "No se recibió completo lo que envió. Intente de nuevo.".into(),
        }),
    }
}

/// `application/x-www-form-urlencoded` pairs (undecodable input: none).
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// Whether a request carries `multipart/form-data`.
fn is_multipart(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The secretariat's message with its API field names as the form labels them.
fn for_people(detail: &str, labels: &[(&str, &str)]) -> String {
    let mut text = detail.to_string();
    for (field, label) in labels {
        text = text.replace(&format!("`{field}`"), &format!("«{label}»"));
    }
    text
}

// ------------------------------------------------------------------ verify

/// GET `/stl/{slug}/verificar`.
pub(crate) async fn verify_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    match secretariat(&state, &path).await {
        Ok(s) => render::page(
            &state,
            &Page::new("stl/verificar.html", Freshness::Short),
            context! {
                stl => v(&stl_of(&s)), section => "verificar",
                max_mb => MAX_PDF_BYTES / (1024 * 1024), sha256 => "",
            },
            Some(&request),
        ),
        Err(f) => failure_page(&state, None, f),
    }
}

/// POST `/stl/{slug}/verificar`: a PDF (multipart) or a SHA-256.
pub(crate) async fn verify_submit(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let base = match archive_base(&state) {
        Ok(b) => b,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let again = |status: StatusCode, error: String, sha256: &str| {
        render::page(
            &state,
            &Page::new("stl/verificar.html", Freshness::NoStore).status(status),
            context! {
                stl => v(&stl), section => "verificar", error => error,
                max_mb => MAX_PDF_BYTES / (1024 * 1024), sha256 => sha256,
            },
            None,
        )
    };
    let too_large = || {
        format!(
            "El archivo es demasiado grande: se aceptan PDF de hasta {} MB. Si su acta es mayor, pegue su huella SHA-256 (sha256sum archivo.pdf).",
            MAX_PDF_BYTES / (1024 * 1024)
        )
    };
    let (pdf, sha256) = if is_multipart(&request) {
        let multipart = actix_multipart::Multipart::new(request.headers(), payload);
        match crate::upload::read(multipart, "pdf", MAX_PDF_BYTES, 4 * 1024).await {
            Ok(fields) => (
                fields
                    .file
                    .map(|(_, bytes)| bytes)
                    .filter(|b| !b.is_empty()),
                fields
                    .texts
                    .get("sha256")
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default(),
            ),
            Err(crate::upload::Refusal::TooLarge { .. }) => {
                return again(StatusCode::PAYLOAD_TOO_LARGE, too_large(), "");
            }
            Err(crate::upload::Refusal::Broken) => {
                return again(
                    StatusCode::BAD_REQUEST,
                    "No se recibió completo lo que envió. Intente de nuevo.".into(),
                    "",
                );
            }
        }
    } else {
        match read_body(payload, MAX_FORM_BYTES).await {
            Ok(Some(body)) => {
                let pairs = form_pairs(&body);
                (None, field(&pairs, "sha256").trim().to_string())
            }
            Ok(None) => return again(StatusCode::PAYLOAD_TOO_LARGE, too_large(), ""),
            Err(f) => return again(f.status, f.message, ""),
        }
    };
    let sha_shown: String = sha256.chars().take(100).collect();
    let result = if let Some(pdf) = pdf {
        if pdf.len() > MAX_PDF_BYTES {
            return again(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "El archivo es demasiado grande: se aceptan PDF de hasta {} MB.",
                    MAX_PDF_BYTES / (1024 * 1024)
                ),
                &sha_shown,
            );
        }
        if !pdf.starts_with(b"%PDF-") {
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "El archivo que subió no es un PDF (no empieza con «%PDF-»). Elija el PDF del acta o minuta.".into(),
                &sha_shown,
            );
        }
        match call(
            &state,
            Some(&request),
            reqwest::Method::POST,
            &format!("{base}/verify/pdf"),
            Some(("application/pdf", pdf)),
        )
        .await
        {
            Ok(a) if a.status == StatusCode::OK => pdf_result(&a.body, &s),
            Ok(a) if a.status.is_client_error() => {
                return again(a.status, Failure::from_answer(&a).message, &sha_shown);
            }
            Ok(a) => return failure_page(&state, Some(&stl), Failure::from_answer(&a)),
            Err(f) => return failure_page(&state, Some(&stl), f),
        }
    } else if !sha256.is_empty() {
        let sha = sha256.to_ascii_lowercase();
        if !valid_sha256(&sha) {
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "La huella SHA-256 debe tener exactamente 64 caracteres hexadecimales (0–9, a–f). Cópiela completa de sha256sum o openssl dgst -sha256.".into(),
                &sha_shown,
            );
        }
        let answer = match call(
            &state,
            Some(&request),
            reqwest::Method::POST,
            &format!("{base}/verify/hash"),
            Some((
                "application/json",
                serde_json::to_vec(&json!({ "sha256": sha })).unwrap_or_default(),
            )),
        )
        .await
        {
            Ok(a) if a.status == StatusCode::OK => a.body,
            Ok(a) if a.status.is_client_error() => {
                return again(a.status, Failure::from_answer(&a).message, &sha_shown);
            }
            Ok(a) => return failure_page(&state, Some(&stl), Failure::from_answer(&a)),
            Err(f) => return failure_page(&state, Some(&stl), f),
        };
        let record = if answer["archived"] == true {
            get_ok(&state, &format!("{base}/records/{sha}")).await.ok()
        } else {
            None
        };
        hash_result(&answer, record.as_ref(), &s)
    } else {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Elija un archivo PDF o pegue una huella SHA-256 para verificar.".into(),
            "",
        );
    };
    render::page(
        &state,
        &Page::new("stl/verificar.html", Freshness::NoStore),
        context! {
            stl => v(&stl), section => "verificar", result => v(&result), log_url => base,
            max_mb => MAX_PDF_BYTES / (1024 * 1024), sha256 => "",
        },
        None,
    )
}

fn signer_line(x: &Value, text: String) -> Value {
    json!({ "name": x["name"], "seat": x["seat"], "role": x["role"], "text": text })
}

fn record_link(record: &Value, secretariat: &Value) -> Option<String> {
    let sha = record["sha256"].as_str().filter(|s| valid_sha256(s))?;
    let slug = secretariat["slug"].as_str()?;
    (record["secretariat_id"] == secretariat["id"]).then(|| format!("/stl/{slug}/registros/{sha}"))
}

/// The archive's PDF verification in plain Spanish.
fn pdf_result(v: &Value, secretariat: &Value) -> Value {
    let signatures: Vec<Value> = v["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            let verdict = x["verdict"].as_str().unwrap_or_default();
            let mut text = format!("firma {}", verdict_text(verdict));
            if let Some(reason) = x["reason"].as_str().filter(|r| !r.is_empty()) {
                text.push_str(&format!(": {reason}"));
            }
            if let Some(time) = x["signing_time"].as_str() {
                text.push_str(&format!(
                    " (firmó el {})",
                    super::long_date(&time[..time.len().min(10)])
                ));
            }
            signer_line(x, text)
        })
        .collect();
    let archived = v["archived"] == true;
    let title = v["record"]["title"].as_str().unwrap_or("registro");
    let n = signatures.len();
    let (class, mut headline) = match v["verdict"].as_str() {
        Some("valida") if archived => (
            "valido",
            format!("Válido: sus {n} firmas son válidas y este archivo es exactamente el registro archivado «{title}»."),
        ),
        Some("valida") => (
            "indeterminado",
            format!("Sus {n} firmas son válidas, pero este archivo no es ningún registro del archivo público: puede ser otro documento o una versión distinta."),
        ),
        Some("invalida") => (
            "invalido",
            "No válido: al menos una firma no es válida. El archivo pudo modificarse después de firmarse, o la firma no corresponde a quien dice.".to_string(),
        ),
        _ => (
            "indeterminado",
            "No se pudo determinar si todas las firmas son válidas (por ejemplo, no se pudo comprobar un certificado).".to_string(),
        ),
    };
    if n == 0 {
        headline = "Este PDF no tiene firmas electrónicas.".into();
    } else if v["record_complete"] == false {
        headline.push_str(" Además, faltan firmas: no todos los campos de firma están firmados.");
    }
    let archived_text = if archived {
        format!(
            "Sí: es exactamente el registro «{title}», archivado el {}.",
            super::long_instant(
                v["record"]["archived_at"].as_i64().unwrap_or_default(),
                super::offset_of(secretariat),
            )
        )
    } else {
        "No: ningún registro del archivo público tiene esta huella. Si esperaba que lo fuera, el archivo cambió (aunque sea un byte).".into()
    };
    json!({
        "class": class,
        "headline": headline,
        "sha256": v["sha256"],
        "archived_text": archived_text,
        "signatures": signatures,
        "inclusion": (!v["inclusion"].is_null())
            .then(|| proof::explain(&v["inclusion"], super::offset_of(secretariat))),
        "record_link": if archived { record_link(&v["record"], secretariat) } else { None },
        "report": v["report"],
    })
}

/// The archive's hash verification in plain Spanish.
fn hash_result(v: &Value, record: Option<&Value>, secretariat: &Value) -> Value {
    let archived = v["archived"] == true;
    let title = v["object"]["title"]
        .as_str()
        .or_else(|| record.and_then(|r| r["record"]["title"].as_str()))
        .unwrap_or("documento");
    let signatures: Vec<Value> = record
        .and_then(|r| r["record"]["signers"].as_array())
        .into_iter()
        .flatten()
        .map(|x| {
            signer_line(
                x,
                format!(
                    "firma {} cuando el archivo la verificó al archivarlo",
                    verdict_text(x["verdict"].as_str().unwrap_or_default())
                ),
            )
        })
        .collect();
    let (class, headline) = if archived {
        (
            "valido",
            format!(
                "Esta huella corresponde exactamente a un documento del archivo público: «{title}». Con la huella no se revisan las firmas del archivo que usted tiene; para eso súbalo como PDF."
            ),
        )
    } else {
        (
            "invalido",
            "Ningún documento del archivo público tiene esta huella. Si esperaba que lo tuviera, el archivo cambió (aunque sea un byte) o la huella se copió mal.".to_string(),
        )
    };
    json!({
        "class": class,
        "headline": headline,
        "sha256": v["sha256"],
        "archived_text": if archived { format!("Sí: «{title}».") } else { "No.".to_string() },
        "signatures": signatures,
        "inclusion": (!v["inclusion"].is_null())
            .then(|| proof::explain(&v["inclusion"], super::offset_of(secretariat))),
        "record_link": record.and_then(|r| record_link(&r["record"], secretariat)),
        "report": v["report"],
    })
}

// ------------------------------------------------------------------ f.

const CATEGORIES: &[(&str, &str)] = &[
    ("duda", "Duda"),
    ("queja", "Queja"),
    ("sugerencia", "Sugerencia"),
];

const INQUIRY_LABELS: &[(&str, &str)] = &[
    ("category", "Tipo de mensaje"),
    ("text", "Su mensaje"),
    ("name", "Nombre"),
    ("email", "Correo electrónico"),
    ("website", "No escriba nada aquí"),
    ("attachment.name", "Archivo adjunto"),
    ("attachment.content_base64", "Archivo adjunto"),
];

fn choices(list: &[(&str, &str)]) -> Vec<Value> {
    list.iter()
        .map(|(value, label)| json!({ "value": value, "label": label }))
        .collect()
}

/// GET `/stl/{slug}/dudas`.
pub(crate) async fn inquiry_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    match secretariat(&state, &path).await {
        Ok(s) => render::page(
            &state,
            &Page::new("stl/dudas.html", Freshness::Short),
            context! {
                stl => v(&stl_of(&s)), section => "f", categories => v(&choices(CATEGORIES)),
                answer_days => v(&s["inquiry_answer_days"]), form => v(&json!({})), folio => "",
                max_mb => MAX_ATTACHMENT_BYTES / (1024 * 1024),
            },
            Some(&request),
        ),
        Err(f) => failure_page(&state, None, f),
    }
}

/// POST `/stl/{slug}/dudas`.
pub(crate) async fn inquiry_submit(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    // With its optional attachment the form is multipart; without
    // JavaScript or a file it may also come urlencoded.
    let (pairs, file, too_large, file_too_large) = if is_multipart(&request) {
        let multipart = actix_multipart::Multipart::new(request.headers(), payload);
        match crate::upload::read_keeping_texts(
            multipart,
            "adjunto",
            MAX_ATTACHMENT_BYTES,
            MAX_FORM_BYTES,
            MAX_ATTACHMENT_DRAIN,
        )
        .await
        {
            Ok((fields, file_too_large)) => {
                let pairs: Vec<(String, String)> = fields.texts.into_iter().collect();
                let file = fields.file.filter(|(_, bytes)| !bytes.is_empty());
                (pairs, file, false, file_too_large)
            }
            Err(crate::upload::Refusal::TooLarge { file }) => (Vec::new(), None, !file, file),
            Err(crate::upload::Refusal::Broken) => {
                return failure_page(
                    &state,
                    Some(&stl),
                    Failure {
                        status: StatusCode::BAD_REQUEST,
                        message: "No se recibió completo lo que envió. Intente de nuevo.".into(),
                    },
                );
            }
        }
    } else {
        match read_body(payload, MAX_FORM_BYTES).await {
            Ok(Some(b)) => (form_pairs(&b), None, false, false),
            Ok(None) => (Vec::new(), None, true, false),
            Err(f) => return failure_page(&state, Some(&stl), f),
        }
    };
    let form = json!({
        "category": field(&pairs, "category"),
        "text": field(&pairs, "text"),
        "name": field(&pairs, "name"),
        "email": field(&pairs, "email"),
    });
    let had_file = file.is_some() || file_too_large;
    let again = |status: StatusCode, mut error: String| {
        if had_file {
            error.push_str(" Por seguridad el navegador no conserva el archivo: vuelva a elegirlo si quiere adjuntarlo.");
        }
        render::page(
            &state,
            &Page::new("stl/dudas.html", Freshness::NoStore).status(status),
            context! {
                stl => v(&stl), section => "f", categories => v(&choices(CATEGORIES)),
                answer_days => v(&s["inquiry_answer_days"]), form => v(&form),
                error => error, folio => "", max_mb => MAX_ATTACHMENT_BYTES / (1024 * 1024),
            },
            None,
        )
    };
    if too_large {
        return again(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Su mensaje es demasiado largo para enviarse (más de 32 KB). Resúmalo a 5,000 caracteres o menos.".into(),
        );
    }
    if file_too_large {
        return again(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "El archivo adjunto pesa más de {} MB, el máximo. Redúzcalo (por ejemplo, escanéelo a menor resolución) o envíe su mensaje sin adjunto; lo que escribió sigue aquí.",
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ),
        );
    }
    let mut body = json!({
        "category": field(&pairs, "category"),
        "text": field(&pairs, "text"),
        "name": field(&pairs, "name"),
        "email": field(&pairs, "email"),
        "website": field(&pairs, "website"),
    });
    if let Some((name, bytes)) = &file {
        use base64::Engine;
        body["attachment"] = json!({
            "name": name,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        });
    }
    let url = secretariat_url(
        &state,
        &format!("/public/secretariats/{}/inquiries", path.as_str()),
    );
    match call(
        &state,
        Some(&request),
        reqwest::Method::POST,
        &url,
        Some((
            "application/json",
            serde_json::to_vec(&body).unwrap_or_default(),
        )),
    )
    .await
    {
        Ok(a) if a.status == StatusCode::CREATED => render::page(
            &state,
            &Page::new("stl/folio.html", Freshness::NoStore).status(StatusCode::CREATED),
            context! { stl => v(&stl), section => "f", status => v(&a.body), received => true },
            None,
        ),
        Ok(a) if a.status.is_client_error() => again(
            a.status,
            for_people(&Failure::from_answer(&a).message, INQUIRY_LABELS),
        ),
        Ok(a) => failure_page(&state, Some(&stl), Failure::from_answer(&a)),
        Err(f) => failure_page(&state, Some(&stl), f),
    }
}

/// GET `/stl/{slug}/dudas/folio?folio=…`.
pub(crate) async fn inquiry_status(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let pairs = form_pairs(request.query_string().as_bytes());
    let folio = field(&pairs, "folio").trim().to_uppercase();
    let again = |status: StatusCode, error: String| {
        render::page(
            &state,
            &Page::new("stl/dudas.html", Freshness::NoStore).status(status),
            context! {
                stl => v(&stl), section => "f", categories => v(&choices(CATEGORIES)),
                answer_days => v(&s["inquiry_answer_days"]), form => v(&json!({})),
                error => error, folio => folio.chars().take(40).collect::<String>(),
                max_mb => MAX_ATTACHMENT_BYTES / (1024 * 1024),
            },
            None,
        )
    };
    let well_formed = !folio.is_empty()
        && folio.len() <= 40
        && folio
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !well_formed {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Escriba el folio completo, con la forma DQS-AAAA-XXXXXX (letras, números y guiones)."
                .into(),
        );
    }
    match call(
        &state,
        None,
        reqwest::Method::GET,
        &secretariat_url(&state, &format!("/public/inquiries/{folio}")),
        None,
    )
    .await
    {
        Ok(a) if a.status == StatusCode::OK && a.body["secretariat"] == s["slug"] => render::page(
            &state,
            &Page::new("stl/folio.html", Freshness::Revalidate),
            context! { stl => v(&stl), section => "f", status => v(&a.body), received => false },
            Some(&request),
        ),
        Ok(a) if a.status == StatusCode::OK || a.status == StatusCode::NOT_FOUND => again(
            StatusCode::NOT_FOUND,
            format!(
                "No hay una duda, queja o sugerencia con el folio {folio} en este secretariado. Revise que lo copió completo."
            ),
        ),
        Ok(a) => failure_page(&state, Some(&stl), Failure::from_answer(&a)),
        Err(f) => failure_page(&state, Some(&stl), f),
    }
}

// ------------------------------------------------------------------ g.

const SECTORS: &[(&str, &str)] = &[
    ("ciudadania", "Ciudadanía"),
    ("sociedad_civil", "Sociedad civil organizada"),
    ("academia", "Academia"),
    ("empresarial", "Sector empresarial"),
    ("comunidad_tecnologica", "Comunidad tecnológica"),
    ("gobierno", "Gobierno"),
    ("otro", "Otro"),
];

const JOIN_LABELS: &[(&str, &str)] = &[
    ("name", "Nombre"),
    ("organisation", "Organización"),
    ("sector", "Sector"),
    ("email", "Correo electrónico"),
    ("reason", "¿Por qué quiere participar?"),
    ("website", "No escriba nada aquí"),
];

/// GET `/stl/{slug}/sumate`.
pub(crate) async fn join_page(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    match secretariat(&state, &path).await {
        Ok(s) => render::page(
            &state,
            &Page::new("stl/sumate.html", Freshness::Short),
            context! { stl => v(&stl_of(&s)), section => "g", sectors => v(&choices(SECTORS)), form => v(&json!({})) },
            Some(&request),
        ),
        Err(f) => failure_page(&state, None, f),
    }
}

/// POST `/stl/{slug}/sumate`.
pub(crate) async fn join_submit(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let (pairs, too_large) = match read_body(payload, MAX_FORM_BYTES).await {
        Ok(Some(b)) => (form_pairs(&b), false),
        Ok(None) => (Vec::new(), true),
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let form = json!({
        "name": field(&pairs, "name"),
        "organisation": field(&pairs, "organisation"),
        "sector": field(&pairs, "sector"),
        "email": field(&pairs, "email"),
        "reason": field(&pairs, "reason"),
    });
    let again = |status: StatusCode, error: String| {
        render::page(
            &state,
            &Page::new("stl/sumate.html", Freshness::NoStore).status(status),
            context! {
                stl => v(&stl), section => "g", sectors => v(&choices(SECTORS)),
                form => v(&form), error => error,
            },
            None,
        )
    };
    if too_large {
        return again(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Su solicitud es demasiado larga para enviarse (más de 32 KB). Resúmala a 3,000 caracteres o menos.".into(),
        );
    }
    let mut body = form.clone();
    body["website"] = json!(field(&pairs, "website"));
    let url = secretariat_url(
        &state,
        &format!("/public/secretariats/{}/join-requests", path.as_str()),
    );
    match call(
        &state,
        Some(&request),
        reqwest::Method::POST,
        &url,
        Some((
            "application/json",
            serde_json::to_vec(&body).unwrap_or_default(),
        )),
    )
    .await
    {
        Ok(a) if a.status == StatusCode::CREATED => render::page(
            &state,
            &Page::new("stl/sumate.html", Freshness::NoStore).status(StatusCode::CREATED),
            context! { stl => v(&stl), section => "g", receipt => v(&a.body) },
            None,
        ),
        Ok(a) if a.status.is_client_error() => again(
            a.status,
            for_people(&Failure::from_answer(&a).message, JOIN_LABELS),
        ),
        Ok(a) => failure_page(&state, Some(&stl), Failure::from_answer(&a)),
        Err(f) => failure_page(&state, Some(&stl), f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_decoded() {
        let pairs = form_pairs(b"text=Hola+mundo%21&name=Mar%C3%ADa&x");
        assert_eq!(field(&pairs, "text"), "Hola mundo!");
        assert_eq!(field(&pairs, "name"), "María");
        assert_eq!(field(&pairs, "missing"), "");
    }

    #[test]
    fn api_field_names_become_the_form_s_labels() {
        assert_eq!(
            for_people("El campo `text` no puede estar vacío.", INQUIRY_LABELS),
            "El campo «Su mensaje» no puede estar vacío."
        );
    }
}
