//! The demo's invited member (000 VIII.2–4), after the handover: the
//! operator registers her with her project and its end date; she has no
//! e.firma in the demo's PKI, so she enters with a link mailed to her (read
//! from the outbox, as she would from her inbox) and files a progress
//! report, which section b of the public site publishes. `rubrica demo`
//! only: the walk-through the tests run is unchanged. Real APIs only.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::{Api, DemoOutcome, DemoTarget, iso, wait_for};

/// The invited member of the demo.
const NAME: &str = "MARIANA LÓPEZ IBARRA";
const RFC: &str = "LOIM850315GH7";
const EMAIL: &str = "invitada@stl-demo.example.mx";
const PROJECT: &str = "Datos abiertos de la obra pública municipal";

/// Registers the invited member and files her first progress report.
pub async fn invited_project(target: &DemoTarget, done: &DemoOutcome) -> anyhow::Result<()> {
    let secretariat = Api::new(&target.secretariat);
    let operator = target.operator.as_str();
    let stl = &done.secretariat_id;
    let today = rubrica_rules::local_time::local_date(
        time::OffsetDateTime::now_utc(),
        rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES,
    );
    let member = secretariat
        .post(
            &format!("/secretariats/{stl}/members"),
            operator,
            json!({ "name": NAME, "rfc": RFC, "email": EMAIL }),
        )
        .await?;
    let member_id = member["id"]
        .as_str()
        .context("integrante sin id")?
        .to_string();
    secretariat
        .post(
            &format!("/secretariats/{stl}/designations"),
            operator,
            json!({
                "member_id": member_id,
                "role": "invitado",
                "starts_on": iso(today - time::Duration::days(90)),
                "project": PROJECT,
                "ends_on": iso(today + time::Duration::days(270)),
            }),
        )
        .await?;

    // Her mailed link, from the outbox.
    let before: Vec<_> = eml_files(target);
    secretariat
        .ok(
            reqwest::Method::POST,
            "/auth/email-link",
            None,
            Some(json!({ "email": EMAIL })),
        )
        .await?;
    let token = wait_for(
        Duration::from_secs(60),
        "el enlace de acceso de la persona invitada",
        || {
            let before = before.clone();
            async move {
                Ok(eml_files(target)
                    .into_iter()
                    .filter(|p| !before.contains(p))
                    .find_map(|p| link_token(&std::fs::read_to_string(p).ok()?)))
            }
        },
    )
    .await?;
    let granted = secretariat
        .ok(
            reqwest::Method::POST,
            "/auth/email-link/redeem",
            None,
            Some(json!({ "token": token })),
        )
        .await?;
    let session = granted["token"]
        .as_str()
        .context("el enlace no abrió una sesión")?
        .to_string();

    let projects = secretariat
        .get(&format!("/secretariats/{stl}/projects"), Some(&session))
        .await?;
    let project = projects
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["member_id"] == member_id.as_str())
        .and_then(|p| p["id"].as_str())
        .context("el proyecto de la persona invitada no aparece")?
        .to_string();
    secretariat
        .post(
            &format!("/projects/{project}/reports"),
            &session,
            json!({
                "period_ending": iso(today),
                "summary": "Se levantó el inventario de los contratos de obra pública del año y se publicó un primer tablero con su avance físico y financiero.",
                "progress": 35,
                "milestone": "Inventario de contratos publicado",
                "link": "https://datos.example.mx/obra-publica",
            }),
        )
        .await?;
    Ok(())
}

fn eml_files(target: &DemoTarget) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(&target.outbox)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default()
}

/// The access token of a mailed link (`rubrica-enlace_<64 hex>`), from a
/// message whose text may be quoted-printable (soft line breaks).
fn link_token(message: &str) -> Option<String> {
    if !message.contains(EMAIL) {
        return None;
    }
    let text = message.replace("=\r\n", "").replace("=\n", "");
    let start = text.find("rubrica-enlace_")?;
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (token.len() == "rubrica-enlace_".len() + 64).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_across_soft_line_breaks() {
        let hex = "ab".repeat(32);
        let message = format!(
            "To: <{EMAIL}>\r\n\r\nrubrica login --link rubric=\r\na-enlace_{}=\r\n{}\r\n",
            &hex[..20],
            &hex[20..]
        );
        assert_eq!(
            link_token(&message).as_deref(),
            Some(format!("rubrica-enlace_{hex}").as_str())
        );
        assert_eq!(link_token("To: <otra@example.mx>"), None);
    }
}
