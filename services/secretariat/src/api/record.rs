//! What happened in a session, as the documents service needs it to write the
//! acta or minuta: the payload of the `session.closed` event, also shown by
//! `GET /sessions/{id}` while the session is under way.

use std::collections::BTreeSet;

use rubrica_rules::{
    DecisionFinding, DecisionSettings, NoticeFinding, NoticeSettings, Presence, QuorumFinding,
    QuorumSettings, representation,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::edge;
use super::model::*;
use super::scene::Scene;
use super::secretariats::word;

/// The record of a session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionRecord {
    pub secretariat: SecretariatRef,
    pub session: SessionInfo,
    /// The convocatoria and its notice finding (000 V.6); absent if none was issued.
    pub convocatoria: Option<ConvocatoriaRecord>,
    /// Who attended, seat by seat, and who represented each seat (000 V.2–3).
    pub attendance: AttendanceRecord,
    /// The quorum finding when the session opened (000 V.2–3).
    pub quorum: QuorumRecord,
    /// The agenda, its approval (000 V.1) and the deliberations per item.
    pub agenda: AgendaRecord,
    /// Every motion put to the vote, with its findings.
    pub motions: Vec<MotionRecord>,
    /// The agreements, with their tallies, explanations and the rule applied.
    pub agreements: Vec<AgreementRecord>,
    /// The attendees who must initial every page and sign at the bottom (000 V.7).
    pub signers: Vec<Signer>,
    /// The settings of the rules applied.
    pub rules: RulesApplied,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretariatRef {
    pub id: String,
    pub name: String,
    pub preset: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub id: String,
    /// `ordinaria`, `extraordinaria` or `reunion_de_trabajo`.
    pub kind: String,
    /// "Sesión ordinaria"…
    pub title: String,
    /// `acta` for sessions, `minuta` for work meetings (000 V.7).
    pub record: String,
    /// Number of its kind in its year.
    pub number: i64,
    /// e.g. `2026-ORD-01`.
    pub folio: String,
    /// `AAAA-MM-DD`.
    pub date: String,
    /// Scheduled time `HH:MM`.
    pub scheduled_time: String,
    pub place: String,
    /// When it opened (RFC 3339, local offset).
    pub opened_at: Option<String>,
    /// When it closed (RFC 3339, local offset).
    pub closed_at: Option<String>,
    /// Local time it opened, `HH:MM`.
    pub start_time: Option<String>,
    /// Local time it closed, `HH:MM`.
    pub end_time: Option<String>,
    pub utc_offset_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConvocatoriaRecord {
    /// `AAAA-MM-DD`.
    pub issued_on: String,
    /// The rules' notice finding (`rubrica_rules::NoticeFinding`).
    #[schema(value_type = Object)]
    pub notice: NoticeFinding,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttendanceRecord {
    /// One entry per seat, in the configuration's order.
    pub seats: Vec<SeatAttendance>,
    /// The facilitator and invited members who attended.
    pub others: Vec<Attendee>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeatAttendance {
    pub seat: String,
    pub seat_name: String,
    pub sector: String,
    /// `gobierno`, `sociedad_civil` or `organo_garante`.
    pub group: String,
    /// Whether it had a designated titular on the session's day.
    pub active: bool,
    /// `titular`, `suplente` or `none`: who represented it (000 V.2–3).
    pub represented_by: String,
    /// Whether the suplente voted for an absent titular at some moment.
    pub suplente_acted: bool,
    /// Titular, suplente and enlace of the seat who attended.
    pub attendees: Vec<Attendee>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attendee {
    pub member_id: String,
    pub name: String,
    pub rfc: String,
    /// `titular`, `suplente`, `enlace`, `facilitador` or `invitado`.
    pub capacity: String,
    pub seat: Option<String>,
    /// Invited members: their project.
    pub project: Option<String>,
    /// Arrivals and departures.
    pub stays: Vec<Stay>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stay {
    /// RFC 3339.
    pub arrived_at: String,
    /// RFC 3339; absent while in the room.
    pub departed_at: Option<String>,
    /// `HH:MM` local.
    pub arrived: String,
    pub departed: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuorumRecord {
    /// The finding when the session opened (`rubrica_rules::QuorumFinding`).
    #[schema(value_type = Option<Object>)]
    pub at_opening: Option<QuorumFinding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgendaRecord {
    pub items: Vec<AgendaItemRecord>,
    /// Its approval at the start of the session (000 V.1).
    pub approval: Option<AgendaApproval>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgendaItemRecord {
    pub position: i64,
    pub title: String,
    pub description: Option<String>,
    /// What was deliberated on it.
    pub deliberation: Option<String>,
    /// Numbers of the motions voted under it.
    pub motions: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MotionRecord {
    pub id: String,
    pub number: i64,
    pub agenda_item: Option<i64>,
    pub text: String,
    /// RFC 3339.
    pub voted_at: String,
    /// `HH:MM` local.
    pub time: String,
    /// Quorum re-evaluated at the vote (`rubrica_rules::QuorumFinding`).
    #[schema(value_type = Object)]
    pub quorum: QuorumFinding,
    /// The decision (`rubrica_rules::DecisionFinding`): outcome, rule, tally, explanation.
    #[schema(value_type = Object)]
    pub decision: DecisionFinding,
    pub votes: Vec<VoteRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VoteRecord {
    pub seat: String,
    pub seat_name: String,
    /// `favor`, `contra` or `abstencion`.
    pub vote: String,
    /// Who cast it for the seat.
    pub member_id: Option<String>,
    pub name: Option<String>,
    /// `titular` or `suplente`.
    pub capacity: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgreementRecord {
    pub id: String,
    pub number: i64,
    /// e.g. `2026-ORD-01/ACU-01`.
    pub folio: String,
    pub text: String,
    pub responsible_seat: Option<String>,
    pub responsible_seat_name: Option<String>,
    pub due_on: Option<String>,
    /// `pendiente`, `en_proceso`, `cumplido` or `cancelado`.
    pub status: String,
    /// The motion that approved it.
    pub motion: i64,
    /// `aprobado`.
    pub outcome: String,
    /// The rule applied: `consenso`, `mayoria` or `voto_de_calidad`.
    pub decided_by: String,
    pub favor: usize,
    pub contra: usize,
    pub abstencion: usize,
    /// The decision's explanation, naming the rule (000 VI; 004 Table 2).
    pub explanation: String,
    /// The quorum finding at the vote.
    pub quorum: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Signer {
    pub member_id: String,
    pub name: String,
    /// What the signing service matches against the FIEL certificate.
    pub rfc: String,
    pub email: String,
    /// `titular`, `suplente`, `enlace` or `invitado`.
    pub capacity: String,
    pub seat: Option<String>,
    pub seat_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RulesApplied {
    pub preset: String,
    /// The presiding seat (casting vote, 000 VI).
    pub president_seat: String,
    #[schema(value_type = Object)]
    pub quorum: QuorumSettings,
    #[schema(value_type = Object)]
    pub decision: DecisionSettings,
    #[schema(value_type = Object)]
    pub notice: NoticeSettings,
    pub signers: SignerSettings,
}

/// The record of a scene, with attendance counted up to `until` (the
/// closing, or now for a session under way).
pub fn build(scene: &Scene, until: i64) -> SessionRecord {
    let s = &scene.session;
    let offset = scene.offset();
    let roster = &scene.roster;
    let window = s
        .opened_at
        .map(|opened| (opened, s.closed_at.unwrap_or(until).max(opened)));

    let attendee = |member_id: &str, capacity: Post, seat: Option<&str>| -> Attendee {
        let member = roster.members.get(member_id);
        let stays = scene
            .attendance
            .iter()
            .filter(|a| a.member_id == member_id && a.capacity == capacity)
            .map(|a| Stay {
                arrived_at: edge::rfc3339(a.arrived_at, offset),
                departed_at: a.departed_at.map(|d| edge::rfc3339(d, offset)),
                arrived: edge::clock(a.arrived_at, offset),
                departed: a.departed_at.map(|d| edge::clock(d, offset)),
            })
            .collect();
        let project = roster
            .post_of(member_id, s.held_on)
            .and_then(|d| d.project.clone());
        Attendee {
            member_id: member_id.to_string(),
            name: roster.name(member_id).to_string(),
            rfc: member.map(|m| m.rfc.clone()).unwrap_or_default(),
            capacity: capacity.as_str().to_string(),
            seat: seat.map(str::to_string),
            project,
            stays,
        }
    };
    // Each (member, capacity) once, in order of first arrival.
    let mut seen = BTreeSet::new();
    let attended: Vec<&AttendanceRow> = scene
        .attendance
        .iter()
        .filter(|a| seen.insert((a.member_id.clone(), a.capacity)))
        .collect();

    let seats = scene
        .config
        .seats
        .iter()
        .map(|seat| {
            let id = seat.id.as_str();
            let presence = seat_presence(scene, id, window);
            let attendees = [Post::Titular, Post::Suplente, Post::Enlace]
                .into_iter()
                .flat_map(|post| {
                    attended
                        .iter()
                        .filter(move |a| a.capacity == post && a.seat.as_deref() == Some(id))
                })
                .map(|a| attendee(&a.member_id, a.capacity, Some(id)))
                .collect();
            SeatAttendance {
                seat: id.to_string(),
                seat_name: seat.name.clone(),
                sector: word(&seat.sector),
                group: word(&seat.group()),
                active: seat.active,
                represented_by: word(&if seat.active {
                    presence.represented_by
                } else {
                    Presence::Absent
                }),
                suplente_acted: seat.active && presence.suplente_acted,
                attendees,
            }
        })
        .collect();
    let others = attended
        .iter()
        .filter(|a| matches!(a.capacity, Post::Facilitator | Post::Invited))
        .map(|a| attendee(&a.member_id, a.capacity, None))
        .collect();

    let motions: Vec<MotionRecord> = scene
        .motions
        .iter()
        .map(|m| MotionRecord {
            id: m.id.clone(),
            number: m.number,
            agenda_item: m.agenda_position,
            text: m.wording.clone(),
            voted_at: edge::rfc3339(m.voted_at, offset),
            time: edge::clock(m.voted_at, offset),
            quorum: m.quorum.clone(),
            decision: m.decision.clone(),
            votes: scene
                .votes
                .iter()
                .filter(|v| v.motion_id == m.id)
                .map(|v| VoteRecord {
                    seat: v.seat.clone(),
                    seat_name: roster.seat_name(&v.seat),
                    vote: v.vote.clone(),
                    member_id: v.member_id.clone(),
                    name: v.member_id.as_deref().map(|id| roster.name(id).to_string()),
                    capacity: v.capacity.map(|c| c.as_str().to_string()),
                })
                .collect(),
        })
        .collect();

    let agreements = scene
        .agreements
        .iter()
        .filter_map(|a| {
            let motion = scene.motions.iter().find(|m| m.id == a.motion_id)?;
            let d = &motion.decision;
            Some(AgreementRecord {
                id: a.id.clone(),
                number: a.number,
                folio: a.folio.clone(),
                text: a.wording.clone(),
                responsible_seat: a.responsible_seat.clone(),
                responsible_seat_name: a.responsible_seat.as_deref().map(|s| roster.seat_name(s)),
                due_on: a.due_on.map(edge::iso),
                status: a.status.clone(),
                motion: motion.number,
                outcome: word(&d.outcome),
                decided_by: word(&d.by),
                favor: d.in_favour,
                contra: d.against,
                abstencion: d.abstentions,
                explanation: d.explanation.clone(),
                quorum: motion.quorum.explanation.clone(),
            })
        })
        .collect();

    let config = &roster.secretariat.config;
    SessionRecord {
        secretariat: SecretariatRef {
            id: roster.secretariat.id.clone(),
            name: roster.secretariat.name.clone(),
            preset: roster.secretariat.preset.clone(),
        },
        session: SessionInfo {
            id: s.id.clone(),
            kind: kind_str(s.kind).to_string(),
            title: kind_title(s.kind).to_string(),
            record: record_kind(s.kind).to_string(),
            number: s.number,
            folio: s.folio.clone(),
            date: edge::iso(s.held_on),
            scheduled_time: s.scheduled_time.clone(),
            place: s.place.clone(),
            opened_at: s.opened_at.map(|t| edge::rfc3339(t, offset)),
            closed_at: s.closed_at.map(|t| edge::rfc3339(t, offset)),
            start_time: s.opened_at.map(|t| edge::clock(t, offset)),
            end_time: s.closed_at.map(|t| edge::clock(t, offset)),
            utc_offset_minutes: offset,
        },
        convocatoria: match (s.convocatoria_issued_on, &s.notice) {
            (Some(issued), Some(notice)) => Some(ConvocatoriaRecord {
                issued_on: edge::iso(issued),
                notice: notice.clone(),
            }),
            _ => None,
        },
        attendance: AttendanceRecord { seats, others },
        quorum: QuorumRecord {
            at_opening: s.quorum_at_opening.clone(),
        },
        agenda: AgendaRecord {
            items: scene
                .agenda
                .iter()
                .map(|item| AgendaItemRecord {
                    position: item.position,
                    title: item.title.clone(),
                    description: item.description.clone(),
                    deliberation: item.deliberation.clone(),
                    motions: motions
                        .iter()
                        .filter(|m| m.agenda_item == Some(item.position))
                        .map(|m| m.number)
                        .collect(),
                })
                .collect(),
            approval: s.agenda_approval.clone(),
        },
        motions,
        agreements,
        signers: attendees_who_sign(scene, window),
        rules: RulesApplied {
            preset: roster.secretariat.preset.clone(),
            president_seat: config.president.to_string(),
            quorum: config.quorum,
            decision: config.decision,
            notice: config.notice,
            signers: roster.secretariat.signers,
        },
    }
}

/// How a seat was represented over the session.
struct SeatPresence {
    /// Titular if the titular attended while the session was open, else the
    /// suplente if they did, else nobody.
    represented_by: Presence,
    /// Whether at some moment the suplente was in the room without the
    /// titular, and so represented the seat with voice and vote (000 V.3).
    suplente_acted: bool,
}

/// Walks the session's open window moment by moment — cut at every arrival
/// and departure — and asks the rules who represented the seat in each
/// stretch ([`representation`], 000 V.2–3).
fn seat_presence(scene: &Scene, seat: &str, window: Option<(i64, i64)>) -> SeatPresence {
    let Some((opened, closed)) = window else {
        return SeatPresence {
            represented_by: Presence::Absent,
            suplente_acted: false,
        };
    };
    let stays: Vec<&AttendanceRow> = scene
        .attendance
        .iter()
        .filter(|a| a.seat.as_deref() == Some(seat))
        .filter(|a| matches!(a.capacity, Post::Titular | Post::Suplente))
        .collect();
    let mut cuts: Vec<i64> = vec![opened];
    for a in &stays {
        cuts.push(a.arrived_at.clamp(opened, closed));
        if let Some(d) = a.departed_at {
            cuts.push(d.clamp(opened, closed));
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let in_room = |capacity: Post, t: i64| {
        stays
            .iter()
            .any(|a| a.capacity == capacity && a.present_at(t))
    };
    let (mut titular_attended, mut suplente_attended, mut suplente_acted) = (false, false, false);
    for &t in cuts.iter().filter(|t| **t < closed || opened == closed) {
        let (titular, suplente) = (in_room(Post::Titular, t), in_room(Post::Suplente, t));
        titular_attended |= titular;
        suplente_attended |= suplente;
        suplente_acted |= representation(titular, suplente) == Presence::Suplente;
    }
    SeatPresence {
        represented_by: representation(titular_attended, suplente_attended),
        suplente_acted,
    }
}

/// 000 V.7: the acta "deberá aprobarse, ser rubricada en cada hoja y firmada
/// al calce por todos los integrantes del Secretariado que asistieron".
///
/// Read as issue 4 states it: every titular who attended while the session
/// was open, and every suplente who represented the seat at some moment of it
/// (the titular absent, 000 V.3) sign; enlaces and invited members sign only
/// when the secretariat's settings say so (by default they do not: voice
/// only, 000 III.3, VIII.5). The facilitator drafts and collects the
/// signatures but is not a member and does not sign. A suplente who attended
/// only alongside the titular had voice only and does not sign. Order: seats
/// in configuration order (titular, suplente, enlace), then invited members.
pub fn attendees_who_sign(scene: &Scene, window: Option<(i64, i64)>) -> Vec<Signer> {
    let Some((opened, closed)) = window else {
        return Vec::new();
    };
    let roster = &scene.roster;
    let settings = roster.secretariat.signers;
    let attended_in_window = |a: &AttendanceRow| {
        a.arrived_at <= closed && a.departed_at.is_none_or(|d| d > opened || opened == closed)
    };
    let signer = |a: &AttendanceRow| {
        let member = roster.members.get(&a.member_id);
        Signer {
            member_id: a.member_id.clone(),
            name: roster.name(&a.member_id).to_string(),
            rfc: member.map(|m| m.rfc.clone()).unwrap_or_default(),
            email: member.map(|m| m.email.clone()).unwrap_or_default(),
            capacity: a.capacity.as_str().to_string(),
            seat: a.seat.clone(),
            seat_name: a.seat.as_deref().map(|s| roster.seat_name(s)),
        }
    };
    let mut signers: Vec<Signer> = Vec::new();
    let mut push = |candidate: Signer| {
        if !signers.iter().any(|s| s.member_id == candidate.member_id) {
            signers.push(candidate);
        }
    };
    for seat in &scene.config.seats {
        let id = seat.id.as_str();
        let presence = seat_presence(scene, id, window);
        let of_seat = |post: Post| {
            scene
                .attendance
                .iter()
                .filter(move |a| a.capacity == post && a.seat.as_deref() == Some(id))
                .filter(|a| attended_in_window(a))
        };
        for a in of_seat(Post::Titular) {
            push(signer(a));
        }
        if seat.active && presence.suplente_acted {
            for a in of_seat(Post::Suplente) {
                push(signer(a));
            }
        }
        if settings.enlaces {
            for a in of_seat(Post::Enlace) {
                push(signer(a));
            }
        }
    }
    if settings.invited_members {
        let mut invited: Vec<&AttendanceRow> = scene
            .attendance
            .iter()
            .filter(|a| a.capacity == Post::Invited && attended_in_window(a))
            .collect();
        invited.sort_by_key(|a| roster.name(&a.member_id).to_string());
        for a in invited {
            push(signer(a));
        }
    }
    signers
}
