//! What the public reads and sends without an account (issue 18; 000 V.4,
//! V.10): secretariats by their stable public slug, each one's calendar of
//! sessions and, for a closed session, its attendance by seat, votes per
//! seat, decisions with the rule applied, and agreements; questions,
//! complaints and suggestions (section f) and requests to join (section g),
//! each answered with a folio.
//!
//! Nothing here ever shows an RFC, a CURP, an email, an address or the name
//! of whoever wrote a question: the public views are their own structs,
//! built field by field, never the members' ones with fields removed.
//! The names of public officials and members in their seats are public.

use rubrica_platform::OrUnexpected;
use rubrica_platform::State;
use rubrica_platform::db::now_ms;
use rubrica_platform::error::{Json, Path};
use rubrica_platform::http::StatusCode;
use rubrica_platform::{ApiError, ApiResult, Caller, Problem, ServiceContext};
use rubrica_rules::Calendar;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::db;
use super::edge;
use super::model::{Post, SessionStatus, kind_str, kind_title, record_kind};
use super::record;
use super::roster::{Roster, calendar, ensure_secretariat};
use super::scene::Scene;
use super::secretariats::{SecretariatPath, word};
use rubrica_contracts::events::{
    PUBLIC_ACKNOWLEDGEMENT, PublicAcknowledgement, Recipient, SecretariatRef,
};

use crate::auth::{Counter, address_of, check_rate, record_failure};

// --- slugs ------------------------------------------------------------------

/// The slug a name gives: lower case ASCII letters and digits separated by
/// single hyphens, accents dropped (`STL de Jalisco` → `stl-de-jalisco`),
/// at most 60 characters; `stl` when nothing is left.
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if plain == '-' {
            if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        } else if slug.len() < 60 {
            slug.push(plain);
        }
    }
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() { "stl".into() } else { slug }
}

/// Whether `text` has the form of a slug (so a path is never sent to SQL
/// unchecked and a 404 can say what a slug looks like).
fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Gives a secretariat its slug: the name's, or the name's with `-2`, `-3`…
/// when another secretariat already has it. Called when it is created.
pub async fn assign_slug(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    name: &str,
) -> Result<String, sqlx::Error> {
    let base = slug_of(name);
    let taken: Vec<String> =
        sqlx::query("SELECT slug FROM secretariats WHERE slug = $1 OR slug LIKE $2")
            .bind(&base)
            .bind(format!("{base}-%"))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
    let mut slug = base.clone();
    let mut n = 2;
    while taken.contains(&slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    sqlx::query("UPDATE secretariats SET slug = $2 WHERE id = $1")
        .bind(secretariat_id)
        .bind(&slug)
        .execute(&mut *conn)
        .await?;
    Ok(slug)
}

/// Secretariats created before slugs existed get theirs (once).
pub(super) async fn ensure_slugs(ctx: &ServiceContext) -> ApiResult<()> {
    let mut conn = ctx
        .db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")?;
    let missing = sqlx::query("SELECT COUNT(*) FROM secretariats WHERE slug IS NULL")
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .or_unexpected("buscando secretariados sin nombre público")?;
    drop(conn);
    if missing == 0 {
        return Ok(());
    }
    let result: Result<(), sqlx::Error> = async {
        let mut tx = ctx.begin().await?;
        let rows = sqlx::query(
            "SELECT id, name FROM secretariats WHERE slug IS NULL ORDER BY created_at, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let id: String = row.try_get("id")?;
            let name: String = row.try_get("name")?;
            assign_slug(&mut tx, &id, &name).await?;
        }
        tx.commit().await
    }
    .await;
    // A concurrent request may have assigned them first: that is fine.
    if let Err(e) = result {
        tracing::warn!(error = %e, "no se asignaron los nombres públicos pendientes");
    }
    Ok(())
}

/// The id of the secretariat a slug names.
pub(super) async fn secretariat_by_slug(conn: &mut AnyConnection, slug: &str) -> ApiResult<String> {
    let not_found = || {
        ApiError::NotFound(format!(
            "No hay un secretariado con el nombre público «{}». Consulte la lista en GET /public/secretariats.",
            edge::shorten(slug)
        ))
    };
    if !is_slug(slug) {
        return Err(not_found());
    }
    sqlx::query("SELECT id FROM secretariats WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await
        .or_unexpected("buscando el secretariado")?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(not_found)
}

pub(super) async fn connection(
    ctx: &ServiceContext,
) -> ApiResult<sqlx::pool::PoolConnection<sqlx::Any>> {
    ctx.db
        .pool()
        .acquire()
        .await
        .or_unexpected("obteniendo una conexión")
}

// --- secretariats -----------------------------------------------------------

/// A secretariat in the public list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicSecretariatSummary {
    /// Its stable public name in URLs, e.g. `stl-de-jalisco`.
    pub slug: String,
    /// Its internal id (the archive's records and open data name it).
    pub id: String,
    pub name: String,
    /// The rules preset it follows, e.g. `jalisco`.
    pub preset: String,
}

/// A seat as the public sees it: who holds it today (names of public
/// officials and members are public; nothing else about them is).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicSeat {
    pub id: String,
    pub name: String,
    /// `gobierno`, `sociedad_civil` or `organo_garante`.
    pub group: String,
    /// Whether its titular presides the STL (000 VII.1).
    pub presides: bool,
    pub titular: Option<String>,
    pub suplente: Option<String>,
}

/// A secretariat as the public sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicSecretariat {
    pub slug: String,
    /// Its internal id (the archive's records and open data name it).
    pub id: String,
    pub name: String,
    pub preset: String,
    /// Its seats today.
    pub seats: Vec<PublicSeat>,
    /// Business days it has to answer a question or complaint.
    pub inquiry_answer_days: i64,
    /// Section c: its institutional contact data, as the President published it.
    pub contact: Option<PublicContact>,
    /// Section e: links of interest chosen by the President.
    pub links: Vec<PublicLink>,
}

/// The secretariat's institutional contact data (000 V.10 c): the office's,
/// never a member's personal data.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicContact {
    /// Postal address of the office.
    #[serde(default)]
    pub address: Option<String>,
    /// The office's institutional email.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Office hours.
    #[serde(default)]
    pub hours: Option<String>,
    /// Anything else the public should know (how to attend a session…).
    #[serde(default)]
    pub note: Option<String>,
}

