//! A complaint's optional attachment (issue 18 f): one file sent with a
//! question, complaint or suggestion, checked by its content (PDF, PNG or
//! JPEG only: [`rubrica_platform::sniff`], never the name or the declared
//! type), limited to [`MAX_ATTACHMENT_BYTES`], hashed (SHA-256) and kept in
//! the secretariat's own table `inquiry_attachments`, with the complaint.
//!
//! It may hold personal data (an identification, a photograph of a person,
//! an address), so it is never public: not in the folio's status, not in
//! the open data, not in the archive (whose objects anyone downloads by
//! their SHA-256 and whose log is append-only). Only the President and the
//! facilitator of its secretariat list it and download it, and each
//! download is audited.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::digest::Sha256;
use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::actix_web::HttpResponse;
use rubrica_platform::actix_web::http::header;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::Path;
use rubrica_platform::sniff;
use rubrica_platform::{ApiError, ApiResult, Caller, Problem, ServiceContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::ToSchema;

use super::edge;
use super::public::InquiryPath;
use super::roster::ensure_secretariat;

/// The largest attachment, decoded: 5 MiB.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The largest body of `POST /public/secretariats/{slug}/inquiries`: the
/// attachment in base64 (4/3 of its size) and the texts.
pub const MAX_INQUIRY_BODY: usize = 7 * 1024 * 1024 + 512 * 1024;

/// The formats an attachment may have.
const ACCEPTED: &[&str] = &["application/pdf", "image/png", "image/jpeg"];

/// A file sent with an inquiry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttachment {
    /// The file's name, e.g. `oficio.pdf` (its extension must agree with its content).
    pub name: String,
    /// The file's bytes in base64 (standard alphabet): a PDF, PNG or JPEG of
    /// up to 5 MiB.
    pub content_base64: String,
}

/// An attachment as the President and the facilitator see it listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentInfo {
    /// The file's name (its extension agrees with its content).
    pub name: String,
    /// Told by its content: `application/pdf`, `image/png` or `image/jpeg`.
    pub media_type: String,
    /// What it is in words («un documento PDF»…).
    pub label: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// An attachment checked and ready to store.
pub struct Checked {
    pub info: AttachmentInfo,
    pub bytes: Vec<u8>,
}

/// Decodes and checks `attachment`: base64, size, content, name.
pub fn check(attachment: &NewAttachment) -> ApiResult<Checked> {
    let shown = edge::shorten(attachment.name.trim());
    let encoded: String = attachment
        .content_base64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    // 4 base64 characters carry 3 bytes: refuse what cannot fit before decoding.
    if encoded.len() / 4 * 3 > MAX_ATTACHMENT_BYTES + 3 {
        return Err(too_large(&shown, encoded.len() / 4 * 3));
    }
    let bytes = BASE64.decode(encoded.as_bytes()).map_err(|_| {
        ApiError::Unprocessable(
            "`attachment.content_base64` no está en base64 válido: envíe los bytes del archivo codificados en base64 (alfabeto estándar, con relleno «=»).".into(),
        )
    })?;
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large(&shown, bytes.len()));
    }
    let name = sniff::clean_name(&attachment.name).ok_or_else(|| {
        ApiError::Unprocessable(
            "`attachment.name` está vacío: indique el nombre del archivo, por ejemplo oficio.pdf."
                .into(),
        )
    })?;
    let format = match sniff::detect(&bytes) {
        Ok(f) if ACCEPTED.contains(&f.media_type) => f,
        Ok(f) => {
            return Err(ApiError::Unprocessable(format!(
                "El archivo adjunto «{shown}» es {}: como adjunto solo se aceptan documentos PDF e imágenes PNG o JPEG. Conviértalo a PDF o envíe su mensaje sin adjunto.",
                f.label
            )));
        }
        Err(sniff::Refused::Empty) => {
            return Err(ApiError::Unprocessable(format!(
                "El archivo adjunto «{shown}» está vacío. Elija el archivo con su contenido o envíe su mensaje sin adjunto."
            )));
        }
        Err(sniff::Refused::Program(what)) => {
            return Err(ApiError::Unprocessable(format!(
                "El archivo adjunto «{shown}» es {what}: no se aceptan programas. Adjunte un documento PDF o una imagen PNG o JPEG."
            )));
        }
        Err(sniff::Refused::Unknown) => {
            return Err(ApiError::Unprocessable(format!(
                "No se reconoce por su contenido el tipo del archivo adjunto «{shown}»: como adjunto solo se aceptan documentos PDF e imágenes PNG o JPEG. Conviértalo a uno de esos formatos o envíe su mensaje sin adjunto."
            )));
        }
    };
    let name = sniff::name_for(&name, format).map_err(|e| {
        ApiError::Unprocessable(format!(
            "{e} (archivo adjunto: como adjunto se aceptan PDF, PNG o JPEG)."
        ))
    })?;
    Ok(Checked {
        info: AttachmentInfo {
            name,
            media_type: format.media_type.to_string(),
            label: format.label.to_string(),
            size_bytes: bytes.len() as i64,
            sha256: Sha256::digest(&bytes).to_hex(),
        },
        bytes,
    })
}

