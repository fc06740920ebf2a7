//! A secretariat's configuration: its seats, who presides, and the named settings through which
//! each ambiguous or state-specific rule is chosen.
//!
//! The defaults of every setting are the Jalisco mechanism's (seed 000); the presets of the
//! other fifteen STLs (seed 004, Table 2) change only what that table says differs.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::terms::TermRule;

/// A seat's identifier, e.g. `organo_garante`.
///
/// Parsed once at the edge: 1–64 characters, lowercase ASCII letters, digits and `_`, so it is
/// safe in URLs, file names and JSON keys, and two spellings of one seat cannot coexist.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SeatId(String);

impl SeatId {
    /// Checks the identifier's form.
    pub fn parse(value: &str) -> Result<Self> {
        let well_formed = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if well_formed {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::InvalidSeatId {
                value: value.to_owned(),
            })
        }
    }

    /// For identifiers written in this crate's source (presets); tests parse them all.
    pub(crate) fn new_unchecked(value: String) -> Self {
        Self(value)
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SeatId {
    type Error = Error;

    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<SeatId> for String {
    fn from(id: SeatId) -> Self {
        id.0
    }
}

impl fmt::Display for SeatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The three columns of the guide's Table 2 (004): every seat belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SectorGroup {
    /// Public authorities: the powers of the state, municipalities, other public bodies.
    #[serde(rename = "gobierno")]
    Government,
    /// Academia, business, civil organisations, the tech community (000 I; 004 Table 2).
    #[serde(rename = "sociedad_civil")]
    CivilSociety,
    /// The local transparency body (*órgano garante*), ITEI in Jalisco.
    #[serde(rename = "organo_garante")]
    GuarantorBody,
}

impl SectorGroup {
    /// All groups, in Table 2's column order.
    pub const ALL: [SectorGroup; 3] = [
        SectorGroup::Government,
        SectorGroup::CivilSociety,
        SectorGroup::GuarantorBody,
    ];

    /// The group's name as an acta writes it.
    pub fn name_es(self) -> &'static str {
        match self {
            SectorGroup::Government => "gobierno",
            SectorGroup::CivilSociety => "sociedad civil",
            SectorGroup::GuarantorBody => "órgano garante",
        }
    }
}

/// What kind of member sits in a seat; it fixes the seat's [`SectorGroup`] and its default
/// [`TermRule`] (000 I, II.2–3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Sector {
    /// The transparency body (000 I, first bullet).
    #[serde(rename = "organo_garante")]
    GuarantorBody,
    /// The state's Executive (000 I: the Governor).
    #[serde(rename = "ejecutivo")]
    Executive,
    /// The state's Judiciary (000 I: its presiding magistrate).
    #[serde(rename = "judicial")]
    Judiciary,
    /// The state's Legislature (000 I).
    #[serde(rename = "legislativo")]
    Legislature,
    /// A municipality, through its municipal president (000 I).
    #[serde(rename = "ayuntamiento")]
    Municipality,
    /// Any other public body (an electoral institute, a public university's comptroller...).
    #[serde(rename = "otro_ente_publico")]
    OtherPublicBody,
    /// Universities, through a rector (000 I).
    #[serde(rename = "academia")]
    Academia,
    /// The business sector, preferably a chamber of commerce (000 I).
    #[serde(rename = "empresarial")]
    Business,
    /// Organised civil society, through a civil association (000 I).
    #[serde(rename = "asociacion_civil")]
    CivilOrganisation,
    /// The tech community (000 I).
    #[serde(rename = "comunidad_tecnologica")]
    TechCommunity,
    /// Any other civil-society representative (the guide's presets use it).
    #[serde(rename = "otra_sociedad_civil")]
    OtherCivilSociety,
}

impl Sector {
    /// 004 Table 2 / 000 I: the group whose column the sector falls in.
    pub fn group(self) -> SectorGroup {
        match self {
            Sector::GuarantorBody => SectorGroup::GuarantorBody,
            Sector::Executive
            | Sector::Judiciary
            | Sector::Legislature
            | Sector::Municipality
            | Sector::OtherPublicBody => SectorGroup::Government,
            Sector::Academia
            | Sector::Business
            | Sector::CivilOrganisation
            | Sector::TechCommunity
            | Sector::OtherCivilSociety => SectorGroup::CivilSociety,
        }
    }

    /// 000 II.2–3: how long a member of this sector stays, unless the seat overrides it.
    ///
    /// Public seats renew with their mandate (II.2.a–d), the municipality at the end of the
    /// period for which it was incorporated (II.2.e), and the civil-society seats are staggered
    /// (II.3.a–d). The guide gives no term for its generic seats, so those are unspecified.
    pub fn default_term(self) -> TermRule {
        match self {
            Sector::GuarantorBody
            | Sector::Executive
            | Sector::Judiciary
            | Sector::Legislature
            | Sector::OtherPublicBody => TermRule::Mandate,
            Sector::Municipality => TermRule::IncorporationPeriod {
                immediate_reelection: false,
            },
            Sector::CivilOrganisation => TermRule::Years { years: 3 },
            Sector::TechCommunity => TermRule::Years { years: 4 },
            Sector::Business => TermRule::Years { years: 4 },
            Sector::Academia => TermRule::Years { years: 5 },
            Sector::OtherCivilSociety => TermRule::Unspecified,
        }
    }
}