/// A link of interest (000 V.10 e).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicLink {
    pub title: String,
    /// `https://…` (or `http://…`).
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// Checks the contact data and links a President publishes: lengths, at
/// most 30 links, web addresses only. The Spanish reason otherwise.
pub fn check_site_sections(
    contact: Option<&PublicContact>,
    links: Option<&[PublicLink]>,
) -> ApiResult<()> {
    let too_long = |field: &str, value: &Option<String>, max: usize| {
        value
            .as_deref()
            .is_some_and(|v| v.chars().count() > max)
            .then(|| {
                ApiError::Unprocessable(format!("`{field}` pasa de {max} caracteres: acórtelo."))
            })
    };
    if let Some(c) = contact {
        for (field, value, max) in [
            ("contact.address", &c.address, 300),
            ("contact.email", &c.email, 200),
            ("contact.phone", &c.phone, 60),
            ("contact.hours", &c.hours, 200),
            ("contact.note", &c.note, 1000),
        ] {
            if let Some(e) = too_long(field, value, max) {
                return Err(e);
            }
        }
        if c.email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty() && !e.contains('@'))
        {
            return Err(ApiError::Unprocessable(
                "`contact.email` no parece un correo: escriba el correo institucional de la oficina, p. ej. stl@itei.org.mx.".into(),
            ));
        }
    }
    if let Some(links) = links {
        if links.len() > 30 {
            return Err(ApiError::Unprocessable(
                "Se publican hasta 30 ligas de interés: deje las más útiles.".into(),
            ));
        }
        for (i, link) in links.iter().enumerate() {
            let url = link.url.trim();
            let web = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 500
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
            if !web {
                return Err(ApiError::Unprocessable(format!(
                    "La liga {} («{}») no es una dirección web: debe empezar con https:// y no llevar espacios.",
                    i + 1,
                    edge::shorten(url)
                )));
            }
            if link.title.trim().is_empty() || link.title.chars().count() > 200 {
                return Err(ApiError::Unprocessable(format!(
                    "La liga {} necesita un título de hasta 200 caracteres.",
                    i + 1
                )));
            }
            if let Some(e) = too_long("links[].description", &link.description, 500) {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Saves the sections c and e (checked by [`check_site_sections`]).
pub async fn set_site_sections(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    contact: Option<&PublicContact>,
    links: Option<&[PublicLink]>,
) -> Result<(), sqlx::Error> {
    if let Some(contact) = contact {
        sqlx::query("UPDATE secretariats SET public_contact = $2 WHERE id = $1")
            .bind(secretariat_id)
            .bind(serde_json::to_string(contact).unwrap_or_default())
            .execute(&mut *conn)
            .await?;
    }
    if let Some(links) = links {
        sqlx::query("UPDATE secretariats SET public_links = $2 WHERE id = $1")
            .bind(secretariat_id)
            .bind(serde_json::to_string(links).unwrap_or_default())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn site_sections(
    conn: &mut AnyConnection,
    secretariat_id: &str,
) -> ApiResult<(Option<PublicContact>, Vec<PublicLink>)> {
    let row = sqlx::query("SELECT public_contact, public_links FROM secretariats WHERE id = $1")
        .bind(secretariat_id)
        .fetch_one(&mut *conn)
        .await
        .or_unexpected("leyendo el contacto y las ligas")?;
    let contact: Option<String> = row
        .try_get("public_contact")
        .or_unexpected("leyendo el contacto")?;
    let links: Option<String> = row
        .try_get("public_links")
        .or_unexpected("leyendo las ligas")?;
    Ok((
        contact.and_then(|c| serde_json::from_str(&c).ok()),
        links
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default(),
    ))
}

/// Path of a secretariat by its public slug.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SlugPath {
    /// The secretariat's public slug, e.g. `stl-de-jalisco`.
    pub slug: String,
}

/// Lists the secretariats of this installation.
#[utoipa::path(
    get,
    path = "/public/secretariats",
    tag = "publico",
    summary = "Lista los secretariados de la instalación con su nombre público (sin iniciar sesión)",
    responses(
        (status = 200, description = "Los secretariados, por nombre", body = Vec<PublicSecretariatSummary>),
    )
)]
pub async fn list_secretariats(
    State(ctx): State<ServiceContext>,
) -> ApiResult<Json<Vec<PublicSecretariatSummary>>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let rows = sqlx::query(
        "SELECT slug, name, preset, id FROM secretariats WHERE slug IS NOT NULL ORDER BY name, slug",
    )
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo los secretariados")?;
    rows.iter()
        .map(|r| -> Result<PublicSecretariatSummary, sqlx::Error> {
            Ok(PublicSecretariatSummary {
                slug: r.try_get("slug")?,
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                preset: r.try_get("preset")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .or_unexpected("leyendo los secretariados")
}

/// Reads a secretariat by its slug, with its seats today.
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}",
    tag = "publico",
    summary = "Consulta un secretariado por su nombre público: asientos y quién los ocupa hoy (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "El secretariado", body = PublicSecretariat),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn get_secretariat(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<PublicSecretariat>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let roster = Roster::load(&mut conn, &id).await?;
    let answer_days = answer_days(&mut conn, &id).await?;
    let (contact, links) = site_sections(&mut conn, &id).await?;
    let day = edge::today(roster.secretariat.utc_offset_minutes);
    let config = roster.config_on(day);
    let holder = |seat: &str, post| {
        roster
            .holder(seat, post, day)
            .map(|d| roster.name(&d.member_id).to_string())
    };
    Ok(Json(PublicSecretariat {
        slug: path.slug.clone(),
        id: roster.secretariat.id.clone(),
        name: roster.secretariat.name.clone(),
        preset: roster.secretariat.preset.clone(),
        seats: config
            .seats
            .iter()
            .map(|seat| PublicSeat {
                id: seat.id.to_string(),
                name: seat.name.clone(),
                group: word(&seat.group()),
                presides: config.president == seat.id,
                titular: holder(seat.id.as_str(), Post::Titular),
                suplente: holder(seat.id.as_str(), Post::Suplente),
            })
            .collect(),
        inquiry_answer_days: answer_days,
        contact,
        links,
    }))
}

/// Sets the business days a secretariat has to answer (checked by the caller).
pub async fn set_answer_days(
    conn: &mut AnyConnection,
    secretariat_id: &str,
    days: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE secretariats SET inquiry_answer_days = $2 WHERE id = $1")
        .bind(secretariat_id)
        .bind(days)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

async fn answer_days(conn: &mut AnyConnection, secretariat_id: &str) -> ApiResult<i64> {
    sqlx::query("SELECT inquiry_answer_days FROM secretariats WHERE id = $1")
        .bind(secretariat_id)
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .or_unexpected("leyendo el plazo de respuesta")
}

// --- sessions ---------------------------------------------------------------

/// A session in the public calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicSessionSummary {
    /// e.g. `2026-ORD-01`: the session's stable public key.
    pub folio: String,
    /// `ordinaria`, `extraordinaria` or `reunion_de_trabajo`.
    pub kind: String,
    /// "Sesión ordinaria"…
    pub title: String,
    /// `acta` or `minuta` (000 V.7).
    pub record: String,
    /// `AAAA-MM-DD`.
    pub date: String,
    /// `HH:MM`, local time.
    pub time: String,
    pub place: String,
    /// `programada`, `convocada`, `abierta`, `cerrada` or `cancelada`.
    pub status: SessionStatus,
    /// When its convocatoria was issued, `AAAA-MM-DD`.
    pub convocatoria_issued_on: Option<String>,
    /// The titles of its agenda, in order.
    pub agenda: Vec<String>,
}

/// Lists a secretariat's sessions, upcoming and held.
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/sessions",
    tag = "publico",
    summary = "Calendario público de sesiones: fecha, hora, lugar, estado, orden del día y convocatoria (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "Las sesiones por fecha", body = Vec<PublicSessionSummary>),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn list_sessions(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<Vec<PublicSessionSummary>>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let sessions = db::sessions(&mut conn, &id)
        .await
        .or_unexpected("leyendo las sesiones")?;
    // Every agenda title of the secretariat in one query, not one per session.
    let mut titles: std::collections::HashMap<String, Vec<String>> = Default::default();
    let rows = sqlx::query(
        "SELECT a.session_id, a.title FROM agenda_items a JOIN sessions s ON s.id = a.session_id
         WHERE s.secretariat_id = $1 ORDER BY a.session_id, a.position",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo el orden del día")?;
    for row in rows {
        let session: String = row
            .try_get("session_id")
            .or_unexpected("leyendo el orden del día")?;
        let title: String = row
            .try_get("title")
            .or_unexpected("leyendo el orden del día")?;
        titles.entry(session).or_default().push(title);
    }
    let mut out = Vec::with_capacity(sessions.len());
    for s in sessions {
        let agenda = titles.remove(&s.id).unwrap_or_default();
        out.push(PublicSessionSummary {
            folio: s.folio,
            kind: kind_str(s.kind).to_string(),
            title: kind_title(s.kind).to_string(),
            record: record_kind(s.kind).to_string(),
            date: edge::iso(s.held_on),
            time: s.scheduled_time,
            place: s.place,
            status: s.status,
            convocatoria_issued_on: s.convocatoria_issued_on.map(edge::iso),
            agenda,
        });
    }
    Ok(Json(out))
}

/// An agenda item as the public sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAgendaItem {
    pub position: i64,
    pub title: String,
    pub description: Option<String>,
    /// What was deliberated on it (closed sessions).
    pub deliberation: Option<String>,
}

/// Someone who attended, as the public sees them: name and capacity only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAttendee {
    pub name: String,
    /// `titular`, `suplente`, `enlace`, `facilitador` or `invitado`.
    pub capacity: String,
    /// Arrival, `HH:MM` local.
    pub arrived: Option<String>,
    /// Invited members: their project.
    pub project: Option<String>,
}