fn too_large(name: &str, bytes: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "El archivo adjunto «{name}» es demasiado grande ({bytes} bytes): el máximo es {} MB. Redúzcalo (por ejemplo, escanéelo a menor resolución) o envíe su mensaje sin adjunto.",
        MAX_ATTACHMENT_BYTES / (1024 * 1024)
    ))
}

/// Stores `checked` as the attachment of `inquiry_id`, in `tx`.
pub async fn store(tx: &mut AnyConnection, inquiry_id: &str, checked: &Checked) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO inquiry_attachments (inquiry_id, name, media_type, size_bytes, sha256, content, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(inquiry_id)
    .bind(&checked.info.name)
    .bind(&checked.info.media_type)
    .bind(checked.info.size_bytes)
    .bind(&checked.info.sha256)
    .bind(checked.bytes.clone())
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el archivo adjunto")?;
    Ok(())
}

/// A row of `inquiry_attachments` without its bytes.
#[derive(sqlx::FromRow)]
struct InfoRow {
    inquiry_id: String,
    name: String,
    media_type: String,
    size_bytes: i64,
    sha256: String,
}

impl From<InfoRow> for AttachmentInfo {
    fn from(r: InfoRow) -> AttachmentInfo {
        AttachmentInfo {
            label: sniff::label_of(&r.media_type)
                .unwrap_or("un archivo")
                .to_string(),
            name: r.name,
            media_type: r.media_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
        }
    }
}

/// The attachments of a secretariat's inquiries, by inquiry id.
pub async fn infos(
    conn: &mut AnyConnection,
    secretariat_id: &str,
) -> ApiResult<HashMap<String, AttachmentInfo>> {
    let rows: Vec<InfoRow> = sqlx::query_as(
        "SELECT a.inquiry_id, a.name, a.media_type, a.size_bytes, a.sha256
         FROM inquiry_attachments a JOIN inquiries i ON i.id = a.inquiry_id
         WHERE i.secretariat_id = $1",
    )
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los archivos adjuntos")?;
    Ok(rows
        .into_iter()
        .map(|r| (r.inquiry_id.clone(), r.into()))
        .collect())
}

/// The attachment of one inquiry, if any.
pub async fn info(conn: &mut AnyConnection, inquiry_id: &str) -> ApiResult<Option<AttachmentInfo>> {
    let row: Option<InfoRow> = sqlx::query_as(
        "SELECT inquiry_id, name, media_type, size_bytes, sha256 FROM inquiry_attachments WHERE inquiry_id = $1",
    )
    .bind(inquiry_id)
    .fetch_optional(&mut *conn)
    .await
    .or_unexpected("leyendo el archivo adjunto")?;
    Ok(row.map(Into::into))
}

