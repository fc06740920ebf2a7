//! The presets: Jalisco (seed 000, the default) and the other fifteen STLs of the guide's
//! Table 2 (seed 004, "Integración y reglas de decisión de los STL instalados (a septiembre de
//! 2017)").
//!
//! # How Table 2 was read
//!
//! * **Seat counts** are Table 2's "representantes titulares" per column. Tables 3 and 4 name
//!   the bodies, but their counts disagree with Table 2 for Baja California and Coahuila
//!   (four civil-society titulars named, five counted), San Luis Potosí (two named, one
//!   counted) and Sinaloa (three government bodies named, four counted). So the fifteen presets
//!   use neutral seats — `organo_garante`, `gobierno_1`…, `sociedad_civil_1`… — whose names
//!   and sectors a secretariat renames in its own configuration. Government seats renew with
//!   their mandate; the guide gives no term for civil-society seats, so theirs is unspecified.
//! * **Decision rules**: "Por consenso y en caso de disenso se aplicará regla de mayoría" is a
//!   plain majority (no civil-society condition). Morelos ("con al menos un voto de cada
//!   sector") and Sinaloa ("al menos un voto por cada sector") require a favour vote from each
//!   of Table 2's three columns — government, civil society and the guarantor body — read
//!   literally, since the table presents the three as the sectors of the STL. San Luis Potosí
//!   ("Por consenso") and Veracruz ("Por consenso y a través de mesas temáticas de trabajo") are
//!   consensus only: thematic working tables are how Veracruz reaches consensus, not a vote.
//! * **President and casting vote**: Table 2 names no president and no casting vote outside
//!   Jalisco. The guarantor body's seat presides (it convenes the installation, 004 step 10),
//!   but without a casting vote, so a tie is not a majority.
//! * **Quorum and notice**: the guide sets neither, so the fifteen keep the Jalisco settings
//!   (000 V.2, V.6) until a secretariat configures its own.

use crate::config::{
    Config, DecisionSettings, NoticeSettings, QuorumSettings, Seat, SeatId, Sector,
};
use crate::spanish::fold;

/// The preset used when none is named.
pub const DEFAULT_PRESET: &str = "jalisco";

/// The decision rule column of Table 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table2Rule {
    /// "Por consenso y en caso de disenso se aplicará regla de mayoría."
    ConsensusThenMajority,
    /// "... regla de mayoría, con al menos un voto de sociedad civil." (Jalisco)
    MajorityWithCivilSociety,
    /// "... con al menos un voto de cada sector." (Morelos, Sinaloa)
    MajorityWithEachGroup,
    /// "Por consenso." (San Luis Potosí, Veracruz)
    ConsensusOnly,
}

/// One row of Table 2.
struct Table2Row {
    /// Preset key: the state's name folded (`san_luis_potosi`).
    key: &'static str,
    /// The state's name as written.
    state: &'static str,
    /// "GOBIERNO" column.
    government: u8,
    /// "SOCIEDAD CIVIL" column.
    civil_society: u8,
    /// "REGLA DE DECISIÓN" column.
    rule: Table2Rule,
}

/// Table 2 of seed 004, row by row; every row has one guarantor-body titular.
#[rustfmt::skip]
const TABLE_2: [Table2Row; 16] = [
    //  key                state               gov  civil  rule
    row("baja_california", "Baja California",   1,   5,   Table2Rule::ConsensusThenMajority),
    row("campeche",        "Campeche",          2,   1,   Table2Rule::ConsensusThenMajority),
    row("coahuila",        "Coahuila",          1,   5,   Table2Rule::ConsensusThenMajority),
    row("durango",         "Durango",           1,   1,   Table2Rule::ConsensusThenMajority),
    row("jalisco",         "Jalisco",           4,   4,   Table2Rule::MajorityWithCivilSociety),
    row("michoacan",       "Michoacán",         1,   1,   Table2Rule::ConsensusThenMajority),
    row("morelos",         "Morelos",           2,   1,   Table2Rule::MajorityWithEachGroup),
    row("nuevo_leon",      "Nuevo León",        3,   3,   Table2Rule::ConsensusThenMajority),
    row("oaxaca",          "Oaxaca",            2,   2,   Table2Rule::ConsensusThenMajority),
    row("san_luis_potosi", "San Luis Potosí",   1,   1,   Table2Rule::ConsensusOnly),
    row("sinaloa",         "Sinaloa",           4,   3,   Table2Rule::MajorityWithEachGroup),
    row("sonora",          "Sonora",            1,   1,   Table2Rule::ConsensusThenMajority),
    row("tabasco",         "Tabasco",           1,   1,   Table2Rule::ConsensusThenMajority),
    row("tlaxcala",        "Tlaxcala",          1,   1,   Table2Rule::ConsensusThenMajority),
    row("veracruz",        "Veracruz",          5,   2,   Table2Rule::ConsensusOnly),
    row("zacatecas",       "Zacatecas",         5,   1,   Table2Rule::ConsensusThenMajority),
];