/// A seat's attendance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicSeatAttendance {
    pub seat: String,
    pub seat_name: String,
    /// `gobierno`, `sociedad_civil` or `organo_garante`.
    pub group: String,
    /// Whether it had a designated titular that day.
    pub active: bool,
    /// `titular`, `suplente` or `ausente`.
    pub represented_by: String,
    pub attendees: Vec<PublicAttendee>,
}

/// A seat's vote.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicVote {
    pub seat: String,
    pub seat_name: String,
    /// `favor`, `contra` or `abstencion`.
    pub vote: String,
    /// Who cast it for the seat.
    pub name: Option<String>,
    /// `titular` or `suplente`.
    pub capacity: Option<String>,
}

/// A motion with its decision and the rule applied.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicMotion {
    pub number: i64,
    pub agenda_item: Option<i64>,
    pub text: String,
    /// `HH:MM` local.
    pub time: String,
    /// `aprobado` or `rechazado`.
    pub outcome: String,
    /// The rule that settled it: `consenso`, `mayoria`, `voto_de_calidad`…
    pub decided_by: String,
    pub favor: usize,
    pub contra: usize,
    pub abstencion: usize,
    /// The decision explained, naming the rule (000 VI).
    pub explanation: String,
    /// The quorum at the vote, explained.
    pub quorum: String,
    pub votes: Vec<PublicVote>,
}

/// An agreement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAgreement {
    /// e.g. `2026-ORD-01/ACU-01`.
    pub folio: String,
    pub number: i64,
    pub text: String,
    pub responsible_seat_name: Option<String>,
    pub due_on: Option<String>,
    /// `pendiente`, `en_proceso`, `cumplido` or `cancelado`.
    pub status: String,
    /// The motion that approved it.
    pub motion: i64,
    pub decided_by: String,
    pub explanation: String,
}

/// A session as the public sees it. Attendance, votes and agreements are
/// shown once the session is closed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicSession {
    pub secretariat: PublicSecretariatSummary,
    #[serde(flatten)]
    pub summary: PublicSessionSummary,
    /// `HH:MM` local, once opened.
    pub start_time: Option<String>,
    /// `HH:MM` local, once closed.
    pub end_time: Option<String>,
    /// Whether the convocatoria met the notice rule, explained (000 V.6).
    pub notice: Option<String>,
    /// The quorum when it opened, explained (000 V.2–3).
    pub quorum: Option<String>,
    pub agenda_items: Vec<PublicAgendaItem>,
    /// Seat by seat (closed sessions).
    pub attendance: Vec<PublicSeatAttendance>,
    /// The facilitator and invited members who attended (closed sessions).
    pub others: Vec<PublicAttendee>,
    pub motions: Vec<PublicMotion>,
    pub agreements: Vec<PublicAgreement>,
}

/// Path of a session by its folio.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionFolioPath {
    /// The secretariat's public slug.
    pub slug: String,
    /// The session's folio, e.g. `2026-ORD-01`.
    pub folio: String,
}

/// Reads a session by its folio.
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/sessions/{folio}",
    tag = "publico",
    summary = "Consulta una sesión: orden del día y, cerrada, asistencia por asiento, votaciones con la decisión y la regla aplicada, y acuerdos (sin iniciar sesión)",
    params(SessionFolioPath),
    responses(
        (status = 200, description = "La sesión", body = PublicSession),
        (status = 404, description = "No existe ese secretariado o esa sesión", body = Problem),
    )
)]
pub async fn get_session(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SessionFolioPath>,
) -> ApiResult<Json<PublicSession>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let not_found = || {
        ApiError::NotFound(format!(
            "No hay una sesión con folio «{}» en este secretariado. Consulte su calendario en GET /public/secretariats/{}/sessions.",
            edge::shorten(&path.folio),
            path.slug
        ))
    };
    if path.folio.len() > 40 {
        return Err(not_found());
    }
    let session_id: String =
        sqlx::query("SELECT id FROM sessions WHERE secretariat_id = $1 AND folio = $2")
            .bind(&id)
            .bind(&path.folio)
            .fetch_optional(&mut *conn)
            .await
            .or_unexpected("buscando la sesión")?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()
            .or_unexpected("leyendo la sesión")?
            .ok_or_else(not_found)?;
    let session = db::session(&mut conn, &session_id)
        .await
        .or_unexpected("leyendo la sesión")?
        .ok_or_else(not_found)?;
    let scene = Scene::around(&mut conn, session).await?;
    Ok(Json(public_session(&scene, &path.slug)))
}

