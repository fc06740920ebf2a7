//! The demo's end-of-term handover (entrega-recepción, 000 III.7), after
//! the session: the Legislative seat's titular hands over to the suplente
//! who succeeds them — activity report rendered from its text, a document
//! upload, the signed acta of the session — submits; the President has the
//! inventory rendered and routed; the three sign remotely with their
//! e.firma; the archive archives the signed inventory and the BagIt package.
//! Real APIs only, as the rest of the demo.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};

use super::{
    Api, DemoOutcome, DemoTarget, PEOPLE, credential, fiel_login, sign_remotely, step, wait_for,
};

/// Who hands over and who succeeds them (demo credential keys).
pub const OUTGOING: &str = "legislativo";
pub const SUCCESSOR: &str = "legislativo-suplente";

/// What the handover left, for the summary and the tests.
#[derive(Debug, Clone)]
pub struct HandoverOutcome {
    pub handover_id: String,
    pub folio: String,
    pub route_id: String,
    /// The archived package (BagIt in ZIP), downloaded.
    pub package: PathBuf,
    pub package_sha256: String,
    /// The signed inventory, downloaded from the public records.
    pub inventory_pdf: PathBuf,
    pub inventory_sha256: String,
    /// Session tokens, for tests that probe further.
    pub outgoing_token: String,
    pub president_token: String,
}

