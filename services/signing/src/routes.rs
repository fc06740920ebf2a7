//! Signing routes: open one on an approved record, refuse, cancel, and the
//! remote two-step signature (`prepare` → the bytes to sign; `complete` →
//! the signature value embedded, verified, stored).
//!
//! Concurrency: every signer prepares on the route's current revision; a
//! `complete` stores its revision only through a compare-and-swap of the
//! route's `current_sha256` from the revision its prepare saw. Two members
//! completing at the same moment: one swap wins, the other finds the hash
//! changed and is refused 409 ("prepare again"). No revision is ever lost
//! or overwritten, and every stored revision contains every earlier
//! signature, because it was built on the one before it.
//!
//! A refused `complete` cannot be rebased: its CMS signs the digest of the
//! exact bytes of the revision it was prepared on. So, to keep signers from
//! wasting rounds, a `prepare` first takes the route's *turn* (see
//! [`Turns`]): the signers of one route then prepare one after another, each
//! on the revision the previous one completed, instead of racing. The turn
//! is only a queue in this process; the compare-and-swap above stays what
//! guarantees correctness (several replicas, an expired turn, a client that
//! never completes).

use rubrica_contracts::client::{As, CallError, ServiceClient};
use rubrica_contracts::events;
use rubrica_contracts::views::{DocumentSummary, RequiredSigner};
use rubrica_platform::OrUnexpected;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::digest::Sha256;
use rubrica_fiel::{Certificate, FielError, Validator};
use rubrica_pdfsign::{
    LayoutManifest, PdfSignError, PrepareOptions, PreparedRevision, Verdict, VerificationReport,
};
use rubrica_platform::db::now_ms;
use rubrica_platform::{ApiError, ApiResult, Caller, Role, ServiceContext, ServiceName};
use serde_json::json;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::db::{self, NewHistory, PrepareRow, RouteRow, SignerRow};
use crate::model::*;

/// Signer statuses, as stored and shown.
pub const PENDING: &str = "pendiente";
pub const SIGNED: &str = "firmado";
pub const REFUSED: &str = "rechazado";

/// Route statuses.
pub const OPEN: &str = "abierta";
pub const COMPLETED: &str = "completada";
pub const CANCELLED: &str = "cancelada";

/// The service's logic, shared by its handlers.
#[derive(Clone)]
pub struct Signing {
    context: ServiceContext,
    /// Built from `auth.trust_anchors_dir`; `Err` keeps the Spanish reason
    /// signing is unavailable (refused, never waved through).
    signer_validator: Result<Arc<Validator>, Arc<str>>,
    /// For reports: the configured anchors, or none (then every chain is
    /// indeterminate, never valid). `None` only if even that could not be
    /// built; reports then answer 503.
    verifier: Option<Arc<Validator>>,
    /// Bounds the CPU-heavy work (PDF parsing, hashing, verification).

    /// Each route's signing turn: who prepared last and has not completed.
    turns: Arc<Turns>,
}

/// How long a prepare keeps its route's turn waiting for its `complete`:
/// a signing client (CLI, browser) answers in well under a second; a
/// client that never completes holds the others back at most this long.
const TURN_LEASE: Duration = Duration::from_secs(5);

/// How long a prepare waits for its route's turn before it prepares
/// anyway (and may then be refused as stale at `complete`, as without turns).
const TURN_WAIT: Duration = Duration::from_secs(20);

/// Per-route signing turns, in this process.
///
/// `prepare` takes its route's turn before reading the current revision and
/// keeps it (under its prepare id) until its `complete` has stored the
/// revision or failed, or until [`TURN_LEASE`] passes. Another signer's
/// `prepare` waits in line (first come, first served) instead of building on
/// a revision that is about to be replaced, so a route with n signers
/// signing at once takes n prepares and n completes, not up to n(n+1)/2.
/// A signer who prepares again gives up the turn of their earlier prepare.
#[derive(Default)]
struct Turns {
    /// One lock per route with signers in line (pruned when idle).
    routes: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Turns held by a prepare waiting for its `complete`, by prepare id.
    held: std::sync::Mutex<HashMap<String, HeldTurn>>,
}

/// A turn a prepare holds.
struct HeldTurn {
    route: String,
    signer: String,
    _turn: OwnedMutexGuard<()>,
}

impl Turns {
    /// Waits (at most [`TURN_WAIT`]) for `route`'s turn for `signer`; `None`
    /// if it did not come in time.
    async fn take(&self, route: &str, signer: &str) -> Option<OwnedMutexGuard<()>> {
        let superseded: Vec<HeldTurn> = {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            let mine: Vec<String> = held
                .iter()
                .filter(|(_, h)| h.route == route && h.signer == signer)
                .map(|(id, _)| id.clone())
                .collect();
            mine.iter().filter_map(|id| held.remove(id)).collect()
        };
        drop(superseded);
        let lock = {
            let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
            routes.retain(|_, lock| Arc::strong_count(lock) > 1);
            routes.entry(route.to_string()).or_default().clone()
        };
        tokio::time::timeout(TURN_WAIT, lock.lock_owned())
            .await
            .ok()
    }

    /// Keeps `turn` for `prepare_id` until [`Turns::release`] or the lease ends.
    fn hold(
        self: &Arc<Self>,
        prepare_id: &str,
        route: &str,
        signer: &str,
        turn: OwnedMutexGuard<()>,
    ) {
        let held = HeldTurn {
            route: route.to_string(),
            signer: signer.to_string(),
            _turn: turn,
        };
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(prepare_id.to_string(), held);
        let (turns, id) = (Arc::downgrade(self), prepare_id.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(TURN_LEASE).await;
            if let Some(turns) = turns.upgrade() {
                turns.release(&id);
            }
        });
    }

    /// Gives up the turn `prepare_id` holds, if any.
    fn release(&self, prepare_id: &str) {
        let turn = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(prepare_id);
        drop(turn);
    }
}

/// Releases a prepare's turn however `complete` ends.
struct ReleaseTurn<'a> {
    turns: &'a Turns,
    prepare_id: String,
}

impl Drop for ReleaseTurn<'_> {
    fn drop(&mut self) {
        self.turns.release(&self.prepare_id);
    }
}

/// A library refusal as an HTTP answer: the person's fault → 4xx with the
/// library's Spanish text; ours → 500.
fn pdf_error(error: PdfSignError) -> ApiError {
    if !error.is_caused_by_input() {
        return ApiError::Unexpected(anyhow::Error::new(error).context("firmando el PDF"));
    }
    match error {
        PdfSignError::AlreadySigned { .. } => ApiError::Conflict(error.to_string()),
        PdfSignError::TooLarge { .. } => ApiError::PayloadTooLarge(error.to_string()),
        other => ApiError::Unprocessable(other.to_string()),
    }
}