/// A row of `inquiry_attachments` with its bytes and its inquiry.
#[derive(sqlx::FromRow)]
struct FileRow {
    secretariat_id: String,
    folio: String,
    name: String,
    media_type: String,
    sha256: String,
    content: Vec<u8>,
}

/// Downloads an inquiry's attachment.
#[utoipa::path(
    get,
    path = "/inquiries/{id}/attachment",
    tag = "publico",
    summary = "Descarga el archivo adjunto de una duda, queja o sugerencia (puede tener datos personales: nunca se publica; la descarga queda en la bitácora)",
    params(InquiryPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Los bytes exactos que se recibieron, con su tipo revisado por su contenido; el encabezado ETag es su SHA-256", content(("application/pdf"), ("image/png"), ("image/jpeg"))),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe, o no trae archivo adjunto", body = Problem),
    )
)]
pub async fn download_attachment(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<InquiryPath>,
) -> ApiResult<HttpResponse> {
    let not_found = || {
        ApiError::NotFound(format!(
            "La duda, queja o sugerencia «{}» no existe o no trae archivo adjunto. Consulte la lista en GET /secretariats/{{id}}/inquiries.",
            edge::shorten(&path.id)
        ))
    };
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let row: FileRow = sqlx::query_as(
        "SELECT i.secretariat_id, i.folio, a.name, a.media_type, a.sha256, a.content
         FROM inquiry_attachments a JOIN inquiries i ON i.id = a.inquiry_id WHERE a.inquiry_id = $1",
    )
    .bind(&path.id)
    .fetch_optional(&mut *tx)
    .await
    .or_unexpected("leyendo el archivo adjunto")?
    .ok_or_else(not_found)?;
    ensure_secretariat(&caller, &row.secretariat_id)?;
    ctx.audit(
        &mut tx,
        &caller,
        "consulta.adjunto_descargar",
        Some(&path.id),
        json!({ "folio": row.folio, "sha256": row.sha256 }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let media = if ACCEPTED.contains(&row.media_type.as_str()) {
        row.media_type.clone()
    } else {
        "application/octet-stream".to_string()
    };
    // Only ASCII in the header's plain `filename`; the UTF-8 name in `filename*`.
    let ascii: String = row
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = row
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::ETAG, format!("\"{}\"", row.sha256)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(row.content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attach(name: &str, bytes: &[u8]) -> ApiResult<Checked> {
        check(&NewAttachment {
            name: name.into(),
            content_base64: BASE64.encode(bytes),
        })
    }

    #[test]
    fn an_attachment_is_a_pdf_png_or_jpeg_by_its_content_and_within_the_limit() {
        let pdf = attach("oficio.pdf", b"%PDF-1.7\n%....").unwrap();
        assert_eq!(pdf.info.media_type, "application/pdf");
        assert_eq!(pdf.info.sha256.len(), 64);
        assert_eq!(
            attach("foto", b"\xff\xd8\xff\xe0JFIF").unwrap().info.name,
            "foto.jpg"
        );
        let lying = attach("foto.png", b"%PDF-1.7\n").err().unwrap();
        assert!(lying.to_string().contains("dice ser .png"), "{lying}");
        let zip = attach("a.zip", b"PK\x05\x06").err().unwrap();
        assert!(zip.to_string().contains("solo se aceptan"), "{zip}");
        let program = attach("a.pdf", b"MZ\x90\0").err().unwrap();
        assert!(program.to_string().contains("programa"), "{program}");
        let big = vec![b'%'; MAX_ATTACHMENT_BYTES + 1];
        assert!(matches!(
            attach("a.pdf", &big),
            Err(ApiError::PayloadTooLarge(_))
        ));
        assert!(matches!(
            check(&NewAttachment {
                name: "a.pdf".into(),
                content_base64: "no es base64!".into()
            }),
            Err(ApiError::Unprocessable(_))
        ));
    }
}
