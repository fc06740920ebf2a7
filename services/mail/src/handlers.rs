//! From events to queued messages. Each handler runs inside the inbox
//! transaction that marks its event as received, so the messages it queues
//! commit together with that mark, or not at all; the idempotency key
//! (event, kind, recipient) is a second guard should an event ever be
//! applied again.
//!
//! A payload that does not match its contract ([`crate::contracts`]) is
//! refused with a Spanish reason (the emitter keeps it as a dead letter);
//! a database failure is retried by the emitter's relay.

use std::sync::Arc;

use rubrica_platform::db::now_ms;
use rubrica_platform::{Caller, Event, EventHandler, EventHandlers, HandlerError, HandlerFuture};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::calendar::{self, Invitation, Schedule, long_date, long_date_text};
use crate::contracts::*;
use crate::db;
use crate::model::{CalendarPart, MessageKind, NewMessage};
use crate::queue::{Enqueued, Mailer};

/// The events this service handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    ConvocatoriaIssued,
    SessionUpdated,
    SessionCancelled,
    RouteOpened,
    RouteSigned,
    RouteRefused,
    RouteCancelled,
    RouteCompleted,
    TermEnding,
    LinkRequested,
    PublicAcknowledgement,
}

impl Subscribed {
    pub const ALL: [(&'static str, Subscribed); 11] = [
        (CONVOCATORIA_ISSUED, Subscribed::ConvocatoriaIssued),
        (SESSION_UPDATED, Subscribed::SessionUpdated),
        (SESSION_CANCELLED, Subscribed::SessionCancelled),
        (ROUTE_OPENED, Subscribed::RouteOpened),
        (ROUTE_SIGNED, Subscribed::RouteSigned),
        (ROUTE_REFUSED, Subscribed::RouteRefused),
        (ROUTE_CANCELLED, Subscribed::RouteCancelled),
        (ROUTE_COMPLETED, Subscribed::RouteCompleted),
        (TERM_ENDING, Subscribed::TermEnding),
        (AUTH_LINK_REQUESTED, Subscribed::LinkRequested),
        (PUBLIC_ACKNOWLEDGEMENT, Subscribed::PublicAcknowledgement),
    ];
}

/// Every handler of the service.
pub fn handlers(mailer: Arc<Mailer>) -> EventHandlers {
    Subscribed::ALL
        .into_iter()
        .fold(EventHandlers::new(), |handlers, (event_type, event)| {
            handlers.on(
                event_type,
                On {
                    mailer: mailer.clone(),
                    event,
                },
            )
        })
}

/// The handler of one event type.
struct On {
    mailer: Arc<Mailer>,
    event: Subscribed,
}

impl EventHandler for On {
    fn handle<'a>(&'a self, tx: &'a mut AnyConnection, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(async move {
            let apply = Apply {
                mailer: &self.mailer,
                event,
                caller: Caller::service(event.source),
            };
            let queued = match self.event {
                Subscribed::ConvocatoriaIssued => {
                    apply.session_notice(tx, MessageKind::Convocatoria).await?
                }
                Subscribed::SessionUpdated => {
                    apply
                        .session_notice(tx, MessageKind::SessionUpdated)
                        .await?
                }
                Subscribed::SessionCancelled => apply.session_cancelled(tx).await?,
                Subscribed::RouteOpened => apply.route_opened(tx).await?,
                Subscribed::RouteSigned => apply.route_signed(tx).await?,
                Subscribed::RouteRefused => apply.route_refused(tx).await?,
                Subscribed::RouteCancelled => apply.route_cancelled(tx).await?,
                Subscribed::RouteCompleted => apply.route_completed(tx).await?,
                Subscribed::TermEnding => apply.term_ending(tx).await?,
                Subscribed::LinkRequested => apply.link_requested(tx).await?,
                Subscribed::PublicAcknowledgement => apply.public_acknowledgement(tx).await?,
            };
            if queued > 0 {
                self.mailer.wake_after_commit(&event.id);
            }
            tracing::info!(event_id = %event.id, event_type = %event.event_type, queued, "mensajes encolados");
            Ok(())
        })
    }
}

