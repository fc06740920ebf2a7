//! The example scenarios in `tests/fixtures/`, evaluated as `rubrica rules evaluate` would.

use rubrica_rules::{DecidedBy, Error, Outcome, evaluate_scenario};

fn fixture(name: &str) -> &'static str {
    match name {
        "jalisco_mayoria" => include_str!("fixtures/jalisco_mayoria.json"),
        "jalisco_voto_de_calidad" => include_str!("fixtures/jalisco_voto_de_calidad.json"),
        "morelos_cada_sector" => include_str!("fixtures/morelos_cada_sector.json"),
        "error_voto_sin_asistencia" => include_str!("fixtures/error_voto_sin_asistencia.json"),
        other => panic!("no fixture {other}"),
    }
}

/// 000 V.6, V.2–3, VI: notice on time, six of nine seats with civil society, majority with an
/// academia vote.
#[test]
fn jalisco_majority_scenario_is_approved_by_majority() {
    let output = evaluate_scenario(fixture("jalisco_mayoria")).unwrap();
    assert!(output.notice.ok);
    assert_eq!(output.notice.business_days, 5);
    assert!(output.quorum.ok);
    assert_eq!((output.quorum.represented, output.quorum.active), (6, 9));
    assert!(
        output
            .quorum
            .explanation
            .starts_with("quórum: 6 de 9 asientos, incluye sociedad civil")
    );
    let decision = output.decision.unwrap();
    assert_eq!(decision.outcome, Outcome::Approved);
    assert_eq!(decision.by, DecidedBy::Majority);
    assert_eq!(
        (decision.in_favour, decision.against, decision.abstentions),
        (3, 2, 1)
    );
}

/// 000 V.6 with LFT art. 74 (Revolution Day) and 000 VI casting vote.
#[test]
fn jalisco_tie_scenario_is_decided_by_the_casting_vote_and_notice_falls_short() {
    let output = evaluate_scenario(fixture("jalisco_voto_de_calidad")).unwrap();
    assert!(!output.notice.ok);
    assert_eq!(output.notice.business_days, 4);
    assert!(output.notice.explanation.contains("Día de la Revolución"));
    let decision = output.decision.unwrap();
    assert_eq!(decision.outcome, Outcome::Approved);
    assert_eq!(decision.by, DecidedBy::CastingVote);
}

/// 004 Table 2 (Morelos): a majority without a government vote is rejected.
#[test]
fn morelos_scenario_needs_a_vote_from_each_sector() {
    let output = evaluate_scenario(fixture("morelos_cada_sector")).unwrap();
    assert!(output.notice.ok, "{}", output.notice.explanation);
    let decision = output.decision.unwrap();
    assert_eq!(decision.outcome, Outcome::Rejected);
    assert_eq!(decision.by, DecidedBy::Majority);
    assert!(decision.explanation.contains("gobierno"));
}

/// A vote from a seat nobody represents cannot be judged: a Spanish error (CLI exit 2).
#[test]
fn a_vote_without_attendance_is_an_error_the_cli_reports() {
    let error = evaluate_scenario(fixture("error_voto_sin_asistencia")).unwrap_err();
    assert!(
        matches!(error, Error::UnrepresentedVote { ref seat, .. } if seat == "comunidad_tecnologica")
    );
    assert!(
        error
            .to_string()
            .starts_with("el asiento «comunidad_tecnologica» votó")
    );
}

/// The printed JSON has exactly the CLI contract's keys and Spanish values.
#[test]
fn the_printed_json_follows_the_cli_contract() {
    let output = evaluate_scenario(fixture("jalisco_voto_de_calidad")).unwrap();
    let json = serde_json::to_value(&output).unwrap();
    assert_eq!(json["decision"]["outcome"], "aprobado");
    assert_eq!(json["decision"]["by"], "voto_de_calidad");
    assert_eq!(json["decision"]["favor"], 3);
    assert_eq!(json["decision"]["contra"], 3);
    assert_eq!(json["decision"]["abstencion"], 0);
    assert_eq!(json["decision"]["civil_society_in_favor"], true);
    assert_eq!(json["quorum"]["civil_society_represented"], true);
    assert_eq!(json["notice"]["required"], 5);
    assert_eq!(json["notice"]["latest_issue_date"], "2026-11-12");
}