const fn row(
    key: &'static str,
    state: &'static str,
    government: u8,
    civil_society: u8,
    rule: Table2Rule,
) -> Table2Row {
    Table2Row {
        key,
        state,
        government,
        civil_society,
        rule,
    }
}

/// The preset names: `jalisco` first, then the other states of Table 2 alphabetically.
pub const PRESET_NAMES: [&str; 16] = [
    "jalisco",
    "baja_california",
    "campeche",
    "coahuila",
    "durango",
    "michoacan",
    "morelos",
    "nuevo_leon",
    "oaxaca",
    "san_luis_potosi",
    "sinaloa",
    "sonora",
    "tabasco",
    "tlaxcala",
    "veracruz",
    "zacatecas",
];

/// The configuration of a preset. Names are compared without case, accents or separators, so
/// `San Luis Potosí` finds `san_luis_potosi`.
pub fn preset(name: &str) -> Option<Config> {
    let key = fold(name);
    if key == "jalisco" {
        return Some(jalisco());
    }
    TABLE_2
        .iter()
        .find(|row| row.key == key)
        .map(table_2_config)
}

/// The preset names, comma-separated, for messages.
pub fn preset_list() -> String {
    PRESET_NAMES.join(", ")
}

/// 000 I, II, V, VI: the Jalisco mechanism, the default preset.
///
/// Nine seats; the last four (academia, business, civil organisation, tech community) are the
/// civil-society group; the transparency body (ITEI) presides with a casting vote; majority
/// needs a civil-society vote; five business days of notice.
pub fn jalisco() -> Config {
    let seats = [
        (
            "organo_garante",
            "Instituto de Transparencia, Información Pública y Protección de Datos Personales del Estado de Jalisco (ITEI)",
            Sector::GuarantorBody,
        ),
        (
            "ejecutivo",
            "Poder Ejecutivo del Estado (Gobernador Constitucional)",
            Sector::Executive,
        ),
        (
            "judicial",
            "Poder Judicial del Estado (Magistrado Presidente)",
            Sector::Judiciary,
        ),
        (
            "legislativo",
            "Poder Legislativo del Estado",
            Sector::Legislature,
        ),
        (
            "ayuntamiento",
            "Ayuntamientos (un Presidente Municipal)",
            Sector::Municipality,
        ),
        (
            "academia",
            "Universidades (rector de una institución del sector)",
            Sector::Academia,
        ),
        ("empresarial", "Sector empresarial", Sector::Business),
        (
            "sociedad_civil",
            "Sociedad civil organizada (una asociación civil)",
            Sector::CivilOrganisation,
        ),
        (
            "comunidad_tecnologica",
            "Comunidad tecnológica",
            Sector::TechCommunity,
        ),
    ];
    Config {
        name: "Secretariado Técnico Local de Gobierno Abierto en Jalisco".to_owned(),
        seats: seats
            .into_iter()
            .map(|(id, name, sector)| Seat::new(seat_id(id), name, sector))
            .collect(),
        president: seat_id("organo_garante"),
        quorum: QuorumSettings::default(),
        decision: DecisionSettings::default(),
        notice: NoticeSettings::default(),
    }
}

/// A Table 2 row as a configuration (see the module docs for the readings).
fn table_2_config(row: &Table2Row) -> Config {
    let mut seats = vec![Seat::new(
        seat_id("organo_garante"),
        format!("Órgano garante de {}", row.state),
        Sector::GuarantorBody,
    )];
    seats.extend((1..=row.government).map(|n| {
        Seat::new(
            seat_id(&format!("gobierno_{n}")),
            format!("Representación gubernamental {n}"),
            Sector::OtherPublicBody,
        )
    }));
    seats.extend((1..=row.civil_society).map(|n| {
        Seat::new(
            seat_id(&format!("sociedad_civil_{n}")),
            format!("Representación de la sociedad civil {n}"),
            Sector::OtherCivilSociety,
        )
    }));
    let decision = DecisionSettings {
        consensus_only: row.rule == Table2Rule::ConsensusOnly,
        majority_needs_civil_society: row.rule == Table2Rule::MajorityWithCivilSociety,
        majority_needs_each_group: row.rule == Table2Rule::MajorityWithEachGroup,
        president_casting_vote: false,
        ..DecisionSettings::default()
    };
    Config {
        name: format!(
            "Secretariado Técnico Local de Gobierno Abierto en {}",
            row.state
        ),
        seats,
        president: seat_id("organo_garante"),
        quorum: QuorumSettings::default(),
        decision,
        notice: NoticeSettings::default(),
    }
}

