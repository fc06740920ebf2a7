//! The President's communiqués (section a of the public site, 000 V.10:
//! "comunicados relevantes"; 000 VII.7: the President promotes maximum
//! publicity). Only the President publishes and corrects them; members read
//! them in the console; anyone reads them on the public site, by their
//! stable number, and in an Atom feed.
//!
//! Under maximum publicity a communiqué is never deleted: a correction
//! replaces its text, moves its `updated_at` (the site shows "actualizado
//! el …") and keeps the previous text in the audit log.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Json, Path};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Problem, ServiceContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::{IntoParams, ToSchema};

use super::edge;
use super::public::{SlugPath, connection, ensure_slugs, secretariat_by_slug};
use super::roster::{ensure_secretariat, offset_of};
use super::secretariats::SecretariatPath;

/// Longest body of a communiqué, in characters.
const MAX_BODY: usize = 20_000;

/// What publishes or corrects a communiqué.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommuniqueInput {
    /// Up to 300 characters.
    pub title: String,
    /// Plain text, up to 20,000 characters; a blank line separates paragraphs.
    pub body: String,
    /// The folio of the session it refers to, e.g. `2026-ORD-01`.
    #[serde(default)]
    pub session_folio: Option<String>,
}

/// A communiqué as the API shows it (members and the public alike: it
/// carries no personal data).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommuniqueView {
    pub id: String,
    /// 1, 2, …: its stable public address `/stl/{slug}/comunicados/{number}`.
    pub number: i64,
    pub title: String,
    pub body: String,
    /// The body's paragraphs (split at blank lines).
    pub paragraphs: Vec<String>,
    pub session_folio: Option<String>,
    /// Epoch milliseconds.
    pub published_at: i64,
    /// RFC 3339 at the secretariat's UTC offset.
    pub published: String,
    /// Epoch milliseconds of the last correction (`published_at` if none).
    pub updated_at: i64,
    /// RFC 3339 at the secretariat's UTC offset.
    pub updated: String,
    /// Times it was corrected.
    pub corrections: i64,
}

/// Path of a communiqué by its id.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CommuniquePath {
    /// The communiqué's id.
    pub id: String,
}

/// Path of a communiqué by its number on the public site.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CommuniqueNumberPath {
    /// The secretariat's public slug.
    pub slug: String,
    /// The communiqué's number, e.g. `3`.
    pub number: String,
}

#[derive(Debug, sqlx::FromRow)]
struct CommuniqueRow {
    id: String,
    secretariat_id: String,
    number: i64,
    title: String,
    body: String,
    session_folio: Option<String>,
    published_at: i64,
    updated_at: i64,
    corrections: i64,
}

const COLUMNS: &str =
    "id, secretariat_id, number, title, body, session_folio, published_at, updated_at, corrections";

/// The body as stored: `\n` line ends, trimmed, at most [`MAX_BODY`].
fn body_text(body: &str) -> ApiResult<String> {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    edge::text("body", &body, MAX_BODY)
}

/// The paragraphs of a body: separated by blank lines, each trimmed.
pub fn paragraphs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in body.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line.trim());
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

/// Checked input: title, body and the folio of an existing session.
async fn checked(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    body: &CommuniqueInput,
) -> ApiResult<(String, String, Option<String>)> {
    let title = edge::text("title", &body.title, 300)?;
    let text = body_text(&body.body)?;
    let folio = edge::optional_text("session_folio", body.session_folio.as_deref(), 40)?;
    if let Some(folio) = &folio {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT id FROM sessions WHERE secretariat_id = $1 AND folio = $2")
                .bind(secretariat_id)
                .bind(folio)
                .fetch_optional(&mut *conn)
                .await
                .or_unexpected("buscando la sesión")?;
        if found.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "`session_folio`: no hay una sesión con folio «{}» en este secretariado. Escriba el folio como aparece en el calendario (por ejemplo 2026-ORD-01) o déjelo vacío.",
                edge::shorten(folio)
            )));
        }
    }
    Ok((title, text, folio))
}