fn public_session(scene: &Scene, slug: &str) -> PublicSession {
    let s = &scene.session;
    let closed = s.status == SessionStatus::Closed;
    let rec = record::build(scene, now_ms());
    let attendee = |a: &record::Attendee| PublicAttendee {
        name: a.name.clone(),
        capacity: a.capacity.clone(),
        arrived: a.stays.first().map(|st| st.arrived.clone()),
        project: a.project.clone(),
    };
    PublicSession {
        secretariat: PublicSecretariatSummary {
            slug: slug.to_string(),
            id: scene.roster.secretariat.id.clone(),
            name: scene.roster.secretariat.name.clone(),
            preset: scene.roster.secretariat.preset.clone(),
        },
        summary: PublicSessionSummary {
            folio: s.folio.clone(),
            kind: kind_str(s.kind).to_string(),
            title: kind_title(s.kind).to_string(),
            record: record_kind(s.kind).to_string(),
            date: edge::iso(s.held_on),
            time: s.scheduled_time.clone(),
            place: s.place.clone(),
            status: s.status,
            convocatoria_issued_on: s.convocatoria_issued_on.map(edge::iso),
            agenda: scene.agenda.iter().map(|a| a.title.clone()).collect(),
        },
        start_time: rec.session.start_time.clone(),
        end_time: rec.session.end_time.clone(),
        notice: s.notice.as_ref().map(|n| n.explanation.clone()),
        quorum: s.quorum_at_opening.as_ref().map(|q| q.explanation.clone()),
        agenda_items: rec
            .agenda
            .items
            .iter()
            .map(|i| PublicAgendaItem {
                position: i.position,
                title: i.title.clone(),
                description: i.description.clone(),
                deliberation: if closed { i.deliberation.clone() } else { None },
            })
            .collect(),
        attendance: if closed {
            rec.attendance
                .seats
                .iter()
                .map(|seat| PublicSeatAttendance {
                    seat: seat.seat.clone(),
                    seat_name: seat.seat_name.clone(),
                    group: seat.group.clone(),
                    active: seat.active,
                    represented_by: match seat.represented_by.as_str() {
                        "titular" | "suplente" => seat.represented_by.clone(),
                        _ => "ausente".into(),
                    },
                    attendees: seat.attendees.iter().map(attendee).collect(),
                })
                .collect()
        } else {
            Vec::new()
        },
        others: if closed {
            rec.attendance.others.iter().map(attendee).collect()
        } else {
            Vec::new()
        },
        motions: if closed {
            rec.motions
                .iter()
                .map(|m| PublicMotion {
                    number: m.number,
                    agenda_item: m.agenda_item,
                    text: m.text.clone(),
                    time: m.time.clone(),
                    outcome: word(&m.decision.outcome),
                    decided_by: word(&m.decision.by),
                    favor: m.decision.in_favour,
                    contra: m.decision.against,
                    abstencion: m.decision.abstentions,
                    explanation: m.decision.explanation.clone(),
                    quorum: m.quorum.explanation.clone(),
                    votes: m
                        .votes
                        .iter()
                        .map(|v| PublicVote {
                            seat: v.seat.clone(),
                            seat_name: v.seat_name.clone(),
                            vote: v.vote.clone(),
                            name: v.name.clone(),
                            capacity: v.capacity.clone(),
                        })
                        .collect(),
                })
                .collect()
        } else {
            Vec::new()
        },
        agreements: if closed {
            rec.agreements
                .iter()
                .map(|a| PublicAgreement {
                    folio: a.folio.clone(),
                    number: a.number,
                    text: a.text.clone(),
                    responsible_seat_name: a.responsible_seat_name.clone(),
                    due_on: a.due_on.clone(),
                    status: a.status.clone(),
                    motion: a.motion,
                    decided_by: a.decided_by.clone(),
                    explanation: a.explanation.clone(),
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

// --- forms: shared ----------------------------------------------------------

/// Characters of folios: no 0/O, 1/I/L, so they can be read over the phone.
const FOLIO_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// `PREFIX-AAAA-XXXXXX` with six random characters: unguessable, so a folio
/// is not a count of what others sent.
fn new_folio(prefix: &str, year: i32) -> String {
    let random = uuid::Uuid::new_v4();
    let tail: String = random.as_bytes()[..6]
        .iter()
        .map(|b| FOLIO_ALPHABET[usize::from(*b) % FOLIO_ALPHABET.len()] as char)
        .collect();
    format!("{prefix}-{year}-{tail}")
}

/// Refuses a form whose trap field was filled (people never see it; programs
/// that fill every field do), then counts it against the sender's address.
async fn admit_form(ctx: &ServiceContext, caller: &Caller, trap: Option<&str>) -> ApiResult<()> {
    if trap.is_some_and(|t| !t.trim().is_empty()) {
        return Err(ApiError::Unprocessable(
            "El formulario no se registró: el campo `website` debe quedar vacío (está oculto a las personas para detectar envíos automáticos). Déjelo vacío y envíelo de nuevo.".into(),
        ));
    }
    let counted = [(Counter::PublicForms, address_of(caller))];
    check_rate(ctx, &counted).await?;
    record_failure(ctx, &counted).await;
    Ok(())
}

/// The last business day of a period of `days` business days starting the
/// day after `from`.
fn business_days_after(calendar: &Calendar, from: Date, days: i64) -> Date {
    let mut day = from;
    let mut counted = 0;
    while counted < days.max(0) {
        day = day.next_day().unwrap_or(day);
        if calendar.is_business_day(day) {
            counted += 1;
        }
    }
    day
}

/// Records the acknowledgement mail (`public.acknowledgement`) in `tx`, for
/// people who gave an email.
#[allow(clippy::too_many_arguments)]
async fn acknowledge(
    ctx: &ServiceContext,
    tx: &mut AnyConnection,
    secretariat: &super::model::SecretariatRow,
    email: Option<&str>,
    name: Option<&str>,
    form: &str,
    stage: &str,
    folio: &str,
    filed_on: &str,
    due_on: Option<&str>,
    answer: Option<&str>,
    follow_path: Option<String>,
) -> ApiResult<()> {
    let Some(email) = email.filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    let payload = PublicAcknowledgement {
        secretariat: SecretariatRef {
            id: secretariat.id.clone(),
            name: secretariat.name.clone(),
            utc_offset_minutes: secretariat.utc_offset_minutes,
        },
        to: Recipient {
            member_id: None,
            name: name.unwrap_or_default().to_string(),
            email: Some(email.to_string()),
        },
        form: form.to_string(),
        stage: stage.to_string(),
        folio: folio.to_string(),
        filed_on: filed_on.to_string(),
        due_on: due_on.map(str::to_string),
        answer: answer.map(str::to_string),
        follow_path,
    };
    ctx.outbox
        .record(tx, PUBLIC_ACKNOWLEDGEMENT, &payload)
        .await
        .or_unexpected("registrando el acuse por correo")?;
    Ok(())
}

fn follow_path(slug: &str, folio: &str) -> String {
    format!("/stl/{slug}/dudas/folio?folio={folio}")
}

// --- f. questions, complaints and suggestions -------------------------------

/// The categories of section f.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("duda", "duda"),
    ("queja", "queja"),
    ("sugerencia", "sugerencia"),
];

/// A question, complaint or suggestion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInquiry {
    /// `duda`, `queja` or `sugerencia`.
    pub category: String,
    /// What the person writes (up to 5,000 characters).
    pub text: String,
    /// Optional; never published.
    #[serde(default)]
    pub name: Option<String>,
    /// Optional, to be mailed the acknowledgement and the answer; never published.
    #[serde(default)]
    pub email: Option<String>,
    /// Must be absent or empty (a field people do not see).
    #[serde(default)]
    pub website: Option<String>,
    /// Optional: one PDF, PNG or JPEG of up to 5 MiB, checked by its
    /// content; never published (only the President and the facilitator see it).
    #[serde(default)]
    pub attachment: Option<super::attachments::NewAttachment>,
}

/// A question's public status: no personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InquiryStatus {
    /// e.g. `DQS-2026-7K3M9X`.
    pub folio: String,
    /// The secretariat's public slug.
    pub secretariat: String,
    pub secretariat_name: String,
    /// `duda`, `queja` or `sugerencia`.
    pub category: String,
    /// `recibida` or `respondida`.
    pub status: String,
    /// `AAAA-MM-DD`.
    pub filed_on: String,
    /// Last business day to answer, `AAAA-MM-DD`.
    pub due_on: String,
    /// The answer, once given.
    pub answer: Option<String>,
    /// `AAAA-MM-DD`, once answered.
    pub answered_on: Option<String>,
}

/// Receives a question, complaint or suggestion and answers with its folio.
#[utoipa::path(
    post,
    path = "/public/secretariats/{slug}/inquiries",
    tag = "publico",
    summary = "Recibe una duda, queja o sugerencia y responde con su folio (sin iniciar sesión; nombre y correo opcionales, nunca se publican)",
    params(SlugPath),
    request_body = NewInquiry,
    responses(
        (status = 201, description = "Recibida; guarde el folio para consultar su estado", body = InquiryStatus),
        (status = 400, description = "El cuerpo no es JSON o tiene campos desconocidos", body = Problem),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
        (status = 413, description = "El cuerpo es demasiado grande", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
        (status = 429, description = "Demasiados formularios desde su dirección", body = Problem),
    )
)]
pub async fn create_inquiry(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SlugPath>,
    Json(body): Json<NewInquiry>,
) -> ApiResult<(Json<InquiryStatus>, StatusCode)> {
    let category = edge::one_of("category", &body.category, CATEGORIES)?;
    let text = edge::text("text", &body.text, 5_000)?;
    let name = edge::optional_text("name", body.name.as_deref(), 200)?;
    let email = match body.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) => Some(edge::email("email", e)?),
    };
    let attachment = body
        .attachment
        .as_ref()
        .map(super::attachments::check)
        .transpose()?;
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let secretariat_id = secretariat_by_slug(&mut conn, &path.slug).await?;
    drop(conn);
    admit_form(&ctx, &caller, body.website.as_deref()).await?;

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let secretariat = db::secretariat(&mut tx, &secretariat_id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| super::roster::secretariat_not_found(&secretariat_id))?;
    let days = answer_days(&mut tx, &secretariat_id).await?;
    let calendar = calendar(&mut tx, &secretariat_id).await?;
    let today = edge::today(secretariat.utc_offset_minutes);
    let due = business_days_after(&calendar, today, days);
    let folio = new_folio("DQS", today.year());
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO inquiries (id, secretariat_id, folio, category, body, name, email, filed_on, due_on, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'recibida', $10)",
    )
    .bind(&id)
    .bind(&secretariat_id)
    .bind(&folio)
    .bind(category)
    .bind(&text)
    .bind(&name)
    .bind(&email)
    .bind(edge::iso(today))
    .bind(edge::iso(due))
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la duda, queja o sugerencia")?;
    if let Some(attachment) = &attachment {
        super::attachments::store(&mut tx, &id, attachment).await?;
    }
    acknowledge(
        &ctx,
        &mut tx,
        &secretariat,
        email.as_deref(),
        name.as_deref(),
        category,
        "recibida",
        &folio,
        &edge::iso(today),
        Some(&edge::iso(due)),
        None,
        Some(follow_path(&path.slug, &folio)),
    )
    .await?;
    ctx.audit(
        &mut tx,
        &caller,
        "consulta.recibir",
        Some(&id),
        json!({
            "folio": folio,
            "categoria": category,
            "secretariado": secretariat_id,
            "adjunto": attachment.as_ref().map(|a| json!({
                "sha256": a.info.sha256,
                "tipo": a.info.media_type,
                "bytes": a.info.size_bytes,
            })),
        }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((
        Json(InquiryStatus {
            folio,
            secretariat: path.slug.clone(),
            secretariat_name: secretariat.name,
            category: category.to_string(),
            status: "recibida".into(),
            filed_on: edge::iso(today),
            due_on: edge::iso(due),
            answer: None,
            answered_on: None,
        }),
        StatusCode::CREATED,
    ))
}

/// Path of an inquiry by folio.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FolioPath {
    /// The folio, e.g. `DQS-2026-7K3M9X`.
    pub folio: String,
}