fn fiel_error(error: FielError) -> ApiError {
    if error.is_caused_by_input() {
        ApiError::Unprocessable(error.to_string())
    } else {
        ApiError::Unexpected(anyhow::Error::new(error).context("validando el certificado"))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn decode_base64(text: &str, what: &str) -> ApiResult<Vec<u8>> {
    BASE64.decode(text.trim()).map_err(|_| {
        ApiError::BadRequest(format!(
            "El campo «{what}» no es base64 válido (alfabeto estándar, con relleno «=»). Codifique los bytes y vuelva a enviarlo."
        ))
    })
}

/// Route ids are UUIDs; anything else is a malformed URL (400), not a
/// missing route.
fn check_route_id(id: &str) -> ApiResult<()> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| {
        ApiError::BadRequest(format!(
            "«{}» no es un identificador de ruta de firma (son UUID, como 0193a5b2-…). Revise la URL.",
            id.chars().take(60).collect::<String>()
        ))
    })
}

fn route_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe la ruta de firma «{id}» o no pertenece a su secretariado. Revise el identificador."
    ))
}

impl Signing {
    /// Loads the trust anchors and wraps the context.
    pub fn new(context: ServiceContext) -> Self {
        let signer_validator =
            rubrica_platform::trust::validator(&context.settings).map_err(Arc::from);
        let verifier = Some(match &signer_validator {
            Ok(v) => v.clone(),
            Err(_) => rubrica_platform::trust::untrusted_validator(&context.settings),
        });
        Signing {
            context,
            signer_validator,
            verifier,
            turns: Arc::default(),
        }
    }

    /// The service's context.
    pub fn context(&self) -> &ServiceContext {
        &self.context
    }