/// One seat of the secretariat (*asiento*): one titular, one suplente and one enlace sit in it
/// (000 III.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seat {
    /// Stable identifier used in every API, scenario and record.
    pub id: SeatId,
    /// The seat's name as the acta prints it, e.g. `Poder Ejecutivo del Estado`.
    pub name: String,
    /// What kind of member sits here; fixes the group and the default term.
    pub sector: Sector,
    /// Whether the seat has a designated titular. Only active seats count towards quorum
    /// (000 V.2: "los integrantes ... que se encuentren activos").
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// A term rule that replaces the sector's default (for STLs whose mechanism differs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<TermRule>,
}

fn active_by_default() -> bool {
    true
}

impl Seat {
    /// A seat with its sector's defaults: active, default term.
    pub fn new(id: SeatId, name: impl Into<String>, sector: Sector) -> Self {
        Self {
            id,
            name: name.into(),
            sector,
            active: true,
            term: None,
        }
    }

    /// The seat's column in Table 2.
    pub fn group(&self) -> SectorGroup {
        self.sector.group()
    }

    /// Whether the seat belongs to civil society — the group that quorum and decisions
    /// protect (000 V.2, VI).
    pub fn is_civil_society(&self) -> bool {
        self.group() == SectorGroup::CivilSociety
    }

    /// The term rule in force: the seat's override, else its sector's default.
    pub fn term_rule(&self) -> TermRule {
        self.term.unwrap_or_else(|| self.sector.default_term())
    }
}

/// How the quorum rule is applied (000 V.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuorumSettings {
    /// 000 V.2: "Siempre deberá estar presente un representante de sociedad civil."
    pub civil_society_required: bool,
}

impl Default for QuorumSettings {
    fn default() -> Self {
        Self {
            civil_society_required: true,
        }
    }
}

/// What "majority" is measured against when some represented seats abstain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MajorityBase {
    /// Favour must exceed against; abstentions do not count either way. Our reading of
    /// 000 VI "mayoría de votos de los presentes": a majority *of the votes* cast.
    #[default]
    #[serde(rename = "votos_emitidos")]
    VotesCast,
    /// Favour must exceed half of the represented seats, so an abstention weighs like a vote
    /// against. The stricter reading, for secretariats that adopt it.
    #[serde(rename = "asientos_representados")]
    SeatsRepresented,
}

/// How decisions are taken (000 VI; 004 Table 2, "regla de decisión").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionSettings {
    /// 004 Table 2 (San Luis Potosí, Veracruz): only consensus approves; no majority fallback.
    pub consensus_only: bool,
    /// 000 VI; 004 Table 2 (Jalisco): the majority must include at least one civil-society vote.
    pub majority_needs_civil_society: bool,
    /// 004 Table 2 (Morelos, Sinaloa): the majority must include a vote from each sector group
    /// that has an active seat.
    pub majority_needs_each_group: bool,
    /// What a majority is measured against (abstentions).
    pub majority_base: MajorityBase,
    /// 000 VI: "El Presidente del STL tendrá voto de calidad, en caso de empate."
    pub president_casting_vote: bool,
}

impl Default for DecisionSettings {
    fn default() -> Self {
        Self {
            consensus_only: false,
            majority_needs_civil_society: true,
            majority_needs_each_group: false,
            majority_base: MajorityBase::VotesCast,
            president_casting_vote: true,
        }
    }
}

/// How much notice a convocatoria must give (000 V.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeSettings {
    /// Business days required before an ordinary session (000 V.6: "mínimo de cinco días hábiles").
    pub ordinary: u32,
    /// Business days required before an extraordinary session. 000 V.6 does not distinguish,
    /// so the default is also five; a secretariat may configure less.
    pub extraordinary: u32,
    /// Business days required before a work meeting. 000 V.5 asks for monthly work meetings
    /// but V.6 only governs *sessions*, so the default is zero (no notice rule).
    pub work_meeting: u32,
    /// Whether the issue day itself counts as a business day of notice. Default no: the usual
    /// legal computation counts strictly between the issue and the session.
    pub issue_day_counts: bool,
    /// Whether a convocatoria issued on a non-business day takes effect on the next business
    /// day (the usual rule for acts on *días inhábiles*). Default yes: it is what makes "for a
    /// Monday session, issue by the Friday of the week before last" hold even for a weekend
    /// issue.
    pub non_business_issue_rolls_forward: bool,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            ordinary: 5,
            extraordinary: 5,
            work_meeting: 0,
            issue_day_counts: false,
            non_business_issue_rolls_forward: true,
        }
    }
}

/// A secretariat's whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The secretariat's name as the acta prints it.
    pub name: String,
    /// Its seats, in the order the acta lists them.
    pub seats: Vec<Seat>,
    /// The seat whose titular presides the STL and holds the casting vote (000 VII.1, VI).
    pub president: SeatId,
    /// How quorum is applied.
    #[serde(default)]
    pub quorum: QuorumSettings,
    /// How decisions are taken.
    #[serde(default)]
    pub decision: DecisionSettings,
    /// How much notice convocatorias must give.
    #[serde(default)]
    pub notice: NoticeSettings,
}