/// Follows a question, complaint or suggestion by its folio.
#[utoipa::path(
    get,
    path = "/public/inquiries/{folio}",
    tag = "publico",
    summary = "Consulta el estado de una duda, queja o sugerencia por su folio, sin datos personales (sin iniciar sesión)",
    params(FolioPath),
    responses(
        (status = 200, description = "Su estado y, si ya se respondió, la respuesta", body = InquiryStatus),
        (status = 404, description = "No hay un folio así", body = Problem),
    )
)]
pub async fn get_inquiry(
    State(ctx): State<ServiceContext>,
    Path(path): Path<FolioPath>,
) -> ApiResult<Json<InquiryStatus>> {
    let folio = path.folio.trim().to_uppercase();
    let not_found = || {
        ApiError::NotFound(format!(
            "No hay una duda, queja o sugerencia con folio «{}». Revise que lo copió completo, con la forma DQS-AAAA-XXXXXX.",
            edge::shorten(&path.folio)
        ))
    };
    if folio.len() > 40 {
        return Err(not_found());
    }
    let mut conn = connection(&ctx).await?;
    let row = sqlx::query(
        "SELECT i.folio, i.category, i.status, i.filed_on, i.due_on, i.answer, i.answered_at, s.slug, s.name AS secretariat_name, s.utc_offset_minutes
         FROM inquiries i JOIN secretariats s ON s.id = i.secretariat_id WHERE i.folio = $1",
    )
    .bind(&folio)
    .fetch_optional(&mut *conn)
    .await
    .or_unexpected("buscando el folio")?
    .ok_or_else(not_found)?;
    status_from(&row)
        .map(Json)
        .or_unexpected("leyendo el folio")
}

