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
use crate::settings::SigningSettings;

mod ending;
mod opening;
mod two_step;

use two_step::Turns;

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
    /// The `[signing]` section of the settings.
    settings: Arc<SigningSettings>,
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

/// One act on a route, as the route's history and the audit trail name it.
struct Act<'a> {
    /// The history's action (`abierta`, `firmada`, …).
    history: &'static str,
    /// The audit trail's action (`ruta.abierta`, `firma.preparada`, …).
    audit: &'static str,
    signer_id: Option<&'a str>,
    certificate_number: Option<&'a str>,
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
            settings: Arc::new(context.settings.section()),
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

    /// The `[signing]` section of the settings.
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// Writes `act` on `route_id` by `caller` to the route's history and to
    /// the audit trail, in the caller's transaction.
    async fn record_act(
        &self,
        tx: &mut sqlx::AnyConnection,
        caller: &Caller,
        route_id: &str,
        act: Act<'_>,
        details: serde_json::Value,
        now: i64,
    ) -> ApiResult<()> {
        db::append_history(
            tx,
            route_id,
            NewHistory {
                action: act.history,
                actor_id: &caller.actor_id,
                actor_name: &caller.name,
                signer_id: act.signer_id,
                certificate_number: act.certificate_number,
                address: caller.address.as_deref(),
                details: details.clone(),
            },
            now,
        )
        .await
        .or_unexpected("registrando el historial")?;
        self.context
            .audit(tx, caller, act.audit, Some(route_id), details)
            .await
            .or_unexpected("registrando en la bitácora")?;
        Ok(())
    }

    /// Records `event_type` with `payload` in the outbox, in `tx`.
    async fn publish(
        &self,
        tx: &mut sqlx::AnyConnection,
        event_type: &str,
        payload: &impl serde::Serialize,
    ) -> ApiResult<()> {
        self.context
            .outbox
            .record(tx, event_type, payload)
            .await
            .or_unexpected("registrando el evento")?;
        Ok(())
    }

    /// [`Self::publish`], then commits `tx` and wakes the relay; `doing`
    /// names the act if the commit fails.
    async fn publish_and_commit(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        event_type: &str,
        payload: &impl serde::Serialize,
        doing: &'static str,
    ) -> ApiResult<()> {
        self.publish(&mut tx, event_type, payload).await?;
        self.context.outbox.commit(tx).await.or_unexpected(doing)
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
        let max = self.settings.max_pdf_bytes;
        if size > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "El PDF mide {size} bytes y el servicio de firma acepta hasta {max} (signing.max_pdf_bytes). Verifique que eligió el acta correcta."
            )));
        }
        Ok(())
    }
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
    use super::two_step::usable_state;
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
