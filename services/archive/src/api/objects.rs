//! Objects: download, public verification of a SHA-256, and archiving
//! (internal).

use base64::Engine;
use rubrica_platform::actix_web::{HttpRequest, HttpResponse};
use rubrica_platform::http::{self, Caching, Disposition, Path, State, StatusCode};
use rubrica_platform::{ApiError, ApiResult, Caller, Json, Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::archive::{Archive, Deposit};
use crate::digest::{Digest32, shorten};
use crate::model::{Archived, ArchivedObject, HashQuery, HashVerification, NewObject};

/// Path of an object.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ObjectPath {
    /// The object's SHA-256, hex.
    pub sha256: String,
}

/// Downloads an archived object.
#[utoipa::path(
    get,
    path = "/objects/{sha256}",
    tag = "objetos",
    summary = "Descarga un objeto archivado por su huella SHA-256 (los registros públicos, sin sesión)",
    params(ObjectPath),
    security((), ("sesion" = [])),
    responses(
        (status = 200, description = "Los bytes exactos archivados, con el tipo de medio que el archivo reconoció en su contenido (actas, paquetes y evidencias); el encabezado ETag es su SHA-256", content(
            ("application/pdf"), ("application/zip"), ("image/png"), ("image/jpeg"), ("image/tiff"),
            ("image/gif"), ("image/webp"), ("application/json"), ("text/plain"),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            ("application/vnd.oasis.opendocument.text"),
            ("application/vnd.oasis.opendocument.spreadsheet"),
            ("application/vnd.oasis.opendocument.presentation"),
            ("application/x-ole-storage"), ("application/octet-stream")
        )),
        (status = 400, description = "La huella no es un SHA-256", body = Problem),
        (status = 401, description = "El objeto no es público: inicie sesión", body = Problem),
        (status = 403, description = "El objeto no es público y su rol o secretariado no permite descargarlo", body = Problem),
        (status = 404, description = "Ningún objeto tiene esa huella", body = Problem),
    )
)]
pub async fn download(
    request: HttpRequest,
    State(archive): State<Archive>,
    caller: Caller,
    Path(path): Path<ObjectPath>,
) -> ApiResult<HttpResponse> {
    let sha256 =
        Digest32::parse(&path.sha256).map_err(|e| ApiError::BadRequest(format!("{e}.")))?;
    let (object, bytes) = archive.download(&sha256, &caller).await?;
    let extension = match object.media_type.as_str() {
        "application/pdf" => ".pdf",
        "application/zip" => ".zip",
        "application/json" => ".json",
        "text/csv" => ".csv",
        _ => "",
    };
    let name = format!("{}-{}{extension}", object.kind, &object.sha256[..16]);
    // Content-addressed: the bytes under this name never change.
    let caching = if object.published {
        Caching::Immutable
    } else {
        Caching::NoStore
    };
    Ok(http::download(
        &request,
        bytes,
        &object.media_type,
        Disposition::Attachment(&name),
        Some(&object.sha256),
        caching,
    ))
}

/// Whether a SHA-256 is archived.
#[utoipa::path(
    post,
    path = "/verify/hash",
    tag = "verificación",
    summary = "Verifica si una huella SHA-256 corresponde a un objeto archivado y entrega su prueba de inclusión",
    request_body = HashQuery,
    responses(
        (status = 200, description = "Si está archivado, sus datos públicos, su prueba contra la cabeza firmada más reciente y un informe en español", body = HashVerification),
        (status = 422, description = "La huella no es un SHA-256", body = Problem),
    )
)]
pub async fn verify_hash(
    State(archive): State<Archive>,
    Json(query): Json<HashQuery>,
) -> ApiResult<Json<HashVerification>> {
    let sha256 =
        Digest32::parse(&query.sha256).map_err(|e| ApiError::Unprocessable(format!("{e}.")))?;
    Ok(Json(archive.verify_hash(&sha256).await?))
}