fn status_from(row: &sqlx::any::AnyRow) -> Result<InquiryStatus, sqlx::Error> {
    let offset: i64 = row.try_get("utc_offset_minutes")?;
    let answered_at: Option<i64> = row.try_get("answered_at")?;
    Ok(InquiryStatus {
        folio: row.try_get("folio")?,
        secretariat: row
            .try_get::<Option<String>, _>("slug")?
            .unwrap_or_default(),
        secretariat_name: row.try_get("secretariat_name")?,
        category: row.try_get("category")?,
        status: row.try_get("status")?,
        filed_on: row.try_get("filed_on")?,
        due_on: row.try_get("due_on")?,
        answer: row.try_get("answer")?,
        answered_on: answered_at.map(|at| edge::iso(edge::local_date(at, offset))),
    })
}

/// An inquiry as the facilitator and the President see it (with the
/// personal data the person chose to give).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InquiryView {
    pub id: String,
    #[serde(flatten)]
    pub status: InquiryStatus,
    pub text: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Whether the due date passed without an answer.
    pub overdue: bool,
    /// The file the person attached, if any (download it with
    /// `GET /inquiries/{id}/attachment`; never published).
    #[serde(default)]
    pub attachment: Option<super::attachments::AttachmentInfo>,
}

/// Lists a secretariat's questions, complaints and suggestions.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/inquiries",
    tag = "publico",
    summary = "Lista las dudas, quejas y sugerencias recibidas, con sus datos de contacto y plazos",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Las más recientes primero", body = Vec<InquiryView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe el secretariado", body = Problem),
    )
)]
pub async fn list_inquiries(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<InquiryView>>> {
    ensure_secretariat(&caller, &path.id)?;
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let secretariat = db::secretariat(&mut conn, &path.id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| super::roster::secretariat_not_found(&path.id))?;
    let today = edge::iso(edge::today(secretariat.utc_offset_minutes));
    let rows = sqlx::query(
        "SELECT i.id, i.folio, i.category, i.body, i.name, i.email, i.status, i.filed_on, i.due_on, i.answer, i.answered_at, s.slug, s.name AS secretariat_name, s.utc_offset_minutes
         FROM inquiries i JOIN secretariats s ON s.id = i.secretariat_id
         WHERE i.secretariat_id = $1 ORDER BY i.created_at DESC, i.id DESC",
    )
    .bind(&path.id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo las dudas, quejas y sugerencias")?;
    let mut attached = super::attachments::infos(&mut conn, &path.id).await?;
    rows.iter()
        .map(|row| -> Result<InquiryView, sqlx::Error> {
            let status = status_from(row)?;
            let id: String = row.try_get("id")?;
            Ok(InquiryView {
                attachment: attached.remove(&id),
                id,
                overdue: status.status == "recibida" && status.due_on < today,
                status,
                text: row.try_get("body")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .or_unexpected("leyendo las dudas, quejas y sugerencias")
}

/// The answer to an inquiry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryAnswer {
    /// The answer, published with the folio's status (up to 5,000 characters).
    pub answer: String,
}

/// Path of an inquiry.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InquiryPath {
    /// The inquiry's id.
    pub id: String,
}

/// Answers a question, complaint or suggestion.
#[utoipa::path(
    post,
    path = "/inquiries/{id}/answer",
    tag = "publico",
    summary = "Responde una duda, queja o sugerencia; la respuesta se publica con su folio",
    params(InquiryPath),
    request_body = InquiryAnswer,
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Respondida", body = InquiryView),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
        (status = 404, description = "No existe", body = Problem),
        (status = 409, description = "Ya se respondió", body = Problem),
        (status = 422, description = "Respuesta vacía o demasiado larga", body = Problem),
    )
)]
pub async fn answer_inquiry(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<InquiryPath>,
    Json(body): Json<InquiryAnswer>,
) -> ApiResult<Json<InquiryView>> {
    let answer = edge::text("answer", &body.answer, 5_000)?;
    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let row = sqlx::query("SELECT secretariat_id, status, folio FROM inquiries WHERE id = $1")
        .bind(&path.id)
        .fetch_optional(&mut *tx)
        .await
        .or_unexpected("buscando la duda, queja o sugerencia")?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "No existe la duda, queja o sugerencia «{}». Consulte la lista en GET /secretariats/{{id}}/inquiries.",
                edge::shorten(&path.id)
            ))
        })?;
    let secretariat_id: String = row
        .try_get("secretariat_id")
        .or_unexpected("leyendo la duda")?;
    let status: String = row.try_get("status").or_unexpected("leyendo la duda")?;
    let folio: String = row.try_get("folio").or_unexpected("leyendo la duda")?;
    ensure_secretariat(&caller, &secretariat_id)?;
    if status != "recibida" {
        return Err(ApiError::Conflict(format!(
            "El folio {folio} ya se respondió; la respuesta publicada no cambia."
        )));
    }
    sqlx::query(
        "UPDATE inquiries SET status = 'respondida', answer = $2, answered_at = $3, answered_by = $4 WHERE id = $1",
    )
    .bind(&path.id)
    .bind(&answer)
    .bind(now_ms())
    .bind(&caller.actor_id)
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la respuesta")?;
    let (email, name, category, filed_on, due_on): (
        Option<String>,
        Option<String>,
        String,
        String,
        String,
    ) = sqlx::query("SELECT email, name, category, filed_on, due_on FROM inquiries WHERE id = $1")
        .bind(&path.id)
        .fetch_one(&mut *tx)
        .await
        .and_then(|r| {
            Ok((
                r.try_get("email")?,
                r.try_get("name")?,
                r.try_get("category")?,
                r.try_get("filed_on")?,
                r.try_get("due_on")?,
            ))
        })
        .or_unexpected("leyendo la duda")?;
    let secretariat = db::secretariat(&mut tx, &secretariat_id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| super::roster::secretariat_not_found(&secretariat_id))?;
    let slug: Option<String> = sqlx::query("SELECT slug FROM secretariats WHERE id = $1")
        .bind(&secretariat_id)
        .fetch_one(&mut *tx)
        .await
        .and_then(|r| r.try_get("slug"))
        .or_unexpected("leyendo el secretariado")?;
    acknowledge(
        &ctx,
        &mut tx,
        &secretariat,
        email.as_deref(),
        name.as_deref(),
        &category,
        "respondida",
        &folio,
        &filed_on,
        Some(&due_on),
        Some(&answer),
        slug.map(|slug| follow_path(&slug, &folio)),
    )
    .await?;
    ctx.audit(
        &mut tx,
        &caller,
        "consulta.responder",
        Some(&path.id),
        json!({ "folio": folio, "respuesta": answer }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    let row = sqlx::query(
        "SELECT i.id, i.folio, i.category, i.body, i.name, i.email, i.status, i.filed_on, i.due_on, i.answer, i.answered_at, s.slug, s.name AS secretariat_name, s.utc_offset_minutes
         FROM inquiries i JOIN secretariats s ON s.id = i.secretariat_id WHERE i.id = $1",
    )
    .bind(&path.id)
    .fetch_one(&mut *tx)
    .await
    .or_unexpected("leyendo la respuesta")?;
    let attachment = super::attachments::info(&mut tx, &path.id).await?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    let view = (|| -> Result<InquiryView, sqlx::Error> {
        Ok(InquiryView {
            id: row.try_get("id")?,
            status: status_from(&row)?,
            text: row.try_get("body")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            overdue: false,
            attachment,
        })
    })()
    .or_unexpected("leyendo la respuesta")?;
    Ok(Json(view))
}

// --- g. join requests -------------------------------------------------------

/// The sectors a person joining may come from.
pub const SECTORS: &[(&str, &str)] = &[
    ("ciudadania", "ciudadania"),
    ("sociedad_civil", "sociedad_civil"),
    ("academia", "academia"),
    ("empresarial", "empresarial"),
    ("comunidad_tecnologica", "comunidad_tecnologica"),
    ("gobierno", "gobierno"),
    ("otro", "otro"),
];

/// A request to join the open-government exercises.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJoinRequest {
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
    /// `ciudadania`, `sociedad_civil`, `academia`, `empresarial`,
    /// `comunidad_tecnologica`, `gobierno` or `otro`.
    pub sector: String,
    /// To be contacted; never published.
    pub email: String,
    /// Why they want to take part (up to 3,000 characters).
    pub reason: String,
    /// Must be absent or empty (a field people do not see).
    #[serde(default)]
    pub website: Option<String>,
}