/// One event being applied.
struct Apply<'a> {
    mailer: &'a Mailer,
    event: &'a Event,
    caller: Caller,
}

/// A message about to be written for one recipient.
struct Draft<'a> {
    kind: MessageKind,
    secretariat_id: Option<&'a str>,
    subject_ref: &'a str,
    recipient: &'a Recipient,
    context: Value,
    calendar: Option<CalendarPart>,
    attachments: Vec<DocumentRef>,
}

fn failed(what: &'static str) -> impl Fn(anyhow::Error) -> HandlerError {
    move |e| HandlerError::Failed(e.context(what))
}

impl Apply<'_> {
    /// The payload, or a refusal saying what is wrong with it.
    fn payload<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_value(self.event.payload.clone()).map_err(|e| {
            HandlerError::Rejected(format!(
                "el evento {} no tiene la forma que el servicio de correo espera ({e}); revise su contrato en services/mail/README.md",
                self.event.event_type
            ))
        })
    }

    fn refuse(&self, reason: impl std::fmt::Display) -> HandlerError {
        HandlerError::Rejected(format!(
            "el evento {} no se puede enviar por correo: {reason}",
            self.event.event_type
        ))
    }

    /// Renders and queues one message; the key is (event, kind, recipient)
    /// unless `key` says otherwise.
    async fn queue(
        &self,
        tx: &mut AnyConnection,
        draft: Draft<'_>,
        key: Option<String>,
    ) -> Result<Enqueued, HandlerError> {
        let rendered = self
            .mailer
            .templates
            .render(draft.kind, &draft.context)
            .map_err(|e| self.refuse(e))?;
        let message = NewMessage {
            idempotency_key: key.unwrap_or_else(|| {
                format!(
                    "{}/{}/{}",
                    self.event.id,
                    draft.kind.as_str(),
                    recipient_key(draft.recipient)
                )
            }),
            kind: draft.kind,
            event_id: Some(self.event.id.clone()),
            event_type: Some(self.event.event_type.clone()),
            secretariat_id: draft.secretariat_id.map(str::to_string),
            subject_ref: Some(draft.subject_ref.to_string()),
            recipient: draft.recipient.clone(),
            rendered,
            calendar: draft.calendar,
            attachments: draft.attachments,
            sensitive: draft.kind == MessageKind::AccessLink,
        };
        self.mailer
            .enqueue(tx, &self.caller, &message)
            .await
            .map_err(failed("encolando un mensaje"))
    }

    /// Tells the facilitators who could not be reached (000 V.6 and V.8
    /// speak of every member: nobody is skipped silently).
    async fn report_unreachable(
        &self,
        tx: &mut AnyConnection,
        unreachable: &[&Recipient],
        about: &str,
        secretariat: &SecretariatRef,
        subject_ref: &str,
        facilitators: &[Recipient],
    ) -> Result<usize, HandlerError> {
        if unreachable.is_empty() {
            return Ok(0);
        }
        if facilitators.is_empty() {
            tracing::warn!(event_id = %self.event.id, unreachable = unreachable.len(), "integrantes sin correo y ningún facilitador a quien avisar");
            return Ok(0);
        }
        let members: Vec<Value> = unreachable
            .iter()
            .map(|r| json!({ "name": r.name, "email": r.email.as_deref().filter(|e| !e.trim().is_empty()) }))
            .collect();
        let mut queued = 0;
        for facilitator in facilitators {
            let draft = Draft {
                kind: MessageKind::MissingAddress,
                secretariat_id: Some(&secretariat.id),
                subject_ref,
                recipient: facilitator,
                context: json!({
                    "secretariat": secretariat,
                    "recipient": facilitator,
                    "about": about,
                    "members": members,
                }),
                calendar: None,
                attachments: Vec::new(),
            };
            if let Enqueued::Queued(_) = self.queue(tx, draft, None).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// `convocatoria.issued` and `session.updated`: the session as it stands,
    /// with a calendar invitation replacing any earlier one.
    async fn session_notice(
        &self,
        tx: &mut AnyConnection,
        kind: MessageKind,
    ) -> Result<usize, HandlerError> {
        let notice: SessionNotice = self.payload()?;
        let schedule = Schedule::of(&notice.session).map_err(|e| self.refuse(e))?;
        if let Some(document) = &notice.document {
            check_document(document).map_err(|e| self.refuse(e))?;
        }
        let issued_on = calendar::parse_date(&notice.issued_on, "la fecha de emisión")
            .map_err(|e| self.refuse(e))?;
        let Some(sequence) = self
            .next_sequence(tx, &notice.session.id, notice.revision, false)
            .await?
        else {
            return Ok(0);
        };
        let sender = self.mailer.sender().map_err(|e| self.refuse(e))?;
        let uid = calendar::session_uid(&notice.session.id, &sender.domain);
        db::save_calendar(
            tx,
            &notice.session.id,
            &uid,
            sequence,
            "CONFIRMED",
            now_ms(),
        )
        .await
        .map_err(|e| failed("guardando la invitación de calendario")(e.into()))?;

        let session = session_context(&notice.session, &schedule);
        let summary = session_summary(&notice.session, &notice.secretariat);
        let mut description = String::from("Orden del día:\n");
        for item in &notice.agenda {
            description.push_str(&format!("{}. {}\n", item.number, item.title));
        }
        let mut queued = 0;
        let mut unreachable = Vec::new();
        for recipient in &notice.recipients {
            let calendar = CalendarPart {
                method: "REQUEST",
                content: calendar::ics(&Invitation {
                    method: "REQUEST",
                    uid: &uid,
                    sequence,
                    stamp: self.stamp(),
                    schedule,
                    summary: &summary,
                    location: &notice.session.place,
                    description: &description,
                    organizer_name: &notice.secretariat.name,
                    organizer_email: sender.from.email.as_ref(),
                    attendee_name: &recipient.name,
                    attendee_email: recipient.email.as_deref().unwrap_or_default().trim(),
                }),
            };
            let draft = Draft {
                kind,
                secretariat_id: Some(&notice.secretariat.id),
                subject_ref: &notice.session.id,
                recipient,
                context: json!({
                    "secretariat": notice.secretariat,
                    "recipient": recipient,
                    "session": session,
                    "agenda": notice.agenda,
                    "notice": notice.notice,
                    "issued_on_long": long_date(issued_on),
                    "changes": notice.changes,
                    "document_name": notice.document.as_ref().map(|d| &d.filename),
                }),
                calendar: Some(calendar),
                attachments: notice.document.iter().cloned().collect(),
            };
            match self.queue(tx, draft, None).await? {
                Enqueued::Queued(_) => queued += 1,
                Enqueued::NoAddress(_) => unreachable.push(recipient),
                Enqueued::Duplicate => {}
            }
        }
        let about = match kind {
            MessageKind::Convocatoria => {
                format!("la convocatoria de la {}", summary_short(&notice.session))
            }
            _ => format!(
                "el aviso de cambio de la {}",
                summary_short(&notice.session)
            ),
        };
        queued += self
            .report_unreachable(
                tx,
                &unreachable,
                &about,
                &notice.secretariat,
                &notice.session.id,
                &notice.facilitators,
            )
            .await?;
        Ok(queued)
    }

    /// `session.cancelled`: `METHOD:CANCEL` with the invitation's UID.
    async fn session_cancelled(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let cancelled: SessionCancelled = self.payload()?;
        let schedule = Schedule::of(&cancelled.session).map_err(|e| self.refuse(e))?;
        let Some(sequence) = self
            .next_sequence(tx, &cancelled.session.id, cancelled.revision, true)
            .await?
        else {
            return Ok(0);
        };
        let sender = self.mailer.sender().map_err(|e| self.refuse(e))?;
        let uid = calendar::session_uid(&cancelled.session.id, &sender.domain);
        db::save_calendar(
            tx,
            &cancelled.session.id,
            &uid,
            sequence,
            "CANCELLED",
            now_ms(),
        )
        .await
        .map_err(|e| failed("guardando la invitación de calendario")(e.into()))?;
        let session = session_context(&cancelled.session, &schedule);
        let summary = session_summary(&cancelled.session, &cancelled.secretariat);
        let mut queued = 0;
        let mut unreachable = Vec::new();
        for recipient in &cancelled.recipients {
            let calendar = CalendarPart {
                method: "CANCEL",
                content: calendar::ics(&Invitation {
                    method: "CANCEL",
                    uid: &uid,
                    sequence,
                    stamp: self.stamp(),
                    schedule,
                    summary: &summary,
                    location: &cancelled.session.place,
                    description: cancelled.reason.as_deref().unwrap_or("Sesión cancelada."),
                    organizer_name: &cancelled.secretariat.name,
                    organizer_email: sender.from.email.as_ref(),
                    attendee_name: &recipient.name,
                    attendee_email: recipient.email.as_deref().unwrap_or_default().trim(),
                }),
            };
            let draft = Draft {
                kind: MessageKind::SessionCancelled,
                secretariat_id: Some(&cancelled.secretariat.id),
                subject_ref: &cancelled.session.id,
                recipient,
                context: json!({
                    "secretariat": cancelled.secretariat,
                    "recipient": recipient,
                    "session": session,
                    "reason": cancelled.reason,
                }),
                calendar: Some(calendar),
                attachments: Vec::new(),
            };
            match self.queue(tx, draft, None).await? {
                Enqueued::Queued(_) => queued += 1,
                Enqueued::NoAddress(_) => unreachable.push(recipient),
                Enqueued::Duplicate => {}
            }
        }
        queued += self
            .report_unreachable(
                tx,
                &unreachable,
                &format!(
                    "el aviso de cancelación de la {}",
                    summary_short(&cancelled.session)
                ),
                &cancelled.secretariat,
                &cancelled.session.id,
                &cancelled.facilitators,
            )
            .await?;
        Ok(queued)
    }

    /// The calendar SEQUENCE for a new version of a session's invitation,
    /// or `None` when the event is older than the version already sent (it
    /// arrived late: sending it would undo a newer change).
    async fn next_sequence(
        &self,
        tx: &mut AnyConnection,
        session_id: &str,
        revision: Option<u32>,
        cancelling: bool,
    ) -> Result<Option<i64>, HandlerError> {
        let existing = db::calendar(tx, session_id)
            .await
            .map_err(|e| failed("leyendo la invitación de calendario")(e.into()))?;
        let Some((_, last, status)) = existing else {
            return Ok(Some(revision.map(i64::from).unwrap_or(0)));
        };
        let next = revision.map(i64::from).unwrap_or(last + 1);
        // A cancellation of a cancelled session with no newer revision, or
        // any version not newer than the last: stale.
        let stale = next <= last || (cancelling && status == "CANCELLED" && revision.is_none());
        if stale {
            tracing::info!(event_id = %self.event.id, session_id, last, next, "aviso de sesión más antiguo que el ya enviado: no se envía");
            return Ok(None);
        }
        Ok(Some(next))
    }

    /// DTSTAMP: when the event happened (the same on every retry).
    fn stamp(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.event.occurred_at) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// `route.opened`: an invitation to each signer; reminders are
    /// scheduled for those who can be reached.
    async fn route_opened(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let opened: RouteOpened = self.payload()?;
        if opened.signers.is_empty() {
            return Err(self.refuse("la ruta no tiene firmantes"));
        }
        let details = serde_json::to_string(&StoredRoute {
            secretariat: opened.secretariat.clone(),
            route: opened.route.clone(),
            facilitators: opened.facilitators.clone(),
        })
        .map_err(|e| failed("guardando la ruta")(e.into()))?;
        let now = now_ms();
        db::save_route(tx, &opened.route.id, &opened.secretariat.id, &details, now)
            .await
            .map_err(|e| failed("guardando la ruta")(e.into()))?;
        let settings = &self.mailer.settings;
        let route = route_context(&opened.route);
        let mut queued = 0;
        let mut unreachable = Vec::new();
        for signer in &opened.signers {
            let Some(member_id) = signer.member_id.as_deref().filter(|m| !m.is_empty()) else {
                return Err(self.refuse(format!(
                    "el firmante {} no trae member_id (se necesita para sus recordatorios)",
                    signer.name
                )));
            };
            let draft = Draft {
                kind: MessageKind::SigningInvitation,
                secretariat_id: Some(&opened.secretariat.id),
                subject_ref: &opened.route.id,
                recipient: signer,
                context: json!({
                    "secretariat": opened.secretariat,
                    "recipient": signer,
                    "route": route,
                }),
                calendar: None,
                attachments: Vec::new(),
            };
            let outcome = self.queue(tx, draft, None).await?;
            let reachable = !matches!(outcome, Enqueued::NoAddress(_));
            let first_reminder = (reachable && settings.max_reminders > 0)
                .then(|| now + (settings.reminder_delay_seconds as i64).saturating_mul(1000));
            db::add_signer(
                tx,
                &opened.route.id,
                signer,
                member_id,
                signer.email.as_deref(),
                now,
                first_reminder,
            )
            .await
            .map_err(|e| failed("guardando los firmantes")(e.into()))?;
            match outcome {
                Enqueued::Queued(_) => queued += 1,
                Enqueued::NoAddress(_) => unreachable.push(signer),
                Enqueued::Duplicate => {}
            }
        }
        queued += self
            .report_unreachable(
                tx,
                &unreachable,
                &format!("la invitación a firmar «{}»", opened.route.title),
                &opened.secretariat,
                &opened.route.id,
                &opened.facilitators,
            )
            .await?;
        Ok(queued)
    }

    /// `route.signed`: whoever is no longer pending gets no more reminders.
    async fn route_signed(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let signed: RouteSigned = self.payload()?;
        let changed = db::settle_signers(tx, &signed.route_id, &signed.pending, &signed.member_id)
            .await
            .map_err(|e| failed("actualizando los firmantes")(e.into()))?;
        if changed > 0 {
            self.mailer
                .context
                .audit(
                    tx,
                    &self.caller,
                    "correo.firmante_al_corriente",
                    Some(&signed.route_id),
                    json!({ "integrante": signed.member_id, "pendientes": signed.pending.len() }),
                )
                .await
                .map_err(|e| failed("registrando en la bitácora")(e.into()))?;
        }
        Ok(0)
    }

    /// `route.refused`: the facilitators are told who refused and why.
    async fn route_refused(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let refused: RouteRefused = self.payload()?;
        if refused.facilitators.is_empty() {
            return Err(
                self.refuse("no indica a qué facilitadores avisar (facilitators está vacío)")
            );
        }
        if let Some(member_id) = &refused.member.member_id {
            db::set_signer(tx, &refused.route.id, member_id, "rechazado")
                .await
                .map_err(|e| failed("actualizando los firmantes")(e.into()))?;
        }
        let route = route_context(&refused.route);
        let mut queued = 0;
        for facilitator in &refused.facilitators {
            let draft = Draft {
                kind: MessageKind::RefusalNotice,
                secretariat_id: Some(&refused.secretariat.id),
                subject_ref: &refused.route.id,
                recipient: facilitator,
                context: json!({
                    "secretariat": refused.secretariat,
                    "recipient": facilitator,
                    "route": route,
                    "member": refused.member,
                    "reason": refused.reason,
                }),
                calendar: None,
                attachments: Vec::new(),
            };
            if let Enqueued::Queued(_) = self.queue(tx, draft, None).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// `route.cancelled`: reminders stop.
    async fn route_cancelled(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let cancelled: RouteCancelled = self.payload()?;
        let closed = db::close_route(tx, &cancelled.route_id, "cancelada", now_ms())
            .await
            .map_err(|e| failed("cerrando la ruta")(e.into()))?;
        if closed > 0 {
            self.mailer
                .context
                .audit(
                    tx,
                    &self.caller,
                    "correo.recordatorios_detenidos",
                    Some(&cancelled.route_id),
                    json!({ "motivo": "ruta cancelada" }),
                )
                .await
                .map_err(|e| failed("registrando en la bitácora")(e.into()))?;
        }
        Ok(0)
    }

    /// `route.completed`: the signed copy to every member (000 V.8).
    async fn route_completed(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let completed: RouteCompleted = self.payload()?;
        check_document(&completed.document).map_err(|e| self.refuse(e))?;
        db::close_route(tx, &completed.route.id, "completada", now_ms())
            .await
            .map_err(|e| failed("cerrando la ruta")(e.into()))?;
        let route = route_context(&completed.route);
        let mut queued = 0;
        let mut unreachable = Vec::new();
        for member in &completed.members {
            let draft = Draft {
                kind: MessageKind::SignedCopy,
                secretariat_id: Some(&completed.secretariat.id),
                subject_ref: &completed.route.id,
                recipient: member,
                context: json!({
                    "secretariat": completed.secretariat,
                    "recipient": member,
                    "route": route,
                    "sha256": completed.document.sha256.to_ascii_lowercase(),
                    "document_name": completed.document.filename,
                    "document_size": human_size(completed.document.size),
                    "verification_url": completed.verification_url,
                }),
                calendar: None,
                attachments: vec![completed.document.clone()],
            };
            match self.queue(tx, draft, None).await? {
                Enqueued::Queued(_) => queued += 1,
                Enqueued::NoAddress(_) => unreachable.push(member),
                Enqueued::Duplicate => {}
            }
        }
        queued += self
            .report_unreachable(
                tx,
                &unreachable,
                &format!("la copia firmada de «{}»", completed.route.title),
                &completed.secretariat,
                &completed.route.id,
                &completed.facilitators,
            )
            .await?;
        Ok(queued)
    }

    /// `term.ending`: one reminder per member and term end (000 III.7).
    async fn term_ending(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let ending: TermEnding = self.payload()?;
        let Some(member_id) = ending.member.member_id.as_deref().filter(|m| !m.is_empty()) else {
            return Err(self.refuse("el integrante no trae member_id"));
        };
        let ends_on = calendar::parse_date(&ending.term_ends_on, "el fin de periodo")
            .map_err(|e| self.refuse(e))?;
        let deadline = calendar::parse_date(&ending.deadline, "la fecha límite")
            .map_err(|e| self.refuse(e))?;
        let draft = Draft {
            kind: MessageKind::TermEnding,
            secretariat_id: Some(&ending.secretariat.id),
            subject_ref: member_id,
            recipient: &ending.member,
            context: json!({
                "secretariat": ending.secretariat,
                "recipient": ending.member,
                "position": ending.position,
                "term_ends_on_long": long_date(ends_on),
                "deadline_long": long_date(deadline),
                "rule": ending.rule,
                "handover_to": ending.handover_to,
            }),
            calendar: None,
            attachments: Vec::new(),
        };
        let key = format!(
            "{}/{member_id}/{}",
            MessageKind::TermEnding.as_str(),
            ending.term_ends_on
        );
        let mut queued = match self.queue(tx, draft, Some(key.clone())).await? {
            Enqueued::Queued(_) => 1,
            Enqueued::NoAddress(_) => {
                self.report_unreachable(
                    tx,
                    &[&ending.member],
                    "el recordatorio de fin de periodo (informe de actividades y entrega-recepción)",
                    &ending.secretariat,
                    member_id,
                    &ending.facilitators,
                )
                .await?
            }
            Enqueued::Duplicate => 0,
        };
        // The President receives the handover: told once as well.
        if let Some(president) = &ending.president {
            let draft = Draft {
                kind: MessageKind::TermEnding,
                secretariat_id: Some(&ending.secretariat.id),
                subject_ref: member_id,
                recipient: president,
                context: json!({
                    "secretariat": ending.secretariat,
                    "recipient": president,
                    "outgoing": ending.member,
                    "position": ending.position,
                    "term_ends_on_long": long_date(ends_on),
                    "deadline_long": long_date(deadline),
                    "rule": ending.rule,
                    "handover_to": ending.handover_to,
                }),
                calendar: None,
                attachments: Vec::new(),
            };
            queued += match self
                .queue(tx, draft, Some(format!("{key}/presidencia")))
                .await?
            {
                Enqueued::Queued(_) => 1,
                Enqueued::NoAddress(_) => {
                    self.report_unreachable(
                        tx,
                        &[president],
                        "el aviso de fin de periodo a la Presidencia",
                        &ending.secretariat,
                        member_id,
                        &ending.facilitators,
                    )
                    .await?
                }
                Enqueued::Duplicate => 0,
            };
        }
        Ok(queued)
    }

    /// `public.acknowledgement`: the folio of a public form, or its answer,
    /// once per folio and stage.
    async fn public_acknowledgement(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let ack: PublicAcknowledgement = self.payload()?;
        if crate::compose::address(ack.to.email.as_deref()).is_err() {
            return Err(self.refuse("la dirección del destinatario no es válida"));
        }
        if !matches!(ack.stage.as_str(), "recibida" | "respondida") {
            return Err(self.refuse("la etapa debe ser recibida o respondida"));
        }
        if ack.stage == "respondida" && ack.answer.as_deref().is_none_or(str::is_empty) {
            return Err(self.refuse("una respuesta sin texto"));
        }
        let filed = calendar::parse_date(&ack.filed_on, "la fecha de recepción")
            .map_err(|e| self.refuse(e))?;
        let due = ack
            .due_on
            .as_deref()
            .map(|d| calendar::parse_date(d, "el plazo de respuesta"))
            .transpose()
            .map_err(|e| self.refuse(e))?;
        let draft = Draft {
            kind: MessageKind::PublicAcknowledgement,
            secretariat_id: Some(&ack.secretariat.id),
            subject_ref: &ack.folio,
            recipient: &ack.to,
            context: json!({
                "secretariat": ack.secretariat,
                "recipient": ack.to,
                "form": ack.form,
                "what": match ack.form.as_str() {
                    "duda" => "duda",
                    "queja" => "queja",
                    "sugerencia" => "sugerencia",
                    _ => "solicitud para sumarse",
                },
                "stage": ack.stage,
                "folio": ack.folio,
                "filed_on_long": long_date(filed),
                "due_on_long": due.map(long_date),
                "answer": ack.answer,
                "follow_path": ack.follow_path,
                "server": self.mailer.context.settings.http.public_url,
            }),
            calendar: None,
            attachments: Vec::new(),
        };
        let key = format!(
            "{}/{}/{}",
            MessageKind::PublicAcknowledgement.as_str(),
            ack.folio,
            ack.stage
        );
        Ok(match self.queue(tx, draft, Some(key)).await? {
            Enqueued::Queued(_) => 1,
            _ => 0,
        })
    }

    /// `auth.link_requested`: the one-time link (its body is erased once sent).
    async fn link_requested(&self, tx: &mut AnyConnection) -> Result<usize, HandlerError> {
        let link: LinkRequested = self.payload()?;
        let token = match &link.token_sealed {
            Some(sealed) => rubrica_platform::sealed::open(
                self.mailer
                    .context
                    .settings
                    .internal_token
                    .as_ref()
                    .map(|s| s.expose())
                    .unwrap_or_default(),
                rubrica_contracts::events::LINK_TOKEN_PURPOSE,
                sealed,
            )
            .map_err(|e| self.refuse(format!("{e}; la persona debe pedir un enlace nuevo")))?,
            None => link.token.clone(),
        };
        let recipient = Recipient {
            member_id: None,
            name: link.to_name.clone(),
            email: Some(link.to_email.clone()),
        };
        if crate::compose::address(recipient.email.as_deref()).is_err() {
            return Err(self.refuse("la dirección del destinatario no es válida"));
        }
        let draft = Draft {
            kind: MessageKind::AccessLink,
            secretariat_id: link.secretariat_id.as_deref(),
            subject_ref: &link.to_email,
            recipient: &recipient,
            context: json!({
                "recipient": recipient,
                "server": link.server,
                "token": token,
                "ttl_minutes": link.ttl_minutes,
                "confirm_email": link.purpose == rubrica_contracts::events::LinkPurpose::ConfirmEmail,
            }),
            calendar: None,
            attachments: Vec::new(),
        };
        Ok(match self.queue(tx, draft, None).await? {
            Enqueued::Queued(_) => 1,
            _ => 0,
        })
    }
}

/// What the mail service keeps of an open route, to write its reminders.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredRoute {
    pub secretariat: SecretariatRef,
    pub route: RouteInfo,
    pub facilitators: Vec<Recipient>,
}

/// How a recipient is named in idempotency keys.
pub fn recipient_key(recipient: &Recipient) -> String {
    recipient
        .member_id
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| {
            recipient
                .email
                .as_deref()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
        })
        .unwrap_or_else(|| format!("nombre:{}", recipient.name.trim()))
}

/// The template context of a session.
fn session_context(session: &SessionDetails, schedule: &Schedule) -> Value {
    json!({
        "id": session.id,
        "kind": session.kind,
        "title": session.title,
        "folio": session.folio,
        "date_long": long_date(schedule.date),
        "time": format!("{:02}:{:02}", schedule.time.hour(), schedule.time.minute()),
        "place": session.place,
        "duration_minutes": session.duration_minutes,
    })
}

/// "Sesión ordinaria 2026-ORD-01 — STL Jalisco": the calendar entry's title.
fn session_summary(session: &SessionDetails, secretariat: &SecretariatRef) -> String {
    format!("{} — {}", summary_short(session), secretariat.name)
}

/// "sesión ordinaria 2026-ORD-01".
fn summary_short(session: &SessionDetails) -> String {
    match &session.folio {
        Some(folio) => format!("{} {folio}", session.title.to_lowercase()),
        None => session.title.to_lowercase(),
    }
}

/// The template context of a signing route.
pub fn route_context(route: &RouteInfo) -> Value {
    let minuta = route.record_kind.eq_ignore_ascii_case("minuta");
    json!({
        "id": route.id,
        "title": route.title,
        "record_name": if minuta { "minuta" } else { "acta" },
        "record_title": if minuta { "Minuta" } else { "Acta" },
        "folio": route.folio,
        "sign_url": route.sign_url,
        "server": route.server,
        "due_on_long": route.due_on.as_deref().map(long_date_text),
    })
}

/// "1.2 MB".
fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// A document reference the worker will be able to fetch.
fn check_document(document: &DocumentRef) -> Result<(), String> {
    let hex = document.sha256.len() == 64 && document.sha256.chars().all(|c| c.is_ascii_hexdigit());
    if !hex {
        return Err(format!(
            "el SHA-256 del adjunto {} no son 64 dígitos hexadecimales",
            document.filename
        ));
    }
    if !document.path.starts_with('/')
        || document.path.contains("..")
        || document.path.contains("://")
    {
        return Err(format!(
            "la ruta del adjunto {} debe ser una ruta dentro del servicio que empiece con «/»",
            document.filename
        ));
    }
    let name_ok = !document.filename.trim().is_empty()
        && !document.filename.contains(['/', '\\'])
        && !document.filename.chars().any(char::is_control);
    if !name_ok {
        return Err(format!(
            "el nombre del adjunto «{}» no es un nombre de archivo válido",
            document.filename
        ));
    }
    lettre::message::header::ContentType::parse(&document.media_type).map_err(|_| {
        format!(
            "el tipo «{}» del adjunto {} no es un tipo MIME válido",
            document.media_type, document.filename
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(430 * 1024), "430 KB");
        assert_eq!(human_size(1024 * 1024 + 200 * 1024), "1.2 MB");
    }

    #[test]
    fn a_document_reference_must_name_a_path_inside_a_service() {
        let mut document = DocumentRef {
            filename: "acta.pdf".into(),
            media_type: "application/pdf".into(),
            sha256: "a".repeat(64),
            size: 10,
            service: rubrica_platform::ServiceName::Signing,
            path: "/internal/routes/r-1/signed.pdf".into(),
        };
        assert!(check_document(&document).is_ok());
        document.path = "http://evil.example/x".into();
        assert!(check_document(&document).is_err());
        document.path = "/ok".into();
        document.sha256 = "xyz".into();
        assert!(check_document(&document).is_err());
    }

    #[test]
    fn recipients_are_keyed_by_member_then_address_then_name() {
        let mut r = Recipient {
            member_id: Some("m-1".into()),
            name: "Ana".into(),
            email: Some("Ana@Example.mx".into()),
        };
        assert_eq!(recipient_key(&r), "m-1");
        r.member_id = None;
        assert_eq!(recipient_key(&r), "ana@example.mx");
        r.email = None;
        assert_eq!(recipient_key(&r), "nombre:Ana");
    }
}