    /// Runs CPU-heavy work off the async threads, in the process's bounded
    /// pool (503 when its queue is full), in the request's span.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        self.context.compute.run(work).await
    }

    async fn conn(&self) -> ApiResult<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.context
            .db
            .pool()
            .acquire()
            .await
            .or_unexpected("abriendo conexión")
    }

    /// The signing service's base URL, as other services and the CLI reach it.
    fn server(&self) -> String {
        if let Some(url) = self.context.service_url(ServiceName::Signing) {
            return url.trim_end_matches('/').to_string();
        }
        match &self.context.settings.http.public_url {
            Some(public) => format!("{}/signing", public.trim_end_matches('/')),
            None => "/signing".into(),
        }
    }

    fn web_base(&self, server: &str) -> String {
        match &self.context.settings.http.public_url {
            Some(public) => public.trim_end_matches('/').to_string(),
            None => server.trim_end_matches("/signing").to_string(),
        }
    }

    fn route_info(&self, route: &RouteRow) -> RouteInfo {
        let server = self.server();
        RouteInfo {
            id: route.id.clone(),
            title: route.title.clone(),
            record_kind: route.record_kind.clone(),
            folio: route.folio.clone(),
            // The members' web platform's signing page (services/web, at
            // the suite's root): the public URL when configured, else the
            // signing service's URL without its prefix.
            sign_url: format!("{}/firmar/{}", self.web_base(&server), route.id),
            server,
            due_on: route.due_on.clone(),
        }
    }

    fn recipients(route: &RouteRow) -> ApiResult<RouteRecipients> {
        serde_json::from_str(&route.recipients).map_err(|e| {
            ApiError::Unexpected(
                anyhow::Error::new(e).context("leyendo los destinatarios de la ruta"),
            )
        })
    }

    /// A route the caller may see (their secretariat's; the operator sees all).
    async fn visible_route(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        id: &str,
    ) -> ApiResult<RouteRow> {
        check_route_id(id)?;
        let route = db::route(conn, id)
            .await
            .or_unexpected("leyendo la ruta")?
            .ok_or_else(|| route_not_found(id))?;
        let in_scope = caller.has_any(&[Role::Operator])
            || caller.secretariat_id.as_deref() == Some(route.secretariat_id.as_str());
        if !in_scope {
            return Err(route_not_found(id));
        }
        if outgoing_only(caller) {
            let signers = db::signers(conn, &route.id)
                .await
                .or_unexpected("leyendo los firmantes")?;
            let signs = caller
                .member_id
                .as_deref()
                .is_some_and(|me| signers.iter().any(|s| s.signer_id == me));
            if !signs {
                return Err(route_not_found(id));
            }
        }
        Ok(route)
    }

    /// The full view of a route.
    async fn view(&self, conn: &mut sqlx::AnyConnection, route: RouteRow) -> ApiResult<RouteView> {
        let signers = db::signers(conn, &route.id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        let revisions = db::route_revisions(conn, &route.id)
            .await
            .or_unexpected("leyendo las revisiones")?;
        let history = db::history(conn, &route.id)
            .await
            .or_unexpected("leyendo el historial")?;
        let pending = signers
            .iter()
            .filter(|s| s.status != SIGNED)
            .map(|s| s.signer_id.clone())
            .collect();
        Ok(RouteView {
            id: route.id,
            secretariat_id: route.secretariat_id,
            title: route.title,
            record_kind: route.record_kind,
            folio: route.folio,
            due_on: route.due_on,
            document_id: route.document_id,
            order: route.sign_order,
            status: route.status,
            current_sha256: route.current_sha256,
            final_sha256: route.final_sha256,
            cancel_reason: route.cancel_reason,
            signers: signers.into_iter().map(signer_view).collect(),
            pending,
            revisions,
            history,
            created_at: route.created_at,
            updated_at: route.updated_at,
            closed_at: route.closed_at,
        })
    }

    /// `GET /routes/{id}`.
    pub async fn get(&self, caller: &Caller, id: &str) -> ApiResult<RouteView> {
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        self.view(&mut conn, route).await
    }

    /// `GET /routes`: the caller's secretariat's routes, newest first.
    pub async fn list(&self, caller: &Caller, limit: i64) -> ApiResult<Vec<RouteView>> {
        let scope = if caller.has_any(&[Role::Operator]) {
            None
        } else {
            Some(caller.secretariat_id.clone().ok_or_else(|| {
                ApiError::Forbidden(
                    "Su sesión no pertenece a ningún secretariado: use una sesión del secretariado cuyas rutas quiere consultar.".into(),
                )
            })?)
        };
        let mut conn = self.conn().await?;
        let routes = db::routes(&mut conn, scope.as_deref(), limit)
            .await
            .or_unexpected("listando las rutas")?;
        let mut out = Vec::with_capacity(routes.len());
        let only_mine = outgoing_only(caller).then(|| caller.member_id.clone().unwrap_or_default());
        for route in routes {
            let view = self.view(&mut conn, route).await?;
            if only_mine
                .as_deref()
                .is_some_and(|me| !view.signers.iter().any(|s| s.id == me))
            {
                continue;
            }
            out.push(view);
        }
        Ok(out)
    }

    /// The bytes of the route's current revision (or its final one).
    pub async fn pdf(
        &self,
        caller: &Caller,
        id: &str,
        final_only: bool,
    ) -> ApiResult<(String, Vec<u8>)> {
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        self.route_pdf(&mut conn, &route, final_only).await
    }

    /// The final PDF for another service (mail, archive), by internal token.
    pub async fn final_pdf_internal(&self, id: &str) -> ApiResult<(String, Vec<u8>)> {
        check_route_id(id)?;
        let mut conn = self.conn().await?;
        let route = db::route(&mut conn, id)
            .await
            .or_unexpected("leyendo la ruta")?
            .ok_or_else(|| route_not_found(id))?;
        self.route_pdf(&mut conn, &route, true).await
    }

    async fn route_pdf(
        &self,
        conn: &mut sqlx::AnyConnection,
        route: &RouteRow,
        final_only: bool,
    ) -> ApiResult<(String, Vec<u8>)> {
        let sha = if final_only {
            route.final_sha256.clone().ok_or_else(|| {
                ApiError::NotFound(format!(
                    "La ruta «{}» aún no tiene el PDF final: faltan firmas (estado: {}). Descargue la versión actual en /routes/{}/pdf.",
                    route.id, route.status, route.id
                ))
            })?
        } else {
            route.current_sha256.clone()
        };
        let bytes = db::revision(conn, &sha)
            .await
            .or_unexpected("leyendo la revisión")?
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "falta la revisión {sha} de la ruta {}",
                    route.id
                ))
            })?;
        Ok((sha, bytes))
    }

    /// `GET /routes/{id}/verification`: the current revision's report.
    pub async fn verification(&self, caller: &Caller, id: &str) -> ApiResult<VerificationReport> {
        let (_, bytes) = self.pdf(caller, id, false).await?;
        self.verify_bytes(bytes).await
    }

    /// Verifies any PDF with the configured anchors.
    pub async fn verify_bytes(&self, bytes: Vec<u8>) -> ApiResult<VerificationReport> {
        self.check_size(bytes.len())?;
        let verifier = self.verifier()?;
        self.blocking(move || rubrica_pdfsign::verify(&bytes, &verifier))
            .await?
            .map_err(pdf_error)
    }

    fn verifier(&self) -> ApiResult<Arc<Validator>> {
        self.verifier.clone().ok_or_else(|| {
            ApiError::Unavailable(
                "La verificación de firmas no está disponible en este momento. Avise al administrador.".into(),
            )
        })
    }

    fn check_size(&self, size: usize) -> ApiResult<()> {
        let max = self.context.settings.signing.max_pdf_bytes;
        if size > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "El PDF mide {size} bytes y el servicio de firma acepta hasta {max} (signing.max_pdf_bytes). Verifique que eligió el acta correcta."
            )));
        }
        Ok(())
    }

    /// `POST /routes`: opens a route on an approved record.
    pub async fn open(&self, caller: &Caller, request: OpenRoute) -> ApiResult<RouteView> {
        if !caller.has_any(&[Role::Operator])
            && caller.secretariat_id.as_deref() != Some(request.secretariat.id.as_str())
        {
            return Err(ApiError::Forbidden(format!(
                "Solo puede abrir rutas de firma de su propio secretariado; la solicitud nombra «{}». Revise el campo secretariat.id.",
                request.secretariat.id
            )));
        }
        let title = request.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 300 {
            return Err(ApiError::Unprocessable(
                "El título es obligatorio y de hasta 300 caracteres (por ejemplo «Acta de la sesión ordinaria 2026-ORD-01»).".into(),
            ));
        }
        let record_kind = request.record_kind.trim().to_ascii_lowercase();
        if !matches!(
            record_kind.as_str(),
            "acta" | "minuta" | "entrega_recepcion" | "informe"
        ) {
            return Err(ApiError::Unprocessable(format!(
                "El tipo de registro «{}» no es válido: use «acta» (sesiones), «minuta» (reuniones de trabajo), «entrega_recepcion» (actas de entrega-recepción) o «informe» (informes de actividades).",
                request.record_kind
            )));
        }
        // Session records (actas, minutas) are opened only on the approved
        // document: a PDF and layout from the caller could name anyone.
        let session_record = matches!(record_kind.as_str(), "acta" | "minuta");
        if session_record && request.document_id.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "Un registro de tipo «{record_kind}» se firma solo sobre el documento aprobado del servicio de documentos: envíe «document_id» (sin «pdf_base64» ni «layout»). Un PDF enviado en la solicitud solo se admite para entregas-recepción e informes."
            )));
        }
        if let Some(due) = &request.due_on {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            if time::Date::parse(due, format).is_err() {
                return Err(ApiError::Unprocessable(format!(
                    "La fecha límite «{due}» no es válida: escríbala como AAAA-MM-DD."
                )));
            }
        }
        if request.secretariat.name.trim().is_empty() {
            return Err(ApiError::Unprocessable(
                "Falta el nombre del secretariado (secretariat.name): aparece en las invitaciones a firmar.".into(),
            ));
        }

        let (pdf, layout_json) = match (&request.pdf_base64, &request.layout, &request.document_id)
        {
            (Some(pdf), Some(layout), None) => {
                let bytes = decode_base64(pdf, "pdf_base64")?;
                let layout = serde_json::to_vec(layout).map_err(|e| {
                    ApiError::Unexpected(anyhow::Error::new(e).context("leyendo el manifiesto"))
                })?;
                (bytes, layout)
            }
            (None, None, Some(document_id)) => {
                self.fetch_document(
                    document_id,
                    &request.secretariat.id,
                    session_record.then_some(record_kind.as_str()),
                )
                .await?
            }
            _ => {
                return Err(ApiError::Unprocessable(
                    "Envíe el acta aprobada de una de dos formas: «pdf_base64» junto con «layout» (el manifiesto de diseño), o solo «document_id» del servicio de documentos.".into(),
                ));
            }
        };
        self.check_size(pdf.len())?;
        if !pdf.starts_with(b"%PDF-") {
            return Err(ApiError::Unprocessable(
                "El contenido no es un PDF (no empieza con «%PDF-»). Envíe el acta aprobada tal como la generó el servicio de documentos.".into(),
            ));
        }
        let layout = LayoutManifest::from_json(&layout_json).map_err(pdf_error)?;

        let signable = {
            let (pdf, layout) = (pdf.clone(), layout.clone());
            self.blocking(move || rubrica_pdfsign::make_signable(&pdf, &layout))
                .await?
                .map_err(pdf_error)?
        };

        let now = now_ms();
        let recipients = RouteRecipients {
            secretariat: request.secretariat.clone(),
            members: request.members.clone(),
            facilitators: request.facilitators.clone(),
        };
        let email_of = |member_id: &str| {
            request
                .members
                .iter()
                .find(|m| m.member_id.as_deref() == Some(member_id))
                .and_then(|m| m.email.clone())
        };
        let signers: Vec<SignerRow> = layout
            .signers
            .iter()
            .enumerate()
            .map(|(i, s)| SignerRow {
                signer_id: s.signer.id.clone(),
                position: i as i64,
                name: s.signer.name.clone(),
                rfc: s.signer.rfc.trim().to_ascii_uppercase(),
                seat: s.signer.seat.clone(),
                role: s.signer.role.clone(),
                email: email_of(&s.signer.id),
                status: PENDING.into(),
                signed_at: None,
                certificate_number: None,
                refusal_reason: None,
                refused_at: None,
            })
            .collect();
        let original_sha = sha256_hex(&pdf);
        let signable_sha = sha256_hex(&signable);
        let route = RouteRow {
            id: uuid::Uuid::now_v7().to_string(),
            secretariat_id: request.secretariat.id.clone(),
            title,
            record_kind,
            folio: request.folio.clone().filter(|f| !f.trim().is_empty()),
            due_on: request.due_on.clone(),
            document_id: request.document_id.clone(),
            sign_order: request.order.as_str().into(),
            status: OPEN.into(),
            original_sha256: original_sha.clone(),
            signable_sha256: signable_sha.clone(),
            current_sha256: signable_sha.clone(),
            final_sha256: None,
            layout: String::from_utf8_lossy(&layout_json).into_owned(),
            recipients: serde_json::to_string(&recipients).map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("guardando destinatarios"))
            })?,
            cancel_reason: None,
            opened_by: caller.actor_id.clone(),
            created_at: now,
            updated_at: now,
            closed_at: None,
        };

        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        db::insert_revision(&mut tx, &original_sha, &pdf, now)
            .await
            .or_unexpected("guardando el acta aprobada")?;
        db::insert_revision(&mut tx, &signable_sha, &signable, now)
            .await
            .or_unexpected("guardando la revisión firmable")?;
        db::insert_route(&mut tx, &route)
            .await
            .or_unexpected("guardando la ruta")?;
        for signer in &signers {
            db::insert_signer(&mut tx, &route.id, signer)
                .await
                .or_unexpected("guardando los firmantes")?;
        }
        db::add_route_revision(&mut tx, &route.id, &original_sha, "aprobada", None, now)
            .await
            .or_unexpected("registrando la revisión")?;
        db::add_route_revision(&mut tx, &route.id, &signable_sha, "firmable", None, now)
            .await
            .or_unexpected("registrando la revisión")?;
        let details = json!({
            "titulo": route.title,
            "orden": route.sign_order,
            "firmantes": signers.iter().map(|s| &s.signer_id).collect::<Vec<_>>(),
            "acta_sha256": original_sha,
            "firmable_sha256": signable_sha,
            "documento": route.document_id,
        });
        db::append_history(
            &mut tx,
            &route.id,
            NewHistory {
                action: "abierta",
                actor_id: &caller.actor_id,
                actor_name: &caller.name,
                signer_id: None,
                certificate_number: None,
                address: caller.address.as_deref(),
                details: details.clone(),
            },
            now,
        )
        .await
        .or_unexpected("registrando el historial")?;
        self.context
            .audit(&mut tx, caller, "ruta.abierta", Some(&route.id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        let opened = RouteOpened {
            secretariat: recipients.secretariat.clone(),
            route: self.route_info(&route),
            signers: signers
                .iter()
                .map(|s| Recipient {
                    member_id: Some(s.signer_id.clone()),
                    name: s.name.clone(),
                    email: s.email.clone(),
                })
                .collect(),
            facilitators: recipients.facilitators.clone(),
        };
        self.context
            .outbox
            .record(&mut tx, events::ROUTE_OPENED, &opened)
            .await
            .or_unexpected("registrando el evento")?;
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la ruta")?;
        tracing::info!(route_id = %route.id, signers = signers.len(), "ruta de firma abierta");
        let mut conn = self.conn().await?;
        self.view(&mut conn, route).await
    }

    /// The approved PDF and layout of a document of the documents service.
    ///
    /// The document must belong to `secretariat_id` and, for a session
    /// record, be of `kind`.
    async fn fetch_document(
        &self,
        document_id: &str,
        secretariat_id: &str,
        kind: Option<&str>,
    ) -> ApiResult<(Vec<u8>, Vec<u8>)> {
        let id = document_id.trim();
        if id.is_empty()
            || id.len() > 100
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(ApiError::Unprocessable(format!(
                "El identificador de documento «{document_id}» no es válido: use el id que asignó el servicio de documentos."
            )));
        }
        let not_approved = || {
            ApiError::Unprocessable(format!(
                "El servicio de documentos no tiene una versión aprobada del documento «{id}». Apruebe el documento antes de abrir su firma."
            ))
        };
        let documents = ServiceClient::new(&self.context, ServiceName::Documents)
            .max_body(self.context.settings.signing.max_pdf_bytes + 1);
        // Whose document it is: the view the documents service shows.
        let view: DocumentSummary = documents
            .get_json(&format!("/internal/documents/{id}"), As::Internal)
            .await
            .map_err(|e| match e.status() {
                Some(404) => not_approved(),
                _ => e.into(),
            })?;
        let owner = view.secretariat_id.as_deref().unwrap_or_default();
        if owner != secretariat_id {
            return Err(ApiError::Forbidden(format!(
                "El documento «{id}» es del secretariado «{}», no de «{secretariat_id}»: solo se abre la firma de los documentos del propio secretariado. Revise el identificador del documento.",
                if owner.is_empty() { "(ninguno)" } else { owner }
            )));
        }
        if let Some(kind) = kind
            && view.kind != kind
        {
            return Err(ApiError::Unprocessable(format!(
                "El documento «{id}» es de tipo «{}», no «{kind}»: abra la firma con el tipo de registro del documento.",
                view.kind
            )));
        }
        let mut out = Vec::new();
        for part in ["pdf", "layout"] {
            let bytes = documents
                .get_bytes(&format!("/internal/documents/{id}/{part}"), As::Internal)
                .await
                .map_err(|e| match e {
                    CallError::TooLarge { .. } => ApiError::PayloadTooLarge(format!(
                        "El PDF del documento «{id}» excede lo que acepta el servicio de firma ({} bytes, signing.max_pdf_bytes).",
                        self.context.settings.signing.max_pdf_bytes
                    )),
                    e if matches!(e.status(), Some(404 | 409 | 422)) => not_approved(),
                    e => e.into(),
                })?;
            self.check_size(bytes.len())?;
            out.push(bytes);
        }
        let layout = out.pop().unwrap_or_default();
        let pdf = out.pop().unwrap_or_default();
        if kind.is_some() {
            let session = view.session_id.as_deref().unwrap_or_default();
            if session.is_empty() {
                return Err(ApiError::Unprocessable(format!(
                    "El documento «{id}» no pertenece a ninguna sesión: un acta o minuta se firma solo si se redactó a partir de una sesión cerrada."
                )));
            }
            let manifest = LayoutManifest::from_json(&layout).map_err(pdf_error)?;
            let required = self.session_signers(session).await?;
            signers_match(&manifest, &required)?;
        }
        Ok((pdf, layout))
    }

    /// Who must sign the record of `session`, from the secretariat (its
    /// attendance when it closed and the member registry).
    async fn session_signers(&self, session: &str) -> ApiResult<Vec<RequiredSigner>> {
        ServiceClient::new(&self.context, ServiceName::Secretariat)
            .get_json(&format!("/internal/sessions/{session}/signers"), As::Internal)
            .await
            .map_err(|e| match e.status() {
                Some(404 | 409) => ApiError::Unprocessable(format!(
                    "La sesión «{session}» del documento no existe o no se ha cerrado: un acta o minuta se firma cuando su sesión ya cerró."
                )),
                _ => e.into(),
            })
    }

    /// `POST /routes/{id}/refuse`: the caller, a pending signer, refuses.
    pub async fn refuse(
        &self,
        caller: &Caller,
        id: &str,
        refusal: Refusal,
    ) -> ApiResult<RouteView> {
        if !caller.can_sign() {
            return Err(ApiError::Forbidden(
                "Para rechazar la firma inicie sesión con su e.firma (FIEL), como para firmar, por ejemplo con «rubrica login --server URL --cer su.cer --key su.key --password-file contraseña.txt»: un enlace por correo o un token de API no permiten rechazar.".into(),
            ));
        }
        let reason = refusal.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(ApiError::Unprocessable(
                "Escriba el motivo del rechazo (de 1 a 2000 caracteres): queda en la ruta y en el archivo.".into(),
            ));
        }
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        let signers = db::signers(&mut conn, id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        drop(conn);
        let signer = caller_signer(caller, &signers).ok_or_else(|| {
            ApiError::Forbidden(
                "Usted no es firmante de esta ruta: solo quien debe firmar puede rechazar la firma.".into(),
            )
        })?;
        ensure_open(&route)?;
        match signer.status.as_str() {
            SIGNED => {
                return Err(ApiError::Conflict(
                    "Usted ya firmó esta acta: una firma no se retira con un rechazo. Si hay un error en el acta, pida al facilitador que cancele la ruta.".into(),
                ));
            }
            REFUSED => {
                return Err(ApiError::Conflict(
                    "Usted ya rechazó firmar esta acta; su motivo quedó registrado.".into(),
                ));
            }
            _ => {}
        }
        let recipients = Self::recipients(&route)?;
        let now = now_ms();
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        db::lock_route(&mut tx, id)
            .await
            .or_unexpected("bloqueando la ruta")?;
        if !db::mark_refused(&mut tx, id, &signer.signer_id, &reason, now)
            .await
            .or_unexpected("registrando el rechazo")?
        {
            return Err(ApiError::Conflict(
                "Su estado en la ruta cambió mientras tanto (firmó o rechazó). Consulte la ruta de nuevo.".into(),
            ));
        }
        let details = json!({ "firmante": signer.signer_id, "motivo": reason });
        db::append_history(
            &mut tx,
            id,
            NewHistory {
                action: "rechazada",
                actor_id: &caller.actor_id,
                actor_name: &caller.name,
                signer_id: Some(&signer.signer_id),
                certificate_number: None,
                address: caller.address.as_deref(),
                details: details.clone(),
            },
            now,
        )
        .await
        .or_unexpected("registrando el historial")?;
        self.context
            .audit(&mut tx, caller, "ruta.rechazada", Some(id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        let refused = RouteRefused {
            secretariat: recipients.secretariat.clone(),
            route: self.route_info(&route),
            member: Recipient {
                member_id: Some(signer.signer_id.clone()),
                name: signer.name.clone(),
                email: signer.email.clone(),
            },
            reason,
            facilitators: recipients.facilitators.clone(),
        };
        self.context
            .outbox
            .record(&mut tx, events::ROUTE_REFUSED, &refused)
            .await
            .or_unexpected("registrando el evento")?;
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando el rechazo")?;
        self.get(caller, id).await
    }

    /// `POST /routes/{id}/cancel`: the facilitator (or the President) cancels
    /// an open route. Nothing is deleted.
    pub async fn cancel(
        &self,
        caller: &Caller,
        id: &str,
        cancellation: Cancellation,
    ) -> ApiResult<RouteView> {
        let reason = cancellation
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
            return Err(ApiError::Unprocessable(
                "El motivo de la cancelación excede 2000 caracteres: abrévielo.".into(),
            ));
        }
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        drop(conn);
        ensure_open(&route)?;
        let now = now_ms();
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        if !db::close_route(&mut tx, id, CANCELLED, None, reason.as_deref(), now)
            .await
            .or_unexpected("cancelando la ruta")?
        {
            return Err(ApiError::Conflict(
                "La ruta ya no está abierta (se completó o se canceló mientras tanto). Consulte su estado.".into(),
            ));
        }
        let details = json!({ "motivo": reason });
        db::append_history(
            &mut tx,
            id,
            NewHistory {
                action: "cancelada",
                actor_id: &caller.actor_id,
                actor_name: &caller.name,
                signer_id: None,
                certificate_number: None,
                address: caller.address.as_deref(),
                details: details.clone(),
            },
            now,
        )
        .await
        .or_unexpected("registrando el historial")?;
        self.context
            .audit(&mut tx, caller, "ruta.cancelada", Some(id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        self.context
            .outbox
            .record(
                &mut tx,
                events::ROUTE_CANCELLED,
                &RouteCancelled {
                    route_id: id.to_string(),
                    reason,
                },
            )
            .await
            .or_unexpected("registrando el evento")?;
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la cancelación")?;
        self.get(caller, id).await
    }

    /// `POST /routes/{id}/prepare`: checks the certificate and the signer,
    /// builds the signer's revision on the current one, and returns the bytes
    /// to sign. Stores only the prepared revision (public data).
    pub async fn prepare(
        &self,
        caller: &Caller,
        id: &str,
        request: PrepareRequest,
    ) -> ApiResult<PrepareResponse> {
        if !caller.can_sign() {
            return Err(ApiError::Forbidden(
                "Para firmar inicie sesión con su e.firma (FIEL), por ejemplo con «rubrica login --server URL --cer su.cer --key su.key --password-file contraseña.txt»: un enlace por correo o un token de API no permiten firmar.".into(),
            ));
        }
        let validator = match &self.signer_validator {
            Ok(v) => v.clone(),
            Err(reason) => {
                return Err(ApiError::Unavailable(format!(
                    "La firma no está disponible: {reason}. Avise al administrador."
                )));
            }
        };
        let der = decode_base64(&request.certificate, "certificate")?;
        let certificate = Certificate::from_bytes(&der).map_err(fiel_error)?;
        // Certificate first (CSD, expired, untrusted), then who it is.
        let signing_time = time::OffsetDateTime::now_utc();
        certificate.ensure_fiel().map_err(fiel_error)?;
        validator
            .validate(&certificate, signing_time)
            .ensure_valid()
            .map_err(fiel_error)?;
        let cert_rfc = certificate.rfc().as_str().to_ascii_uppercase();
        let session_rfc = caller.rfc.as_deref().map(str::to_ascii_uppercase);
        if session_rfc.as_deref() != Some(cert_rfc.as_str()) {
            return Err(ApiError::Forbidden(format!(
                "El certificado es de RFC {cert_rfc}, pero su sesión es de {}. Firme con su propia e.firma, la misma con la que inició sesión.",
                session_rfc.as_deref().unwrap_or("otra persona")
            )));
        }

        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        let signers = db::signers(&mut conn, id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        ensure_open(&route)?;
        let signer = signers
            .iter()
            .find(|s| s.rfc.eq_ignore_ascii_case(&cert_rfc))
            .ok_or_else(|| {
                ApiError::Forbidden(format!(
                    "El RFC {cert_rfc} no está entre los firmantes de esta acta. Si usted asistió y debe firmar, pida al facilitador que abra la firma con la lista correcta."
                ))
            })?;
        if signer.status == SIGNED {
            return Err(ApiError::Conflict(format!(
                "{} ya firmó esta acta. No es necesario firmar de nuevo.",
                signer.name
            )));
        }
        if SignOrder::parse(&route.sign_order) == SignOrder::Sequential
            && let Some(before) = signers
                .iter()
                .find(|s| s.position < signer.position && s.status != SIGNED)
        {
            return Err(ApiError::Conflict(format!(
                "Esta acta se firma en orden y aún falta la firma de {}. Firme cuando le llegue su turno.",
                before.name
            )));
        }
        let signer = signer.clone();
        drop(conn);
        // In line behind the signer who prepared last, so this prepare
        // builds on the revision that one completes.
        let turn = self.turns.take(id, &signer.signer_id).await;
        let mut conn = self.conn().await?;
        let route = db::route(&mut conn, id)
            .await
            .or_unexpected("leyendo la ruta")?
            .ok_or_else(|| route_not_found(id))?;
        ensure_open(&route)?;
        let base_sha = route.current_sha256.clone();
        let base = db::revision(&mut conn, &base_sha)
            .await
            .or_unexpected("leyendo la revisión actual")?
            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("falta la revisión {base_sha}")))?;
        drop(conn);

        let location = self.context.settings.signing.location.clone();
        let shown_location = location.clone();
        let prepared = self
            .blocking(move || {
                let options = PrepareOptions {
                    signing_time,
                    chain: Vec::new(),
                    validator: Some(&validator),
                    location,
                };
                let prepared = rubrica_pdfsign::prepare(&base, &certificate, &options)?;
                let state = serde_json::to_vec(&prepared.state).map_err(|e| {
                    PdfSignError::InvalidPrepared {
                        detail: e.to_string(),
                    }
                })?;
                let chain = prepared
                    .state
                    .chain()
                    .iter()
                    .map(|der| BASE64.encode(der))
                    .collect::<Vec<_>>();
                Ok::<_, PdfSignError>((
                    prepared.to_sign.clone(),
                    prepared.digest(),
                    state,
                    certificate,
                    chain,
                ))
            })
            .await?
            .map_err(pdf_error)?;
        let (to_sign, digest, state, certificate, chain) = prepared;
        let number = certificate.display_number();

        let now = now_ms();
        let ttl_ms = self
            .context
            .settings
            .signing
            .prepare_ttl_seconds
            .saturating_mul(1000) as i64;
        let expires_at = now.saturating_add(ttl_ms);
        let prepare_id = uuid::Uuid::new_v4().to_string();
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        db::lock_route(&mut tx, id)
            .await
            .or_unexpected("bloqueando la ruta")?;
        db::forget_expired_prepares(&mut tx, now)
            .await
            .or_unexpected("olvidando firmas preparadas vencidas")?;
        db::insert_prepare(
            &mut tx,
            &prepare_id,
            id,
            &signer.signer_id,
            &base_sha,
            &number,
            &caller.actor_id,
            &state,
            now,
            expires_at,
        )
        .await
        .or_unexpected("guardando la firma preparada")?;
        let details = json!({ "preparacion": prepare_id, "sobre": base_sha, "vence": expires_at });
        db::append_history(
            &mut tx,
            id,
            NewHistory {
                action: "preparada",
                actor_id: &caller.actor_id,
                actor_name: &caller.name,
                signer_id: Some(&signer.signer_id),
                certificate_number: Some(&number),
                address: caller.address.as_deref(),
                details: details.clone(),
            },
            now,
        )
        .await
        .or_unexpected("registrando el historial")?;
        self.context
            .audit(&mut tx, caller, "firma.preparada", Some(id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        tx.commit()
            .await
            .or_unexpected("confirmando la firma preparada")?;
        if let Some(turn) = turn {
            self.turns.hold(&prepare_id, id, &signer.signer_id, turn);
        }
        Ok(PrepareResponse {
            prepare_id,
            route_id: id.to_string(),
            signer_id: signer.signer_id.clone(),
            to_sign: BASE64.encode(&to_sign),
            to_sign_sha256: BASE64.encode(digest),
            base_sha256: base_sha,
            signing_time: signing_time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            location: shown_location,
            chain,
            expires_at,
            instructions: format!(
                "Firme los bytes de «to_sign» (decodificados de base64) con la llave privada de su e.firma: RSA PKCS#1 v1.5 con SHA-256. Envíe la firma en base64 con «prepare_id» a /routes/{id}/complete antes de que venza. O use: rubrica sign --server URL --route {id} --cer su.cer --key su.key --password-file contraseña.txt"
            ),
        })
    }

    /// `POST /routes/{id}/complete`: embeds the signature value, verifies
    /// the whole PDF, and stores the revision if nobody completed in between.
    pub async fn complete(
        &self,
        caller: &Caller,
        id: &str,
        request: CompleteRequest,
    ) -> ApiResult<CompleteResponse> {
        if !caller.can_sign() {
            return Err(ApiError::Forbidden(
                "Para firmar inicie sesión con su e.firma (FIEL): un enlace por correo o un token de API no permiten firmar.".into(),
            ));
        }
        let signature = decode_base64(&request.signature, "signature")?;
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        let prepare = db::prepare(&mut conn, request.prepare_id.trim())
            .await
            .or_unexpected("leyendo la firma preparada")?
            .filter(|p| p.route_id == route.id && p.prepared_by == caller.actor_id)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "No existe la firma preparada «{}» para usted en esta ruta. Prepare la firma de nuevo.",
                    request.prepare_id
                ))
            })?;
        drop(conn);
        // Whatever happens now, the next signer in line may go on after it.
        let _turn = ReleaseTurn {
            turns: &self.turns,
            prepare_id: prepare.id.clone(),
        };
        ensure_open(&route)?;
        let now = now_ms();
        let state = usable_state(&prepare, now)?;
        if route.current_sha256 != prepare.base_sha256 {
            return Err(stale());
        }

        let verifier = self.verifier()?;
        let (signed, report) = self
            .blocking(move || {
                let prepared: PreparedRevision = serde_json::from_slice(&state).map_err(|e| {
                    PdfSignError::InvalidPrepared {
                        detail: e.to_string(),
                    }
                })?;
                let signed = rubrica_pdfsign::complete(&prepared, &signature)?;
                let report = rubrica_pdfsign::verify(&signed, &verifier)?;
                Ok::<_, PdfSignError>((signed, (report, prepared.field)))
            })
            .await?
            .map_err(|e| match e {
                PdfSignError::Fiel(FielError::SignatureInvalid) => ApiError::Unprocessable(
                    "La firma enviada no corresponde a los datos preparados ni a su certificado. Firme exactamente los bytes de «to_sign» con la llave de la e.firma que envió al preparar, o prepare de nuevo.".into(),
                ),
                other => pdf_error(other),
            })?;
        let (report, field) = report;
        let mine = report.signatures.iter().find(|s| s.field == field);
        if mine.is_none_or(|s| s.verdict != Verdict::Valid)
            || report
                .signatures
                .iter()
                .any(|s| s.verdict == Verdict::Invalid)
        {
            tracing::warn!(route_id = %id, summary = %report.summary, "la revisión firmada no verificó");
            return Err(ApiError::Unprocessable(format!(
                "La firma no se guardó porque el PDF firmado no verificó: {} Prepare la firma de nuevo; si se repite, avise al facilitador.",
                mine.map(|s| s.summary.as_str())
                    .unwrap_or(report.summary.as_str())
            )));
        }
        let new_sha = sha256_hex(&signed);

        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        // The revision row first (the route references it); rolled back
        // with everything else if the swap finds the route moved on.
        db::insert_revision(&mut tx, &new_sha, &signed, now)
            .await
            .or_unexpected("guardando la revisión firmada")?;
        if !db::swap_current(&mut tx, id, &prepare.base_sha256, &new_sha, now)
            .await
            .or_unexpected("actualizando la revisión actual")?
        {
            drop(tx);
            let mut conn = self.conn().await?;
            let fresh = db::route(&mut conn, id)
                .await
                .or_unexpected("leyendo la ruta")?
                .ok_or_else(|| route_not_found(id))?;
            ensure_open(&fresh)?;
            return Err(stale());
        }
        if db::finish_prepare(&mut tx, &prepare.id, now)
            .await
            .or_unexpected("cerrando la firma preparada")?
            != 1
        {
            return Err(ApiError::Conflict(
                "Esta firma preparada ya se usó. Consulte la ruta para ver si su firma quedó registrada.".into(),
            ));
        }
        if !db::mark_signed(
            &mut tx,
            id,
            &prepare.signer_id,
            &prepare.certificate_number,
            &new_sha,
            now,
        )
        .await
        .or_unexpected("registrando la firma")?
        {
            return Err(ApiError::Conflict(
                "Su firma ya estaba registrada en esta ruta. No es necesario firmar de nuevo."
                    .into(),
            ));
        }
        db::add_route_revision(
            &mut tx,
            id,
            &new_sha,
            "firma",
            Some(&prepare.signer_id),
            now,
        )
        .await
        .or_unexpected("registrando la revisión")?;
        let details = json!({
            "firmante": prepare.signer_id,
            "certificado": prepare.certificate_number,
            "revision_sha256": new_sha,
            "sobre": prepare.base_sha256,
        });
        db::append_history(
            &mut tx,
            id,
            NewHistory {
                action: "firmada",
                actor_id: &caller.actor_id,
                actor_name: &caller.name,
                signer_id: Some(&prepare.signer_id),
                certificate_number: Some(&prepare.certificate_number),
                address: caller.address.as_deref(),
                details: details.clone(),
            },
            now,
        )
        .await
        .or_unexpected("registrando el historial")?;
        self.context
            .audit(&mut tx, caller, "ruta.firmada", Some(id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        let signers = db::signers(&mut tx, id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        let pending: Vec<String> = signers
            .iter()
            .filter(|s| s.status != SIGNED)
            .map(|s| s.signer_id.clone())
            .collect();
        self.context
            .outbox
            .record(
                &mut tx,
                events::ROUTE_SIGNED,
                &RouteSigned {
                    route_id: id.to_string(),
                    member_id: prepare.signer_id.clone(),
                    pending: pending.clone(),
                },
            )
            .await
            .or_unexpected("registrando el evento")?;
        let completed = pending.is_empty();
        if completed {
            db::close_route(&mut tx, id, COMPLETED, Some(&new_sha), None, now)
                .await
                .or_unexpected("completando la ruta")?;
            let details = json!({ "final_sha256": new_sha, "firmas": signers.len() });
            db::append_history(
                &mut tx,
                id,
                NewHistory {
                    action: "completada",
                    actor_id: &caller.actor_id,
                    actor_name: &caller.name,
                    signer_id: None,
                    certificate_number: None,
                    address: caller.address.as_deref(),
                    details: details.clone(),
                },
                now,
            )
            .await
            .or_unexpected("registrando el historial")?;
            self.context
                .audit(&mut tx, caller, "ruta.completada", Some(id), details)
                .await
                .or_unexpected("registrando en la bitácora")?;
            let recipients = Self::recipients(&route)?;
            let completed_event = RouteCompleted {
                secretariat: recipients.secretariat.clone(),
                route: self.route_info(&route),
                document: DocumentRef {
                    filename: final_filename(&route),
                    media_type: "application/pdf".into(),
                    sha256: new_sha.clone(),
                    size: signed.len() as u64,
                    service: ServiceName::Signing,
                    path: format!("/internal/routes/{id}/signed.pdf"),
                },
                verification_url: format!("{}/verify", self.server()),
                members: recipients.members.clone(),
                facilitators: recipients.facilitators.clone(),
            };
            self.context
                .outbox
                .record(&mut tx, events::ROUTE_COMPLETED, &completed_event)
                .await
                .or_unexpected("registrando el evento")?;
        }
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la firma")?;
        tracing::info!(route_id = %id, signer = %prepare.signer_id, completed, "firma registrada");
        Ok(CompleteResponse {
            route: self.get(caller, id).await?,
            revision_sha256: new_sha,
            completed,
        })
    }
}

fn stale() -> ApiError {
    ApiError::Conflict(
        "Otro integrante firmó mientras usted preparaba su firma, así que su firma preparada ya no corresponde a la versión actual del acta. Prepare la firma de nuevo (rubrica sign lo hace solo) y fírmela.".into(),
    )
}

fn ensure_open(route: &RouteRow) -> ApiResult<()> {
    match route.status.as_str() {
        OPEN => Ok(()),
        COMPLETED => Err(ApiError::Conflict(
            "Esta ruta ya se completó: todos firmaron. Descargue el acta firmada.".into(),
        )),
        _ => Err(ApiError::Conflict(format!(
            "Esta ruta fue cancelada{}; ya no admite firmas ni rechazos. Pida al facilitador la ruta vigente.",
            route
                .cancel_reason
                .as_deref()
                .map(|r| format!(" (motivo: {r})"))
                .unwrap_or_default()
        ))),
    }
}

/// The stored state of a prepare that can still be completed.
fn usable_state(prepare: &PrepareRow, now: i64) -> ApiResult<Vec<u8>> {
    if prepare.completed_at.is_some() {
        return Err(ApiError::Conflict(
            "Esta firma preparada ya se usó. Consulte la ruta para ver su firma registrada.".into(),
        ));
    }
    match &prepare.state {
        Some(state) if now <= prepare.expires_at => Ok(state.clone()),
        _ => Err(ApiError::Conflict(
            "La firma preparada venció. Prepare la firma de nuevo y complétela antes de que venza."
                .into(),
        )),
    }
}

/// The signer row of the caller (by member id, else by RFC).
fn caller_signer<'a>(caller: &Caller, signers: &'a [SignerRow]) -> Option<&'a SignerRow> {
    signers
        .iter()
        .find(|s| caller.member_id.as_deref() == Some(s.signer_id.as_str()))
        .or_else(|| {
            let rfc = caller.rfc.as_deref()?;
            signers.iter().find(|s| s.rfc.eq_ignore_ascii_case(rfc))
        })
}