/// What the public is told about its request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JoinReceipt {
    /// e.g. `SUM-2026-7K3M9X`.
    pub folio: String,
    pub secretariat: String,
    pub secretariat_name: String,
    pub sector: String,
    pub filed_on: String,
}

/// A request to join as the President and the facilitator see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JoinRequestView {
    pub id: String,
    pub folio: String,
    pub name: String,
    pub organisation: Option<String>,
    pub sector: String,
    pub email: String,
    pub reason: String,
    pub filed_on: String,
}

/// Receives a request to join the open-government exercises.
#[utoipa::path(
    post,
    path = "/public/secretariats/{slug}/join-requests",
    tag = "publico",
    summary = "Recibe una solicitud para sumarse a los ejercicios de gobierno abierto y responde con su folio (sin iniciar sesión)",
    params(SlugPath),
    request_body = NewJoinRequest,
    responses(
        (status = 201, description = "Recibida", body = JoinReceipt),
        (status = 400, description = "El cuerpo no es JSON o tiene campos desconocidos", body = Problem),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
        (status = 413, description = "El cuerpo es demasiado grande", body = Problem),
        (status = 422, description = "Datos no válidos", body = Problem),
        (status = 429, description = "Demasiados formularios desde su dirección", body = Problem),
    )
)]
pub async fn create_join_request(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SlugPath>,
    Json(body): Json<NewJoinRequest>,
) -> ApiResult<(Json<JoinReceipt>, StatusCode)> {
    let name = edge::text("name", &body.name, 200)?;
    let organisation = edge::optional_text("organisation", body.organisation.as_deref(), 300)?;
    let sector = edge::one_of("sector", &body.sector, SECTORS)?;
    let email = edge::email("email", &body.email)?;
    let reason = edge::text("reason", &body.reason, 3_000)?;
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let secretariat_id = secretariat_by_slug(&mut conn, &path.slug).await?;
    drop(conn);
    admit_form(&ctx, &caller, body.website.as_deref()).await?;

    let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
    let secretariat = db::secretariat(&mut tx, &secretariat_id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| super::roster::secretariat_not_found(&secretariat_id))?;
    let today = edge::today(secretariat.utc_offset_minutes);
    let folio = new_folio("SUM", today.year());
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO join_requests (id, secretariat_id, folio, name, organisation, sector, email, reason, filed_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(&secretariat_id)
    .bind(&folio)
    .bind(&name)
    .bind(&organisation)
    .bind(sector)
    .bind(&email)
    .bind(&reason)
    .bind(edge::iso(today))
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .or_unexpected("guardando la solicitud")?;
    acknowledge(
        &ctx,
        &mut tx,
        &secretariat,
        Some(&email),
        Some(&name),
        "sumate",
        "recibida",
        &folio,
        &edge::iso(today),
        None,
        None,
        None,
    )
    .await?;
    ctx.audit(
        &mut tx,
        &caller,
        "sumate.recibir",
        Some(&id),
        json!({ "folio": folio, "sector": sector, "secretariado": secretariat_id }),
    )
    .await
    .or_unexpected("registrando en la bitácora")?;
    tx.commit()
        .await
        .or_unexpected("confirmando la transacción")?;
    Ok((
        Json(JoinReceipt {
            folio,
            secretariat: path.slug.clone(),
            secretariat_name: secretariat.name,
            sector: sector.to_string(),
            filed_on: edge::iso(today),
        }),
        StatusCode::CREATED,
    ))
}

/// Lists a secretariat's requests to join.
#[utoipa::path(
    get,
    path = "/secretariats/{id}/join-requests",
    tag = "publico",
    summary = "Lista las solicitudes para sumarse a los ejercicios de gobierno abierto",
    params(SecretariatPath),
    security(("sesion" = [])),
    responses(
        (status = 200, description = "Las más recientes primero", body = Vec<JoinRequestView>),
        (status = 401, description = "Falta iniciar sesión", body = Problem),
        (status = 403, description = "Solo la Presidencia o el facilitador de ese secretariado", body = Problem),
    )
)]
pub async fn list_join_requests(
    State(ctx): State<ServiceContext>,
    caller: Caller,
    Path(path): Path<SecretariatPath>,
) -> ApiResult<Json<Vec<JoinRequestView>>> {
    ensure_secretariat(&caller, &path.id)?;
    let mut conn = connection(&ctx).await?;
    let rows = sqlx::query(
        "SELECT id, folio, name, organisation, sector, email, reason, filed_on FROM join_requests
         WHERE secretariat_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(&path.id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("leyendo las solicitudes")?;
    rows.iter()
        .map(|r| -> Result<JoinRequestView, sqlx::Error> {
            Ok(JoinRequestView {
                id: r.try_get("id")?,
                folio: r.try_get("folio")?,
                name: r.try_get("name")?,
                organisation: r.try_get("organisation")?,
                sector: r.try_get("sector")?,
                email: r.try_get("email")?,
                reason: r.try_get("reason")?,
                filed_on: r.try_get("filed_on")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .or_unexpected("leyendo las solicitudes")
}

// --- open data: aggregate figures -------------------------------------------

/// Questions, complaints or suggestions of one category, counted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InquiryFigures {
    /// `duda`, `queja` or `sugerencia`.
    pub category: String,
    pub received: i64,
    pub answered: i64,
    /// Answered on or before their due date.
    pub answered_on_time: i64,
    /// Not answered and past their due date.
    pub overdue: i64,
}

/// Requests to join from one sector, counted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SectorFigures {
    pub sector: String,
    pub requests: i64,
}

/// The public forms' figures: counts only, never who wrote or what.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicFigures {
    /// `AAAA-MM-DD`, the secretariat's today.
    pub as_of: String,
    /// One row per category, all three always present.
    pub inquiries: Vec<InquiryFigures>,
    /// One row per sector, all of them always present.
    pub join_requests: Vec<SectorFigures>,
}

/// The aggregate figures of a secretariat's public forms.
#[utoipa::path(
    get,
    path = "/public/secretariats/{slug}/figures",
    tag = "publico",
    summary = "Cifras abiertas de las dudas, quejas y sugerencias (recibidas, respondidas, a tiempo, vencidas) y de las solicitudes para sumarse por sector, sin datos personales (sin iniciar sesión)",
    params(SlugPath),
    responses(
        (status = 200, description = "Las cifras", body = PublicFigures),
        (status = 404, description = "No hay un secretariado con ese nombre público", body = Problem),
    )
)]
pub async fn figures(
    State(ctx): State<ServiceContext>,
    Path(path): Path<SlugPath>,
) -> ApiResult<Json<PublicFigures>> {
    ensure_slugs(&ctx).await?;
    let mut conn = connection(&ctx).await?;
    let id = secretariat_by_slug(&mut conn, &path.slug).await?;
    let secretariat = db::secretariat(&mut conn, &id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .ok_or_else(|| super::roster::secretariat_not_found(&id))?;
    let today = edge::iso(edge::today(secretariat.utc_offset_minutes));
    let rows = sqlx::query(
        "SELECT category, status, due_on, answered_at FROM inquiries WHERE secretariat_id = $1",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("contando las dudas, quejas y sugerencias")?;
    let mut inquiries: Vec<InquiryFigures> = CATEGORIES
        .iter()
        .map(|(c, _)| InquiryFigures {
            category: (*c).to_string(),
            received: 0,
            answered: 0,
            answered_on_time: 0,
            overdue: 0,
        })
        .collect();
    for row in rows {
        let read = || -> Result<(String, String, String, Option<i64>), sqlx::Error> {
            Ok((
                row.try_get("category")?,
                row.try_get("status")?,
                row.try_get("due_on")?,
                row.try_get("answered_at")?,
            ))
        };
        let (category, status, due_on, answered_at) =
            read().or_unexpected("contando las dudas, quejas y sugerencias")?;
        let Some(f) = inquiries.iter_mut().find(|f| f.category == category) else {
            continue;
        };
        f.received += 1;
        if status == "respondida" {
            f.answered += 1;
            let answered_on = answered_at
                .map(|at| edge::iso(edge::local_date(at, secretariat.utc_offset_minutes)));
            if answered_on.is_some_and(|on| on <= due_on) {
                f.answered_on_time += 1;
            }
        } else if due_on < today {
            f.overdue += 1;
        }
    }
    let sectors = sqlx::query(
        "SELECT sector, COUNT(*) AS n FROM join_requests WHERE secretariat_id = $1 GROUP BY sector",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .or_unexpected("contando las solicitudes")?;
    let mut join_requests: Vec<SectorFigures> = SECTORS
        .iter()
        .map(|(sector, _)| SectorFigures {
            sector: (*sector).to_string(),
            requests: 0,
        })
        .collect();
    for row in sectors {
        let sector: String = row
            .try_get("sector")
            .or_unexpected("contando las solicitudes")?;
        let n: i64 = row.try_get("n").or_unexpected("contando las solicitudes")?;
        if let Some(f) = join_requests.iter_mut().find(|f| f.sector == sector) {
            f.requests = n;
        }
    }
    Ok(Json(PublicFigures {
        as_of: today,
        inquiries,
        join_requests,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_drop_accents_and_punctuation() {
        assert_eq!(slug_of("STL de Jalisco"), "stl-de-jalisco");
        assert_eq!(
            slug_of("  Secretariado Técnico Local — Nuevo León (2026) "),
            "secretariado-tecnico-local-nuevo-leon-2026"
        );
        assert_eq!(slug_of("¡¿?!"), "stl");
        assert!(slug_of(&"a".repeat(200)).len() <= 60);
        assert!(is_slug(&slug_of("Año Ñandú")));
    }

    #[test]
    fn folios_have_their_prefix_year_and_six_readable_characters() {
        let folio = new_folio("DQS", 2026);
        assert!(folio.starts_with("DQS-2026-"), "{folio}");
        let tail = &folio["DQS-2026-".len()..];
        assert_eq!(tail.len(), 6);
        assert!(tail.bytes().all(|b| FOLIO_ALPHABET.contains(&b)));
        assert_ne!(new_folio("DQS", 2026), new_folio("DQS", 2026));
    }

    #[test]
    fn the_answer_is_due_after_ten_business_days() {
        let calendar = Calendar::new(Vec::new());
        // Friday 4 December 2026 → ten business days: 7–11 and 14–18 December.
        let from = Date::from_calendar_date(2026, time::Month::December, 4).unwrap();
        assert_eq!(
            edge::iso(business_days_after(&calendar, from, 10)),
            "2026-12-18"
        );
    }
}