/// Seat ids written in this file are well formed (a test parses every one of them).
fn seat_id(id: &str) -> SeatId {
    SeatId::new_unchecked(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MajorityBase, SectorGroup};

    /// 000 I: nine seats, the ITEI presides, the last four are civil society.
    #[test]
    fn jalisco_has_the_nine_seats_of_000_i() {
        let config = jalisco();
        let ids: Vec<&str> = config.seats.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "organo_garante",
                "ejecutivo",
                "judicial",
                "legislativo",
                "ayuntamiento",
                "academia",
                "empresarial",
                "sociedad_civil",
                "comunidad_tecnologica"
            ]
        );
        let civil: Vec<&str> = config
            .seats
            .iter()
            .filter(|s| s.is_civil_society())
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(
            civil,
            [
                "academia",
                "empresarial",
                "sociedad_civil",
                "comunidad_tecnologica"
            ]
        );
        assert_eq!(config.president.as_str(), "organo_garante");
        assert!(config.validate().is_ok());
    }

    /// 000 VI; 004 Table 2 (Jalisco): majority with a civil-society vote, casting vote.
    #[test]
    fn jalisco_decides_by_majority_with_a_civil_society_vote_and_a_casting_vote() {
        let decision = jalisco().decision;
        assert!(!decision.consensus_only);
        assert!(decision.majority_needs_civil_society);
        assert!(!decision.majority_needs_each_group);
        assert!(decision.president_casting_vote);
        assert_eq!(decision.majority_base, MajorityBase::VotesCast);
    }

    /// 004 Table 2: the seat counts of every row, transcribed independently of `TABLE_2`.
    #[test]
    fn every_preset_has_the_seat_counts_of_table_2() {
        let expected: [(&str, [usize; 3]); 16] = [
            ("baja_california", [1, 5, 1]),
            ("campeche", [2, 1, 1]),
            ("coahuila", [1, 5, 1]),
            ("durango", [1, 1, 1]),
            ("jalisco", [4, 4, 1]),
            ("michoacan", [1, 1, 1]),
            ("morelos", [2, 1, 1]),
            ("nuevo_leon", [3, 3, 1]),
            ("oaxaca", [2, 2, 1]),
            ("san_luis_potosi", [1, 1, 1]),
            ("sinaloa", [4, 3, 1]),
            ("sonora", [1, 1, 1]),
            ("tabasco", [1, 1, 1]),
            ("tlaxcala", [1, 1, 1]),
            ("veracruz", [5, 2, 1]),
            ("zacatecas", [5, 1, 1]),
        ];
        for (name, counts) in expected {
            let config = preset(name).unwrap();
            assert_eq!(config.seats_per_group(), counts, "{name}");
            assert!(config.validate().is_ok(), "{name}");
        }
        let mut names = PRESET_NAMES.to_vec();
        names.sort_unstable();
        let mut table: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
        table.sort_unstable();
        assert_eq!(names, table);
    }

    /// 004 Table 2: Morelos and Sinaloa need a vote of each sector.
    #[test]
    fn morelos_and_sinaloa_need_a_vote_from_each_sector_group() {
        for name in ["morelos", "sinaloa"] {
            let decision = preset(name).unwrap().decision;
            assert!(decision.majority_needs_each_group, "{name}");
            assert!(!decision.consensus_only, "{name}");
        }
    }

    /// 004 Table 2: San Luis Potosí "Por consenso"; Veracruz "Por consenso y a través de mesas
    /// temáticas de trabajo".
    #[test]
    fn san_luis_potosi_and_veracruz_decide_by_consensus_only() {
        for name in ["san_luis_potosi", "veracruz"] {
            assert!(preset(name).unwrap().decision.consensus_only, "{name}");
        }
    }

    /// 004 Table 2: the plain "regla de mayoría" rows add no sector condition and no casting vote.
    #[test]
    fn plain_majority_rows_have_no_sector_condition() {
        let decision = preset("nuevo_leon").unwrap().decision;
        assert!(!decision.consensus_only);
        assert!(!decision.majority_needs_civil_society);
        assert!(!decision.majority_needs_each_group);
        assert!(!decision.president_casting_vote);
    }

    #[test]
    fn every_preset_seat_id_is_well_formed() {
        for name in PRESET_NAMES {
            for seat in preset(name).unwrap().seats {
                assert!(
                    SeatId::parse(seat.id.as_str()).is_ok(),
                    "{name}: {}",
                    seat.id
                );
            }
        }
    }

    #[test]
    fn preset_names_are_found_with_accents_and_spaces() {
        assert!(preset("San Luis Potosí").is_some());
        assert!(preset("Nuevo León").is_some());
        assert!(preset("JALISCO").is_some());
        assert!(preset("atlantida").is_none());
        let config = preset("michoacan").unwrap();
        assert!(config.name.ends_with("Michoacán"));
        assert_eq!(
            config.seat("sociedad_civil_1").unwrap().group(),
            SectorGroup::CivilSociety
        );
    }

    /// 004 Table 2, Jalisco row, agrees with the hand-written 000 preset.
    #[test]
    fn the_jalisco_row_of_table_2_matches_the_mechanism() {
        let row = TABLE_2.iter().find(|row| row.key == "jalisco").unwrap();
        assert_eq!(row.rule, Table2Rule::MajorityWithCivilSociety);
        assert_eq!(
            jalisco().seats_per_group(),
            [
                usize::from(row.government),
                usize::from(row.civil_society),
                1
            ]
        );
    }
}