/// The handover, against the suite of `target` where `done` ran.
pub async fn hand_over(target: &DemoTarget, done: &DemoOutcome) -> anyhow::Result<HandoverOutcome> {
    let dir = target.dir.as_path();
    let stl = done.secretariat_id.as_str();
    let secretariat = Api::new(&target.secretariat);
    let signing = Api::new(&target.signing);
    let archive = Api::new(&target.archive);
    let say = |text: String| {
        if !target.quiet {
            outln!("{text}");
        }
    };
    let step = |n: u32, text: &str| {
        if !target.quiet {
            step(n, text);
        }
    };
    let person = |key: &str| {
        PEOPLE
            .iter()
            .find(|p| p.key == key)
            .context("persona desconocida")
    };

    step(
        10,
        "Entrega-recepción (000 III.7): concluye el periodo del titular del Poder Legislativo; la Presidencia lo ve pendiente y él inicia sesión con su e.firma",
    );
    let outgoing = person(OUTGOING)?;
    let president = fiel_login(&secretariat, &credential(dir, "presidencia")?, stl).await?;
    let members = secretariat
        .get(&format!("/secretariats/{stl}/members"), Some(&president))
        .await?;
    let member_id = |key: &str| -> anyhow::Result<String> {
        let rfc = person(key)?.rfc;
        members
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["rfc"] == rfc))
            .and_then(|m| m["id"].as_str())
            .map(str::to_string)
            .with_context(|| format!("{key} no está entre los integrantes"))
    };
    // His term ended yesterday: from today he is an outgoing member, with
    // no member rights but his handover (000 III.7).
    let outgoing_id = member_id(OUTGOING)?;
    let designation = members
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["id"] == outgoing_id.as_str()))
        .and_then(|m| m["designations"].as_array())
        .and_then(|ds| {
            ds.iter()
                .find(|d| d["current"] == true && d["role"] == "titular")
        })
        .and_then(|d| d["id"].as_str())
        .context("el titular del Legislativo no tiene designación vigente")?
        .to_string();
    let yesterday = super::iso(
        rubrica_rules::local_time::local_date(
            time::OffsetDateTime::now_utc(),
            rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES,
        ) - time::Duration::days(1),
    );
    secretariat
        .ok(
            reqwest::Method::PATCH,
            &format!("/designations/{designation}"),
            Some(&president),
            Some(json!({ "ends_on": yesterday, "ended_reason": "fin_de_periodo" })),
        )
        .await?;
    let pending = archive
        .get(
            &format!("/secretariats/{stl}/handovers/pending"),
            Some(&president),
        )
        .await?;
    let listed = pending
        .as_array()
        .and_then(|p| p.iter().find(|p| p["member_id"] == outgoing_id.as_str()))
        .context("la Presidencia no ve la entrega pendiente de quien concluyó")?;
    say(format!(
        "   la Presidencia ve la entrega pendiente: {}",
        listed["explanation"].as_str().unwrap_or_default()
    ));
    let token = fiel_login(&secretariat, &credential(dir, OUTGOING)?, stl).await?;
    let opened = archive
        .post(
            "/handovers",
            &token,
            json!({
                "seat": outgoing.seat,
                "successor_member_id": member_id(SUCCESSOR)?,
                "observations": "Se entrega la documentación del asiento del Poder Legislativo del periodo 2026.",
            }),
        )
        .await?;
    let id = opened["id"].as_str().context("entrega sin id")?.to_string();
    let folio = opened["folio"].as_str().unwrap_or_default().to_string();
    say(format!(
        "   entrega-recepción {folio} abierta por {}",
        outgoing.name
    ));

    step(
        11,
        "Su informe de actividades, un documento y el acta firmada de la sesión",
    );
    archive
        .post(
            &format!("/handovers/{id}/report"),
            &token,
            json!({
                "period": { "from": "2026-01-15", "to": super::iso(super::date_after(0)) },
                "summary": "Durante mi encargo como titular del asiento del Poder Legislativo participé en las sesiones del Secretariado y di seguimiento al compromiso de parlamento abierto del Plan de Acción Local.",
                "activities": [
                    { "title": "Seguimiento del compromiso de parlamento abierto", "date": "2026-03-10", "description": "Revisión trimestral de los indicadores de publicación de iniciativas y votaciones." },
                    { "title": "Mesa de trabajo con organizaciones de la sociedad civil", "date": "2026-06-22" }
                ],
                "pending": ["Presentar el informe final del compromiso de parlamento abierto."],
                "place": "Guadalajara, Jalisco",
            }),
        )
        .await?;
    let csv = "compromiso,indicador,valor\nparlamento abierto,iniciativas publicadas,42\nparlamento abierto,votaciones nominales publicadas,118\n";
    let uploaded = archive
        .client
        .post(format!("{}/handovers/{id}/files", archive.base))
        .query(&[
            ("name", "indicadores-parlamento-abierto.csv"),
            ("description", "Indicadores del compromiso (datos abiertos)"),
        ])
        .bearer_auth(&token)
        .body(csv)
        .send()
        .await?;
    if !uploaded.status().is_success() {
        anyhow::bail!("subir el documento respondió {}", uploaded.status());
    }
    let added = archive
        .post(
            &format!("/handovers/{id}/records"),
            &token,
            json!({ "sha256": done.sha256, "description": "Acta firmada de la sesión ordinaria" }),
        )
        .await?;
    for file in added["files"].as_array().into_iter().flatten() {
        say(format!(
            "   {:<60} {:>9} bytes  {}",
            file["path"].as_str().unwrap_or_default(),
            file["size_bytes"],
            &file["sha256"].as_str().unwrap_or_default()[..16]
        ));
    }
    archive
        .post(&format!("/handovers/{id}/submit"), &token, json!({}))
        .await?;
    say("   entregada: desde ahora no puede cambiarse".into());
    let pending = archive
        .get(
            &format!("/secretariats/{stl}/handovers/pending"),
            Some(&president),
        )
        .await?;
    if pending
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["member_id"] == outgoing_id.as_str()))
    {
        anyhow::bail!("la entrega sigue pendiente después de entregarla");
    }

    step(
        12,
        "La Presidencia genera el acta de entrega-recepción (cada archivo con su SHA-256) y la envía a firma",
    );
    let routed = archive
        .post(
            &format!("/handovers/{id}/inventory"),
            &president,
            json!({ "place": "Sala de Pleno del ITEI, Guadalajara, Jalisco" }),
        )
        .await?;
    let route_id = routed["route_id"].as_str().context("sin ruta")?.to_string();
    say(format!(
        "   ruta {route_id}: firman quien entrega, quien recibe y la Presidencia"
    ));
    let mut tasks = Vec::new();
    for key in [OUTGOING, SUCCESSOR, "presidencia"] {
        let credential = Arc::new(credential(dir, key)?);
        let secretariat = Api::new(&secretariat.base);
        let signing = Api::new(&signing.base);
        let (stl, route_id) = (stl.to_string(), route_id.clone());
        tasks.push(tokio::spawn(async move {
            let token = fiel_login(&secretariat, &credential, &stl).await?;
            sign_remotely(&signing, &token, &route_id, &credential).await
        }));
    }
    for task in tasks {
        task.await.context("un firmante se interrumpió")??;
    }

    step(
        13,
        "El archivo verifica el acta, la publica y archiva el paquete (BagIt en ZIP) en su registro",
    );
    let archived = wait_for(
        Duration::from_secs(90),
        "el paquete de entrega archivado",
        || async {
            let view = archive
                .get(&format!("/handovers/{id}"), Some(&president))
                .await?;
            Ok((view["status"] == "archivada").then_some(view))
        },
    )
    .await?;
    let package_sha256 = archived["package_sha256"]
        .as_str()
        .context("sin paquete")?
        .to_string();
    let inventory_sha256 = archived["inventory_sha256"]
        .as_str()
        .context("sin acta")?
        .to_string();
    let out = if target.quiet {
        dir.join("demo").join(stl)
    } else {
        dir.join("demo")
    };
    std::fs::create_dir_all(&out)?;
    let zip = archive
        .client
        .get(format!("{}/handovers/{id}/package.zip", archive.base))
        .bearer_auth(&president)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let package = out.join(format!("entrega-{folio}.zip"));
    std::fs::write(&package, &zip)?;
    let record: Value = archive
        .get(&format!("/records/{inventory_sha256}"), None)
        .await?;
    let pdf = archive
        .client
        .get(
            record["record"]["download_url"]
                .as_str()
                .context("acta sin enlace")?,
        )
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let inventory_pdf = out.join(format!("acta-entrega-recepcion-{folio}.pdf"));
    std::fs::write(&inventory_pdf, &pdf)?;
    say(format!(
        "   paquete {} ({} bytes), entrada del registro con SHA-256 {}",
        package.display(),
        zip.len(),
        &package_sha256[..16]
    ));
    say(format!(
        "   acta firmada, pública: {}/records/{inventory_sha256}",
        archive.base
    ));
    Ok(HandoverOutcome {
        handover_id: id,
        folio,
        route_id,
        package,
        package_sha256,
        inventory_pdf,
        inventory_sha256,
        outgoing_token: token,
        president_token: president,
    })
}