fn signer_view(s: SignerRow) -> SignerView {
    SignerView {
        id: s.signer_id,
        name: s.name,
        rfc: s.rfc,
        seat: s.seat,
        role: s.role,
        status: s.status,
        signed_at: s.signed_at,
        certificate_number: s.certificate_number,
        refusal_reason: s.refusal_reason,
        refused_at: s.refused_at,
    }
}

/// `acta-2026-ORD-01-firmada.pdf`: the folio (or the route id), with only
/// characters every mail client and file system accepts.
fn final_filename(route: &RouteRow) -> String {
    let name: String = route
        .folio
        .as_deref()
        .unwrap_or(&route.id)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-{name}-firmada.pdf", route.record_kind)
}

/// The layout of an acta or minuta must name exactly the people the
/// session's attendance requires, each with their registered name and RFC
/// (issue 15, finding 1): a layout cannot add a signer, drop one, or give a
/// seat to somebody else.
fn signers_match(layout: &LayoutManifest, required: &[RequiredSigner]) -> ApiResult<()> {
    let mut problems = Vec::new();
    for need in required {
        match layout
            .signers
            .iter()
            .find(|s| s.signer.id == need.member_id)
        {
            None => problems.push(format!("falta {} ({})", need.name, need.rfc)),
            Some(s) if !s.signer.rfc.eq_ignore_ascii_case(&need.rfc) => problems.push(format!(
                "{} figura con el RFC {} y el registro de integrantes dice {}",
                need.name, s.signer.rfc, need.rfc
            )),
            Some(s) if rubrica_rules::fold(&s.signer.name) != rubrica_rules::fold(&need.name) => {
                problems.push(format!(
                    "el firmante {} figura como «{}» y el registro de integrantes dice «{}»",
                    need.member_id, s.signer.name, need.name
                ))
            }
            Some(_) => {}
        }
    }
    for extra in layout
        .signers
        .iter()
        .filter(|s| !required.iter().any(|r| r.member_id == s.signer.id))
    {
        problems.push(format!(
            "{} ({}) figura como firmante pero no asistió como firmante a la sesión",
            extra.signer.name, extra.signer.rfc
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(format!(
            "Los firmantes del documento no son los que la asistencia de la sesión requiere: {}. Genere el documento de nuevo desde la sesión cerrada.",
            problems.join("; ")
        )))
    }
}

/// A member whose term ended and holds no other post: they read only the
/// routes they sign (their acta de entrega-recepción, 000 III.7).
fn outgoing_only(caller: &Caller) -> bool {
    caller.has_any(&[Role::OutgoingMember])
        && !caller.has_any(&[
            Role::President,
            Role::Facilitator,
            Role::Titular,
            Role::Suplente,
            Role::Enlace,
            Role::InvitedMember,
            Role::Operator,
        ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare_row(
        state: Option<Vec<u8>>,
        expires_at: i64,
        completed_at: Option<i64>,
    ) -> PrepareRow {
        PrepareRow {
            id: "p".into(),
            route_id: "r".into(),
            signer_id: "maria".into(),
            base_sha256: "0".repeat(64),
            certificate_number: "30001000000500003415".into(),
            prepared_by: "maria".into(),
            state,
            expires_at,
            completed_at,
        }
    }

    #[test]
    fn a_prepare_is_usable_once_and_only_until_it_expires() {
        let fresh = prepare_row(Some(b"{}".to_vec()), 1_000, None);
        assert_eq!(usable_state(&fresh, 1_000).unwrap(), b"{}");
        let expired = usable_state(&fresh, 1_001).unwrap_err();
        assert!(matches!(expired, ApiError::Conflict(ref m) if m.contains("venció")));
        let used = prepare_row(None, 1_000, Some(900));
        assert!(
            matches!(usable_state(&used, 950), Err(ApiError::Conflict(m)) if m.contains("ya se usó"))
        );
        // Bytes dropped by the clean-up count as expired, whatever the clock says.
        let forgotten = prepare_row(None, 1_000, None);
        assert!(usable_state(&forgotten, 10).is_err());
    }

    #[test]
    fn library_refusals_are_client_errors_with_the_library_text() {
        let already = pdf_error(PdfSignError::AlreadySigned {
            name: "MARÍA".into(),
            rfc: "GORM800101AB1".into(),
        });
        assert_eq!(already.status(), 409);
        let csd = fiel_error(FielError::CsdNotAllowed { number: "1".into() });
        assert_eq!(csd.status(), 422);
        assert!(csd.to_string().contains("CSD"), "{csd}");
        let malformed = pdf_error(PdfSignError::Malformed {
            detail: "xref".into(),
        });
        assert_eq!(malformed.status(), 422);
        assert!(
            !malformed.to_string().contains("xref"),
            "parser details stay out"
        );
        let ours = pdf_error(PdfSignError::SignatureTooLarge {
            needed: 2,
            reserved: 1,
        });
        assert_eq!(ours.status(), 500);
    }

    #[test]
    fn the_final_file_name_is_safe_for_mail_and_file_systems() {
        let route = RouteRow {
            id: "0193-ab".into(),
            secretariat_id: "s".into(),
            title: "t".into(),
            record_kind: "acta".into(),
            folio: Some("2026/ORD 01".into()),
            due_on: None,
            document_id: None,
            sign_order: "any".into(),
            status: OPEN.into(),
            original_sha256: String::new(),
            signable_sha256: String::new(),
            current_sha256: String::new(),
            final_sha256: None,
            layout: String::new(),
            recipients: String::new(),
            cancel_reason: None,
            opened_by: String::new(),
            created_at: 0,
            updated_at: 0,
            closed_at: None,
        };
        assert_eq!(final_filename(&route), "acta-2026-ORD-01-firmada.pdf");
        let without_folio = RouteRow {
            folio: None,
            ..route
        };
        assert_eq!(final_filename(&without_folio), "acta-0193-ab-firmada.pdf");
    }

    #[test]
    fn a_caller_is_matched_to_their_signer_by_member_id_or_rfc() {
        let signer = |id: &str, rfc: &str| SignerRow {
            signer_id: id.into(),
            position: 0,
            name: id.to_uppercase(),
            rfc: rfc.into(),
            seat: String::new(),
            role: String::new(),
            email: None,
            status: PENDING.into(),
            signed_at: None,
            certificate_number: None,
            refusal_reason: None,
            refused_at: None,
        };
        let signers = [
            signer("maria", "GORM800101AB1"),
            signer("juan", "PELJ750505CD2"),
        ];
        let mut caller = Caller::public(None);
        assert!(caller_signer(&caller, &signers).is_none());
        caller.rfc = Some("pelj750505cd2".into());
        assert_eq!(caller_signer(&caller, &signers).unwrap().signer_id, "juan");
        caller.member_id = Some("maria".into());
        assert_eq!(caller_signer(&caller, &signers).unwrap().signer_id, "maria");
    }
}
