//! Who sits where on a given day: the secretariat, its members and their
//! designations, and the rules configuration with each seat's `active` flag
//! as of that day (000 V.2: a seat is active when it has a designated titular).

use rubrica_platform::OrUnexpected;
use std::collections::BTreeMap;

use rubrica_platform::{ApiError, ApiResult, Caller, Role};
use rubrica_rules::{Calendar, Config};
use sqlx::AnyConnection;
use time::Date;

use super::db;
use super::model::{DesignationRow, MemberRow, Post, SecretariatRow};

/// A secretariat with everyone who was ever designated in it.
pub struct Roster {
    pub secretariat: SecretariatRow,
    pub members: BTreeMap<String, MemberRow>,
    /// Oldest first.
    pub designations: Vec<DesignationRow>,
}

impl Roster {
    /// Reads the secretariat and its people; 404 when it does not exist.
    pub async fn load(conn: &mut AnyConnection, secretariat_id: &str) -> ApiResult<Roster> {
        let secretariat = db::secretariat(conn, secretariat_id)
            .await
            .or_unexpected("leyendo el secretariado")?
            .ok_or_else(|| secretariat_not_found(secretariat_id))?;
        let members = db::members(conn, secretariat_id)
            .await
            .or_unexpected("leyendo los integrantes")?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let designations = db::designations(conn, secretariat_id)
            .await
            .or_unexpected("leyendo las designaciones")?;
        Ok(Roster {
            secretariat,
            members,
            designations,
        })
    }

    /// The configuration in force on `day`: every seat with a titular
    /// designated that day is active, every other seat inactive.
    pub fn config_on(&self, day: Date) -> Config {
        let mut config = self.secretariat.config.clone();
        for seat in &mut config.seats {
            seat.active = self.holder(seat.id.as_str(), Post::Titular, day).is_some();
        }
        config
    }

    /// Who holds `post` in `seat` on `day`.
    pub fn holder(&self, seat: &str, post: Post, day: Date) -> Option<&DesignationRow> {
        self.designations
            .iter()
            .rev()
            .find(|d| d.post == post && d.seat.as_deref() == Some(seat) && d.active_on(day))
    }

    /// The member's post on `day` (a member holds one post at a time).
    pub fn post_of(&self, member_id: &str, day: Date) -> Option<&DesignationRow> {
        self.designations
            .iter()
            .rev()
            .find(|d| d.member_id == member_id && d.active_on(day))
    }

    /// The member's name ("(desconocido)" if the row vanished).
    pub fn name(&self, member_id: &str) -> &str {
        self.members
            .get(member_id)
            .map(|m| m.name.as_str())
            .unwrap_or("(integrante desconocido)")
    }

    /// The seat's name as the acta prints it, or its id.
    pub fn seat_name(&self, seat: &str) -> String {
        self.secretariat
            .config
            .seat(seat)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| seat.to_string())
    }
}

/// The business-day calendar of a secretariat (000 V.6).
pub async fn calendar(conn: &mut AnyConnection, secretariat_id: &str) -> ApiResult<Calendar> {
    let days = db::non_working_days(conn, secretariat_id)
        .await
        .or_unexpected("leyendo los días inhábiles")?;
    Ok(Calendar::new(days.into_iter().map(|(d, _)| d)))
}

/// A secretariat's UTC offset in minutes (its own local time:
/// Mexico has four zones); 404 when it does not exist.
pub async fn offset_of(conn: &mut AnyConnection, secretariat_id: &str) -> ApiResult<i64> {
    db::secretariat(conn, secretariat_id)
        .await
        .or_unexpected("leyendo el secretariado")?
        .map(|s| s.utc_offset_minutes)
        .ok_or_else(|| secretariat_not_found(secretariat_id))
}

pub fn secretariat_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "No existe el secretariado «{}». Revise el identificador; el operador puede crearlo con POST /secretariats.",
        super::edge::shorten(id)
    ))
}

/// Data-dependent access: the operator acts on any secretariat, a member
/// only on their own.
pub fn ensure_secretariat(caller: &Caller, secretariat_id: &str) -> ApiResult<()> {
    if caller.has_any(&[Role::Operator]) || caller.secretariat_id.as_deref() == Some(secretariat_id)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Solo puede consultar o modificar el Secretariado al que pertenece. Use una sesión o un token de ese Secretariado.".into(),
        ))
    }
}
