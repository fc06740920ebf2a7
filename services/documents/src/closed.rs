//! `session.closed` → the draft acta (sessions) or minuta (work meetings).
//!
//! The payload is the secretariat's `SessionRecord`; this service does not
//! depend on the secretariat crate, so it reads only what it needs
//! ([`ClosedSession`]) and ignores the rest, and the templates read the
//! payload as it is. The handler runs inside the inbox transaction that
//! marks the event received, so the draft and that mark commit together;
//! the `source_event_id` column is a second guard against doing it twice.
//! The render (tens of milliseconds) happens while that transaction is open:
//! on SQLite it holds the write lock that long, which the embedded default
//! tolerates; closing sessions is rare.

use rubrica_platform::{
    Caller, Event, EventHandler, EventHandlers, HandlerError, HandlerFuture, ServiceName,
};
use serde::Deserialize;
use sqlx::AnyConnection;

use crate::documents::{Documents, DocumentsError, render_in_span};
use crate::kind::DocumentKind;

/// The event type.
pub use rubrica_contracts::events::SESSION_CLOSED;

/// What this service needs to know before rendering: which record.
#[derive(Debug, Deserialize)]
pub struct ClosedSession {
    pub session: ClosedSessionInfo,
}

/// The `session` part of the payload.
#[derive(Debug, Deserialize)]
pub struct ClosedSessionInfo {
    /// `acta` for sessions, `minuta` for work meetings (000 V.7).
    #[serde(default)]
    pub record: Option<String>,
    /// `ordinaria`, `extraordinaria` or `reunion_de_trabajo`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub folio: Option<String>,
}

impl ClosedSession {
    /// 000 V.7: work meetings are recorded in a minuta, sessions in an acta.
    pub fn record_kind(&self) -> DocumentKind {
        match (self.session.record.as_deref(), self.session.kind.as_deref()) {
            (Some("minuta"), _) | (None, Some("reunion_de_trabajo")) => DocumentKind::Minuta,
            _ => DocumentKind::Acta,
        }
    }
}

/// The handlers of this service.
pub fn handlers(documents: Documents) -> EventHandlers {
    EventHandlers::new().on(SESSION_CLOSED, OnSessionClosed { documents })
}

struct OnSessionClosed {
    documents: Documents,
}

impl EventHandler for OnSessionClosed {
    fn handle<'a>(&'a self, tx: &'a mut AnyConnection, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(async move {
            let closed: ClosedSession =
                serde_json::from_value(event.payload.clone()).map_err(|e| {
                    HandlerError::Rejected(format!(
                        "el evento session.closed no trae los datos de la sesión ({e})"
                    ))
                })?;
            let kind = closed.record_kind();
            let rendered = match render_in_span(&self.documents, kind, event.payload.clone()).await
            {
                Ok(r) => r,
                Err(DocumentsError::InvalidData(errors)) => {
                    let listed = errors
                        .iter()
                        .map(|e| format!("«{}» {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(HandlerError::Rejected(format!(
                        "no se puede generar {} de la sesión {}: {listed}",
                        if kind == DocumentKind::Minuta {
                            "la minuta"
                        } else {
                            "el acta"
                        },
                        closed.session.folio.as_deref().unwrap_or("?")
                    )));
                }
                // A template error or an infrastructure failure: the relay
                // retries (a fixed template then applies the event).
                Err(DocumentsError::Api(e)) => {
                    return Err(HandlerError::Failed(anyhow::anyhow!(
                        "generando el borrador: {e}"
                    )));
                }
            };
            let caller = Caller::service(ServiceName::Secretariat);
            let id = self
                .documents
                .store_new(tx, &caller, &rendered, &event.payload, Some(&event.id))
                .await
                .map_err(|e| HandlerError::Failed(anyhow::anyhow!("guardando el borrador: {e}")))?;
            tracing::info!(
                document_id = %id,
                folio = %rendered.facts.folio,
                kind = %kind,
                pages = rendered.page_count,
                "borrador generado al cerrar la sesión"
            );
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_meetings_get_a_minuta_and_sessions_an_acta() {
        let read = |v: serde_json::Value| {
            serde_json::from_value::<ClosedSession>(v)
                .unwrap()
                .record_kind()
        };
        assert_eq!(
            read(serde_json::json!({ "session": { "record": "minuta", "extra": 1 }, "otro": [] })),
            DocumentKind::Minuta
        );
        assert_eq!(
            read(serde_json::json!({ "session": { "kind": "reunion_de_trabajo" } })),
            DocumentKind::Minuta
        );
        assert_eq!(
            read(serde_json::json!({ "session": { "record": "acta", "kind": "extraordinaria" } })),
            DocumentKind::Acta
        );
    }
}
