//! `rubrica rules evaluate` as a facilitator runs it: the built binary on the
//! rules engine's scenario fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("shared/rules/tests/fixtures")
        .join(name)
}

fn evaluate(input: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rubrica"))
        .args(["rules", "evaluate", "--input"])
        .arg(input)
        .output()
        .expect("the rubrica binary runs")
}

#[test]
fn rules_evaluate_prints_the_notice_quorum_and_decision_findings_and_exits_0() {
    // Arrange
    let input = fixture("jalisco_mayoria.json");

    // Act
    let output = evaluate(&input);

    // Assert
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(findings["notice"]["ok"], true);
    assert_eq!(findings["notice"]["business_days"], 5);
    assert_eq!(findings["notice"]["required"], 5);
    assert_eq!(findings["quorum"]["ok"], true);
    assert_eq!(findings["quorum"]["represented"], 6);
    assert_eq!(findings["quorum"]["active"], 9);
    assert_eq!(findings["quorum"]["civil_society_represented"], true);
    assert_eq!(findings["decision"]["outcome"], "aprobado");
    assert_eq!(findings["decision"]["by"], "mayoria");
    for key in [
        "favor",
        "contra",
        "abstencion",
        "civil_society_in_favor",
        "explanation",
    ] {
        assert!(!findings["decision"][key].is_null(), "decision.{key}");
    }
    assert!(
        findings["quorum"]["explanation"]
            .as_str()
            .unwrap()
            .starts_with("quórum: 6 de 9 asientos")
    );
}

#[test]
fn rules_evaluate_decides_a_tie_by_the_president_s_casting_vote() {
    let output = evaluate(&fixture("jalisco_voto_de_calidad.json"));

    assert_eq!(output.status.code(), Some(0));
    let findings: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings["decision"]["by"], "voto_de_calidad");
    assert_eq!(findings["decision"]["outcome"], "aprobado");
}

#[test]
fn rules_evaluate_refuses_a_scenario_the_rules_cannot_judge_with_a_spanish_message_and_exit_2() {
    // Arrange: a vote from a seat that nobody represents.
    let input = fixture("error_voto_sin_asistencia.json");

    // Act
    let output = evaluate(&input);

    // Assert
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("«comunidad_tecnologica»"), "{stderr}");
    assert!(
        stderr.contains("no está representado en la sesión"),
        "{stderr}"
    );
    assert!(
        stderr.contains("registre su asistencia o quite ese voto"),
        "{stderr}"
    );
}

#[test]
fn rules_evaluate_says_in_spanish_when_the_scenario_file_does_not_exist() {
    let output = evaluate(Path::new("no-existe/escenario.json"));

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no existe") && stderr.contains("--input"),
        "{stderr}"
    );
}