impl Config {
    /// Reads a configuration from JSON and checks it, so a `Config` in hand is always usable.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let config: Config =
            serde_json::from_value(value).map_err(|error| Error::MalformedConfig {
                detail: error.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types cannot: seats exist and are unique, the presiding seat is one of
    /// them, and a civil-society seat exists when quorum requires one.
    pub fn validate(&self) -> Result<()> {
        if self.seats.is_empty() {
            return Err(Error::NoSeats);
        }
        let mut seen = BTreeSet::new();
        for seat in &self.seats {
            if !seen.insert(&seat.id) {
                return Err(Error::DuplicateSeat {
                    seat: seat.id.to_string(),
                });
            }
        }
        if self.seat(self.president.as_str()).is_none() {
            return Err(Error::UnknownPresident {
                seat: self.president.to_string(),
                known: self.seat_list(),
            });
        }
        if self.quorum.civil_society_required && !self.seats.iter().any(Seat::is_civil_society) {
            return Err(Error::NoCivilSocietySeat);
        }
        Ok(())
    }

    /// The seat with that identifier.
    pub fn seat(&self, id: &str) -> Option<&Seat> {
        self.seats.iter().find(|seat| seat.id.as_str() == id)
    }

    /// The presiding seat (validated to exist).
    pub fn presiding_seat(&self) -> Option<&Seat> {
        self.seat(self.president.as_str())
    }

    /// Seats with a designated titular (000 V.2 "activos").
    pub fn active_seats(&self) -> impl Iterator<Item = &Seat> {
        self.seats.iter().filter(|seat| seat.active)
    }

    /// How many seats each group has, in [`SectorGroup::ALL`] order.
    pub fn seats_per_group(&self) -> [usize; 3] {
        SectorGroup::ALL.map(|group| {
            self.seats
                .iter()
                .filter(|seat| seat.group() == group)
                .count()
        })
    }

    /// The seat identifiers, comma-separated, for error messages.
    pub fn seat_list(&self) -> String {
        self.seats
            .iter()
            .map(|seat| seat.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::jalisco;

    #[test]
    fn seat_ids_are_lowercase_ascii_words() {
        assert!(SeatId::parse("comunidad_tecnologica").is_ok());
        assert!(SeatId::parse("gobierno_1").is_ok());
        for bad in ["", "Órgano", "organo garante", "a-b", &"x".repeat(65)] {
            assert!(
                matches!(SeatId::parse(bad), Err(Error::InvalidSeatId { .. })),
                "{bad}"
            );
        }
    }

    /// 004 Table 2 columns / 000 I: the last four Jalisco seats are civil society.
    #[test]
    fn sectors_fall_in_the_table_2_columns() {
        assert_eq!(Sector::Municipality.group(), SectorGroup::Government);
        assert_eq!(Sector::TechCommunity.group(), SectorGroup::CivilSociety);
        assert_eq!(Sector::GuarantorBody.group(), SectorGroup::GuarantorBody);
    }

    #[test]
    fn a_config_round_trips_through_json_with_spanish_values() {
        let config = jalisco();
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(json["seats"][0]["sector"], "organo_garante");
        assert_eq!(json["decision"]["majority_base"], "votos_emitidos");
        assert_eq!(Config::from_json(json).unwrap(), config);
    }

    #[test]
    fn a_minimal_config_takes_the_jalisco_settings() {
        let config = Config::from_json(serde_json::json!({
            "name": "STL de prueba",
            "president": "og",
            "seats": [
                {"id": "og", "name": "Órgano garante", "sector": "organo_garante"},
                {"id": "gob", "name": "Gobierno", "sector": "ejecutivo"},
                {"id": "osc", "name": "Sociedad civil", "sector": "asociacion_civil"}
            ]
        }))
        .unwrap();
        assert_eq!(config.decision, DecisionSettings::default());
        assert_eq!(config.notice.ordinary, 5);
        assert!(config.seats.iter().all(|seat| seat.active));
    }

    #[test]
    fn invalid_configs_are_refused_with_the_reason() {
        let mut config = jalisco();
        config.president = SeatId::parse("nadie").unwrap();
        assert!(matches!(
            config.validate(),
            Err(Error::UnknownPresident { .. })
        ));

        let mut config = jalisco();
        let first = config.seats[0].clone();
        config.seats.push(first);
        assert!(matches!(
            config.validate(),
            Err(Error::DuplicateSeat { .. })
        ));

        let mut config = jalisco();
        config.seats.retain(|seat| !seat.is_civil_society());
        assert_eq!(config.validate(), Err(Error::NoCivilSocietySeat));

        let mut config = jalisco();
        config.seats.clear();
        assert_eq!(config.validate(), Err(Error::NoSeats));

        let malformed = Config::from_json(serde_json::json!({"name": "x", "seats": 3}));
        assert!(matches!(malformed, Err(Error::MalformedConfig { .. })));
    }
}
