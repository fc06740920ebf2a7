//! `rubrica audit verify`: checks a service's hash-chained audit trail
//! straight from its database, and against the heads anchored in the
//! archive's signed log — a chain rewritten consistently from the start, or
//! cut short, still breaks there (issue 15, finding 5).

use rubrica_platform::audit::{self, ANCHOR_KIND, Anchor, ChainReport};
use rubrica_platform::sqlx::{self, Row};
use rubrica_platform::{Database, ServiceName, Settings};

/// Opens the service's database as configured, walks its chain, then checks
/// every anchor the archive holds for it.
pub async fn verify(service: ServiceName, settings: &Settings) -> anyhow::Result<ChainReport> {
    let db = open(service, settings).await?;
    let mut report = audit::verify(&db).await?;
    if report.ok {
        let archive = open(ServiceName::Archive, settings).await?;
        let anchors = anchors_of(&archive, service).await;
        archive.close().await;
        match anchors {
            Err(e) => report
                .explanation
                .push_str(&format!(" No se pudieron leer las anclas del archivo: {e}.")),
            Ok(anchors) if anchors.is_empty() => report.explanation.push_str(
                " El archivo aún no tiene anclas de esta bitácora: sin ellas no se puede descartar que se haya reescrita desde el principio o truncado (ánclela con POST /audit/anchor).",
            ),
            Ok(anchors) => {
                let mut broken = None;
                for anchor in &anchors {
                    let entry = audit::entry(&db, anchor.seq).await?;
                    if let Err(why) = anchor.check(entry.as_ref()) {
                        broken = Some((anchor.seq, why));
                        break;
                    }
                }
                match broken {
                    Some((seq, why)) => {
                        report.ok = false;
                        report.broken_at = Some(seq);
                        report.explanation = format!("La bitácora está alterada: {why}.");
                    }
                    None => {
                        let last = anchors.iter().map(|a| a.seq).max().unwrap_or(0);
                        report.explanation.push_str(&format!(
                            " Coincide con las {} anclas del registro firmado del archivo (la más reciente, entrada {last}).",
                            anchors.len()
                        ));
                    }
                }
            }
        }
    }
    db.close().await;
    Ok(report)
}

async fn open(service: ServiceName, settings: &Settings) -> anyhow::Result<Database> {
    let spec = crate::all_specs()
        .into_iter()
        .find(|s| s.name == service)
        .ok_or_else(|| anyhow::anyhow!("el servicio {service} no existe"))?;
    Ok(Database::open(service, settings, spec.migrator).await?)
}

/// The anchors of `service`'s chain in the archive, in log order; each one's
/// content must hash to the object the signed log holds.
async fn anchors_of(archive: &Database, service: ServiceName) -> anyhow::Result<Vec<Anchor>> {
    let rows = sqlx::query(
        "SELECT sha256, metadata FROM archive_objects WHERE kind = $1 AND source = $2 ORDER BY log_index",
    )
    .bind(ANCHOR_KIND)
    .bind(service.as_str())
    .fetch_all(archive.pool())
    .await?;
    let mut anchors = Vec::new();
    for row in rows {
        let sha256: String = row.try_get("sha256")?;
        let metadata: String = row.try_get("metadata")?;
        let anchor: Anchor = serde_json::from_str(&metadata)?;
        if hex::encode(rubrica_fiel::digest::Sha256::digest(anchor.content())) != sha256 {
            anyhow::bail!(
                "el ancla {sha256} del archivo no corresponde a su contenido: el archivo fue alterado (verifíquelo con rubrica log verify)"
            );
        }
        anchors.push(anchor);
    }
    Ok(anchors)
}
