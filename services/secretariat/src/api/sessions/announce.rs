//! What the members are told: the payloads of the events a session
//! emits (convocatoria, changes, cancellation).

use super::*;

/// The `convocatoria.issued` payload: the session, its agenda, the notice
/// rule met, and every member in post on the issue date — each receives the
/// convocatoria (000 V.6); members without an address are listed too, so the
/// facilitator is told.
pub(super) fn convocatoria_announcement(
    scene: &Scene,
    session: &SessionRow,
    issued: time::Date,
    notice: &rubrica_rules::NoticeFinding,
) -> SessionNotice {
    let (recipients, facilitators) = members_to_tell(scene, issued);
    SessionNotice {
        secretariat: secretariat_ref(scene),
        session: session_details(scene, session),
        agenda: agenda(scene),
        notice: Some(notice_met(notice)),
        issued_on: edge::iso(issued),
        revision: None,
        changes: Vec::new(),
        document: None,
        recipients,
        facilitators,
    }
}

/// Every member in post on `day` (once each), and the facilitators among them.
pub(super) fn members_to_tell(scene: &Scene, day: time::Date) -> (Vec<Recipient>, Vec<Recipient>) {
    let roster = &scene.roster;
    let in_post: Vec<&DesignationRow> = roster
        .designations
        .iter()
        .filter(|d| d.active_on(day))
        .collect();
    let recipient = |member_id: &str| {
        roster.members.get(member_id).map(|m| Recipient {
            member_id: Some(m.id.clone()),
            name: m.name.clone(),
            email: (!m.email.trim().is_empty()).then(|| m.email.clone()),
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    let recipients = in_post
        .iter()
        .filter(|d| seen.insert(d.member_id.clone()))
        .filter_map(|d| recipient(&d.member_id))
        .collect();
    let facilitators = in_post
        .iter()
        .filter(|d| d.post == Post::Facilitator)
        .filter_map(|d| recipient(&d.member_id))
        .collect();
    (recipients, facilitators)
}

pub(super) fn secretariat_ref(scene: &Scene) -> SecretariatRef {
    SecretariatRef {
        id: scene.roster.secretariat.id.clone(),
        name: scene.roster.secretariat.name.clone(),
        utc_offset_minutes: scene.roster.secretariat.utc_offset_minutes,
    }
}

pub(super) fn session_details(scene: &Scene, session: &SessionRow) -> SessionDetails {
    SessionDetails {
        id: session.id.clone(),
        kind: kind_str(session.kind).into(),
        title: kind_title(session.kind).into(),
        folio: Some(session.folio.clone()),
        date: edge::iso(session.held_on),
        time: session.scheduled_time.clone(),
        place: session.place.clone(),
        utc_offset_minutes: scene.roster.secretariat.utc_offset_minutes as i32,
        duration_minutes: 120,
    }
}

pub(super) fn agenda(scene: &Scene) -> Vec<AgendaItem> {
    scene
        .agenda
        .iter()
        .map(|item| AgendaItem {
            number: item.position as u32,
            title: item.title.clone(),
            description: item.description.clone(),
        })
        .collect()
}

pub(super) fn notice_met(notice: &rubrica_rules::NoticeFinding) -> NoticeMet {
    NoticeMet {
        business_days: notice.business_days,
        required: notice.required,
        explanation: notice.explanation.clone(),
    }
}

/// What a rescheduling changed, one Spanish line each.
pub(super) fn schedule_changes(before: &SessionRow, after: &SessionRow) -> Vec<String> {
    let mut changes = Vec::new();
    if before.held_on != after.held_on {
        changes.push(format!(
            "Nueva fecha: {} (antes {}). La convocatoria se emitirá de nuevo con la anticipación requerida (000 V.6).",
            edge::iso(after.held_on),
            edge::iso(before.held_on)
        ));
    }
    if before.scheduled_time != after.scheduled_time {
        changes.push(format!(
            "Nueva hora: {} (antes {})",
            after.scheduled_time, before.scheduled_time
        ));
    }
    if before.place != after.place {
        changes.push(format!(
            "Nuevo lugar: {} (antes {})",
            after.place, before.place
        ));
    }
    changes
}