/// Archives an object for another service.
#[utoipa::path(
    post,
    path = "/internal/objects",
    tag = "interno",
    summary = "Archiva un objeto: lo guarda por su huella (sin sobrescribir nunca) y lo agrega al registro firmado",
    request_body = NewObject,
    security(("internal_token" = [])),
    responses(
        (status = 201, description = "Archivado ahora: su entrada y su prueba de inclusión", body = Archived),
        (status = 200, description = "Esos mismos bytes ya estaban archivados: nada cambió", body = Archived),
        (status = 401, description = "Falta el token interno", body = Problem),
        (status = 413, description = "El objeto excede archive.max_object_bytes", body = Problem),
        (status = 422, description = "Datos no válidos (tipo, contenido, huella esperada…)", body = Problem),
        (status = 503, description = "El almacén de objetos no responde", body = Problem),
    )
)]
pub async fn ingest(
    State(archive): State<Archive>,
    Json(body): Json<NewObject>,
) -> ApiResult<(Json<Archived>, StatusCode)> {
    let deposit = parse_deposit(body, archive.settings().max_object_bytes)?;
    let ingested = archive.ingest(deposit).await?;
    let status = if ingested.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        Json(Archived {
            already_archived: !ingested.created,
            object: ArchivedObject::full(&ingested.object, &archive.base_url()),
            inclusion: ingested.inclusion,
        }),
        status,
    ))
}

/// Checks an archiving request at the edge; every refusal says what to fix.
pub fn parse_deposit(body: NewObject, max_bytes: usize) -> ApiResult<Deposit> {
    let kind = body.kind.trim();
    let kind_ok = (1..=40).contains(&kind.len())
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c));
    if !kind_ok {
        return Err(ApiError::Unprocessable(format!(
            "El tipo «{}» no es válido: use minúsculas sin acentos, dígitos, «_», «-» o «.», empezando con letra y de hasta 40 caracteres (por ejemplo acta, minuta, paquete_entrega).",
            shorten(kind)
        )));
    }
    let media_type = body
        .media_type
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("application/octet-stream")
        .to_ascii_lowercase();
    let media_ok = media_type.len() <= 100
        && media_type.split_once('/').is_some_and(|(t, s)| {
            let token = |p: &str| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
            };
            token(t) && token(s)
        });
    if !media_ok {
        return Err(ApiError::Unprocessable(format!(
            "El tipo de medio «{}» no es válido: escríbalo como tipo/subtipo, por ejemplo application/pdf.",
            shorten(&media_type)
        )));
    }
    let title = body
        .title
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if title.as_ref().is_some_and(|t| t.chars().count() > 500) {
        return Err(ApiError::Unprocessable(
            "El título excede 500 caracteres: abrévielo y guarde el resto en metadata.".into(),
        ));
    }
    let secretariat_id = body
        .secretariat_id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if secretariat_id.as_ref().is_some_and(|s| s.len() > 100) {
        return Err(ApiError::Unprocessable(
            "El identificador del secretariado excede 100 caracteres: envíe el id que asignó el servicio de secretariado.".into(),
        ));
    }
    let metadata = match body.metadata {
        None | Some(serde_json::Value::Null) => serde_json::Value::Object(Default::default()),
        Some(value @ serde_json::Value::Object(_)) => value,
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "El campo metadata debe ser un objeto JSON ({…}), no una lista ni un valor suelto."
                    .into(),
            ));
        }
    };
    let expected_sha256 = body
        .expected_sha256
        .as_deref()
        .map(Digest32::parse)
        .transpose()
        .map_err(|e| ApiError::Unprocessable(format!("expected_sha256: {e}.")))?;
    let content = base64::engine::general_purpose::STANDARD
        .decode(body.content_base64.trim())
        .map_err(|_| {
            ApiError::Unprocessable(
                "El campo content_base64 no es base64 válido (alfabeto estándar, con relleno «=»). Codifique los bytes del archivo y vuelva a enviarlo.".into(),
            )
        })?;
    if content.is_empty() {
        return Err(ApiError::Unprocessable(
            "El contenido está vacío: no se archiva un objeto sin bytes.".into(),
        ));
    }
    if content.len() > max_bytes {
        return Err(ApiError::PayloadTooLarge(format!(
            "El objeto mide {} bytes y el archivo acepta hasta {max_bytes} (archive.max_object_bytes). Reduzca su tamaño o pida al administrador que amplíe el límite.",
            content.len()
        )));
    }
    if media_type == "application/pdf" && !content.starts_with(b"%PDF-") {
        return Err(ApiError::Unprocessable(
            "El contenido se declaró application/pdf pero no empieza como un PDF («%PDF-»). Envíe el PDF exacto o declare su tipo real.".into(),
        ));
    }
    Ok(Deposit {
        source: body.source,
        kind: kind.to_string(),
        media_type,
        title,
        secretariat_id,
        published: body.published,
        metadata,
        content: content.into(),
        expected_sha256,
    })
}