fn view(row: CommuniqueRow, offset_minutes: i64) -> CommuniqueView {
    CommuniqueView {
        paragraphs: paragraphs(&row.body),
        published: edge::rfc3339(row.published_at, offset_minutes),
        updated: edge::rfc3339(row.updated_at, offset_minutes),
        id: row.id,
        number: row.number,
        title: row.title,
        body: row.body,
        session_folio: row.session_folio,
        published_at: row.published_at,
        updated_at: row.updated_at,
        corrections: row.corrections,
    }
}

/// A secretariat's communiqués, newest first.
async fn list(conn: &mut AnyConnection, secretariat_id: &str) -> ApiResult<Vec<CommuniqueView>> {
    let offset = offset_of(conn, secretariat_id).await?;
    let rows: Vec<CommuniqueRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM communiques WHERE secretariat_id = $1 ORDER BY number DESC"
    )))
    .bind(secretariat_id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los comunicados")?;
    Ok(rows.into_iter().map(|r| view(r, offset)).collect())
}

/// Publishes a communiqué of the President.
#[utoipa::path(
    post,
    path = "/secretariats/{id}/communiques",
    tag = "comunicados",
    summary = "Publica un comunicado de la Presidencia en el sitio público del secretariado (000 V.10 a)",
    params(SecretariatPath),
    request_body = CommuniqueInput,
    security(("sesion" = [])),
    responses(
        (status = 201, description = "Comunicado publicado", body = CommuniqueView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia de ese secretariado publica comunicados", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn create_communique(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
    Json(body): Json<CommuniqueInput>,
) -> ApiResult<(Json<CommuniqueView>, StatusCode)> {
    ensure_secretariat(&caller, &path.id)?;
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let offset = offset_of(&mut tx, &path.id).await?;
    let (title, text, folio) = checked(&mut tx, &path.id, &body).await?;
    let (number,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM communiques WHERE secretariat_id = $1",
    )
    .bind(&path.id)
    .fetch_one(&mut *tx)
    .await
    .or_unexpected("numerando el comunicado")?;
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO communiques (id, secretariat_id, number, title, body, session_folio, published_at, updated_at, corrections)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0)",
    )
    .bind(&id)
    .bind(&path.id)
    .bind(number)
    .bind(&title)
    .bind(&text)
    .bind(&folio)
    .bind(now)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando el comunicado")?;
    ctx.audit(
        &mut tx,
        &caller,
        "comunicado.publicar",
        Some(&id),
        json!({ "numero": number, "titulo": title, "sesion": folio }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let row = CommuniqueRow {
        id,
        secretariat_id: path.id,
        number,
        title,
        body: text,
        session_folio: folio,
        published_at: now,
        updated_at: now,
        corrections: 0,
    };
    Ok((Json(view(row, offset)), StatusCode::CREATED))
}

/// The communiqués of a secretariat (members), newest first.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/communiques",
    tag = "comunicados",
    summary = "Lista los comunicados de la Presidencia, el más reciente primero",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Los comunicados", body = Vec<CommuniqueView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "No pertenece a ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_communiques(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<CommuniqueView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = connection(&ctx).await?;
    Ok(Json(list(&mut conn, &path.id).await?))
}

/// Corrects a communiqué: its text is replaced, the previous one stays in
/// the audit log, and the site shows when it was updated.
#[utoipa::path(
    put,
    path = "/communiques/{id}",
    tag = "comunicados",
    summary = "Corrige un comunicado: el sitio muestra la fecha de actualización y la bitácora guarda el texto anterior (no se borran)",
    params(CommuniquePath),
    request_body = CommuniqueInput,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "El comunicado corregido", body = CommuniqueView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia corrige comunicados", body = Problem),
        (status = 404, description = "No existe el comunicado", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
    )
)]
pub async fn correct_communique(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<CommuniquePath>,
    Json(body): Json<CommuniqueInput>,
) -> ApiResult<Json<CommuniqueView>> {
    let not_found = || {
        ApiError::NotFound(format!(
            "No existe el comunicado «{}». Consulte los comunicados en GET /secretariats/{{id}}/communiques.",
            edge::shorten(&path.id)
        ))
    };
    let now = now_ms();
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let before: CommuniqueRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM communiques WHERE id = $1"
    )))
    .bind(&path.id)
    .fetch_optional(&mut *tx)
    .await
    .or_unexpected("leyendo el comunicado")?
    .ok_or_else(not_found)?;
    if ensure_secretariat(&caller, &before.secretariat_id).is_err() {
        return Err(not_found());
    }
    let (title, text, folio) = checked(&mut tx, &before.secretariat_id, &body).await?;
    if title == before.title && text == before.body && folio == before.session_folio {
        return Err(ApiError::Unprocessable(
            "La corrección no cambia nada: modifique el título, el texto o la sesión y vuelva a enviarla.".into(),
        ));
    }
    sqlx::query(
        "UPDATE communiques SET title = $1, body = $2, session_folio = $3, updated_at = $4, corrections = corrections + 1 WHERE id = $5",
    )
    .bind(&title)
    .bind(&text)
    .bind(&folio)
    .bind(now)
    .bind(&path.id)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la corrección")?;
    ctx.audit(
        &mut tx,
        &caller,
        "comunicado.corregir",
        Some(&path.id),
        json!({
            "numero": before.number,
            "titulo": title,
            "sesion": folio,
            "anterior": { "titulo": before.title, "texto": before.body, "sesion": before.session_folio },
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let offset = offset_of(&mut tx, &before.secretariat_id).await?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let row = CommuniqueRow {
        title,
        body: text,
        session_folio: folio,
        updated_at: now,
        corrections: before.corrections + 1,
        ..before
    };
    Ok(Json(view(row, offset)))
}

/// The communiqués of a secretariat, for the public site (section a).
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/communiques",
    tag = "publico",
    summary = "Consulta los comunicados de la Presidencia, el más reciente primero (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "Los comunicados", body = Vec<CommuniqueView>),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn public_communiques(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<Vec<CommuniqueView>>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    Ok(Json(list(&mut conn, &id).await?))
}

/// One communiqué by its number, for the public site.
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/communiques/{number}",
    tag = "publico",
    summary = "Consulta un comunicado por su número (sin iniciar sesión)",
    params(CommuniqueNumberPath),
    responses(
        (status = 200, description = "El comunicado", body = CommuniqueView),
        (status = 404, description = "No existe ese secretariado o ese comunicado", body = Problem),
    )
)]
pub async fn public_communique(
    State(ctx): State<ServiceContext>,
    Path(path): Path<CommuniqueNumberPath>,
) -> ApiResult<Json<CommuniqueView>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let not_found = || {
        ApiError::NotFound(format!(
            "No hay un comunicado número «{}» en este secretariado. Consulte la lista en GET /public/secretariats/{}/communiques.",
            edge::shorten(&path.number),
            path.slug
        ))
    };
    let number: i64 = path.number.trim().parse().map_err(|_| not_found())?;
    let offset = offset_of(&mut conn, &id).await?;
    let row: CommuniqueRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM communiques WHERE secretariat_id = $1 AND number = $2"
    )))
    .bind(&id)
    .bind(number)
    .fetch_optional(&mut *conn)
    .await
    .or_unexpected("leyendo el comunicado")?
    .ok_or_else(not_found)?;
    Ok(Json(view(row, offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_separated_by_blank_lines() {
        assert_eq!(
            paragraphs("Uno\nsigue uno\n\n  \nDos  \n"),
            vec!["Uno\nsigue uno".to_string(), "Dos".to_string()]
        );
        assert!(paragraphs("").is_empty());
        assert_eq!(body_text("a\r\n\r\nb").unwrap(), "a\n\nb");
        assert!(body_text("   ").is_err());
    }
}
