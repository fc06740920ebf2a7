//! A session with everything the rules look at: who sits where on its day,
//! who is in the room at a given instant, and what was already decided.

use rubrica_platform::OrUnexpected;
use rubrica_platform::{ApiError, ApiResult, Caller};
use rubrica_rules::{Attendance, Config, Presence, QuorumFinding, SeatId, quorum};
use sqlx::AnyConnection;

use super::db;
use super::edge;
use super::model::*;
use super::roster::{Roster, ensure_secretariat};

/// A session and its surroundings, read in one transaction.
pub struct Scene {
    pub roster: Roster,
    pub session: SessionRow,
    /// The configuration on the session's day (seats active per designations).
    pub config: Config,
    pub agenda: Vec<AgendaItemRow>,
    pub attendance: Vec<AttendanceRow>,
    pub motions: Vec<MotionRow>,
    pub votes: Vec<VoteRow>,
    pub agreements: Vec<AgreementRow>,
}

impl Scene {
    /// Reads a session the caller may see; with `lock_at`, holds its row for
    /// the rest of the transaction (see [`db::lock_session`]).
    pub async fn load(
        conn: &mut AnyConnection,
        caller: &Caller,
        session_id: &str,
        lock_at: Option<i64>,
    ) -> ApiResult<Scene> {
        let session = match lock_at {
            Some(now) => db::lock_session(conn, session_id, now).await,
            None => db::session(conn, session_id).await,
        }
        .or_unexpected("leyendo la sesión")?
        .ok_or_else(|| session_not_found(session_id))?;
        ensure_secretariat(caller, &session.secretariat_id)?;
        Scene::around(conn, session).await
    }

    /// Reads what surrounds a session already read.
    pub async fn around(conn: &mut AnyConnection, session: SessionRow) -> ApiResult<Scene> {
        let roster = Roster::load(conn, &session.secretariat_id).await?;
        let config = roster.config_on(session.held_on);
        let agenda = db::agenda(conn, &session.id)
            .await
            .or_unexpected("leyendo el orden del día")?;
        let attendance = db::attendance(conn, &session.id)
            .await
            .or_unexpected("leyendo la asistencia")?;
        let motions = db::motions(conn, &session.id)
            .await
            .or_unexpected("leyendo las votaciones")?;
        let votes = db::votes(conn, &session.id)
            .await
            .or_unexpected("leyendo los votos")?;
        let agreements = db::agreements(conn, &session.id)
            .await
            .or_unexpected("leyendo los acuerdos")?;
        Ok(Scene {
            roster,
            session,
            config,
            agenda,
            attendance,
            motions,
            votes,
            agreements,
        })
    }

    /// The secretariat's offset from UTC, for times.
    pub fn offset(&self) -> i64 {
        self.roster.secretariat.utc_offset_minutes
    }

    /// 000 V.2–3 at instant `t`: each active seat with its titular or
    /// suplente in the room. Who represents the seat is the rules' call
    /// ([`rubrica_rules::representation`], through [`Attendance::new`]);
    /// enlaces, the facilitator and invited members are not entries.
    pub fn rules_attendance(&self, t: i64) -> ApiResult<Attendance> {
        let entries = self
            .attendance
            .iter()
            .filter(|a| a.present_at(t))
            .filter_map(|a| {
                let presence = match a.capacity {
                    Post::Titular => Presence::Titular,
                    Post::Suplente => Presence::Suplente,
                    _ => return None,
                };
                let seat = self.config.seat(a.seat.as_deref()?)?;
                // A suplente of a seat without titular (inactive) has voice only.
                seat.active.then(|| (seat.id.clone(), presence))
            });
        Attendance::new(&self.config, entries).map_err(|e| {
            ApiError::Unexpected(anyhow::anyhow!(
                "asistencia incongruente con la configuración: {e}"
            ))
        })
    }

    /// Quorum at instant `t` (000 V.2–3).
    pub fn quorum_at(&self, t: i64) -> ApiResult<QuorumFinding> {
        Ok(quorum(&self.config, &self.rules_attendance(t)?))
    }

    /// The stay of whoever represents `seat` at `t`, per the rules.
    pub fn representative(
        &self,
        attendance: &Attendance,
        seat: &SeatId,
        t: i64,
    ) -> Option<&AttendanceRow> {
        let capacity = match attendance.presence(seat) {
            Presence::Titular => Post::Titular,
            Presence::Suplente => Post::Suplente,
            Presence::Absent => return None,
        };
        self.attendance.iter().find(|a| {
            a.capacity == capacity && a.seat.as_deref() == Some(seat.as_str()) && a.present_at(t)
        })
    }

    /// A 409 for an operation the session's state does not allow, saying
    /// what to do instead.
    pub fn refuse(&self, action: &str) -> ApiError {
        let s = &self.session;
        let message = match s.status {
            SessionStatus::Cancelled => format!(
                "La sesión {} se canceló: no se puede {action}. Programe una nueva sesión si es necesario.",
                s.folio
            ),
            SessionStatus::Closed => format!(
                "La sesión {} ya se cerró: no se puede {action}. Su registro se envió para elaborar {}; consúltelo con GET /sessions/{}.",
                s.folio,
                match record_kind(s.kind) {
                    "minuta" => "la minuta",
                    _ => "el acta",
                },
                s.id
            ),
            SessionStatus::Open => format!(
                "La sesión {} ya está abierta: no se puede {action}.",
                s.folio
            ),
            SessionStatus::Convened => format!(
                "La sesión {} está convocada pero aún no se abre: para {action}, ábrala primero con POST /sessions/{}/open.",
                s.folio, s.id
            ),
            SessionStatus::Scheduled => format!(
                "La sesión {} aún no se convoca ni se abre: para {action}, emita la convocatoria (POST /sessions/{id}/convocatoria) y abra la sesión (POST /sessions/{id}/open).",
                s.folio,
                id = s.id
            ),
        };
        ApiError::Conflict(message)
    }

    /// Refuses unless the session is open and its agenda approved (000 V.1).
    pub fn require_open_with_agenda(&self, action: &str) -> ApiResult<()> {
        if self.session.status != SessionStatus::Open {
            return Err(self.refuse(action));
        }
        if !self.session.agenda_approved() {
            return Err(ApiError::Conflict(format!(
                "Para {action} primero debe aprobarse el orden del día de la sesión {} (000 V.1): regístrelo con POST /sessions/{}/agenda-approval.",
                self.session.folio, self.session.id
            )));
        }
        Ok(())
    }

    /// Refuses an instant before the session opened.
    pub fn require_after_opening(&self, field: &str, t: i64) -> ApiResult<()> {
        match self.session.opened_at {
            Some(opened) if t < opened => Err(ApiError::Unprocessable(format!(
                "`{field}` ({}) es anterior a la apertura de la sesión ({}). Indique un momento posterior u omítalo para usar la hora actual.",
                edge::rfc3339(t, self.offset()),
                edge::rfc3339(opened, self.offset())
            ))),
            _ => Ok(()),
        }
    }
}

pub fn session_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe la sesión «{}». Consulte las sesiones en GET /secretariats/{{id}}/sessions.",
        edge::shorten(id)
    ))
}
