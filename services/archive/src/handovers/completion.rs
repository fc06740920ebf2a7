//! When the signed inventory is archived: the BagIt package built,
//! archived and logged.

use super::*;

/// Once the inventory of a handover is signed and archived as a record:
/// builds the bag with the signed inventory, archives and logs the package.
/// Idempotent; a route that is not a handover's does nothing.
pub async fn complete(
    archive: &Archive,
    route_id: &str,
    inventory: Bytes,
    inventory_sha256: Digest32,
    signed_on: &str,
) -> anyhow::Result<()> {
    let ctx = archive.context();
    let mut conn = ctx.db.pool().acquire().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM archive_handovers WHERE route_id = $1"
    )))
    .bind(route_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        tracing::info!(
            route = route_id,
            "acta de entrega-recepción sin paquete de entrega en el archivo"
        );
        return Ok(());
    };
    let row = read_row(&row)?;
    if row.status == status::ARCHIVED {
        return Ok(());
    }
    let files = files_of(&mut conn, &row.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    let mut payload = Vec::new();
    for f in &files {
        let sha = Digest32::parse(&f.sha256)?;
        let bytes = archive
            .stored(&sha)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        payload.push((f.path.trim_start_matches("data/").to_string(), bytes));
    }
    payload.push((SIGNED_INVENTORY.to_string(), inventory));
    let info: Vec<bagit::InfoLine> = vec![
        ("Source-Organization", row.secretariat_name.clone()),
        ("Bagging-Date", signed_on.to_string()),
        ("External-Identifier", row.folio.clone()),
        (
            "External-Description",
            format!(
                "Entrega-recepción de {} al concluir su encargo (000 III.7): informe de actividades, documentos y acta de entrega-recepción firmada.",
                row.member_name
            ),
        ),
        ("Contact-Name", row.member_name.clone()),
        ("Internal-Sender-Identifier", row.id.clone()),
        ("Bag-Group-Identifier", row.secretariat_id.clone()),
    ];
    let root = format!("entrega-{}", row.folio);
    let date = signed_on.to_string();
    let zip = tokio::task::spawn_blocking(move || {
        let bag = bagit::build(&payload, &info);
        bagit::validate(&bag)
            .map_err(|p| anyhow::anyhow!("la bolsa no es válida: {}", p.join("; ")))?;
        Ok::<_, anyhow::Error>(bagit::zip(&bag, &root, &date)?)
    })
    .await??;
    let size = zip.len() as i64;
    let ingested = archive
        .ingest(Deposit {
            source: ServiceName::Archive,
            kind: PACKAGE_KIND.into(),
            media_type: "application/zip".into(),
            title: Some(format!(
                "Paquete de entrega-recepción {} de {}",
                row.folio, row.member_name
            )),
            secretariat_id: Some(row.secretariat_id.clone()),
            published: false,
            metadata: json!({
                "entrega": row.id,
                "folio": row.folio,
                "entrega_de": row.member_name,
                "recibe": row.successor_name,
                "archivos": files.len(),
                "acta_firmada": inventory_sha256.to_hex(),
                "formato": "BagIt 1.0 (RFC 8493) en ZIP",
            }),
            content: Bytes::from(zip),
            expected_sha256: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = now_ms();
    let mut tx = ctx.begin().await?;
    let changed = sqlx::query(
        "UPDATE archive_handovers SET status = 'archivada', inventory_sha256 = $1, package_sha256 = $2, package_size = $3, archived_at = $4, archived_on = $5 WHERE id = $6 AND status <> 'archivada'",
    )
    .bind(inventory_sha256.to_hex())
    .bind(&ingested.object.sha256)
    .bind(size)
    .bind(now)
    .bind(day_of(now, rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES))
    .bind(&row.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 1 {
        ctx.audit(
            &mut tx,
            &Caller::service(ServiceName::Archive),
            "entrega.archivar",
            Some(&row.id),
            json!({ "folio": row.folio, "paquete": ingested.object.sha256, "entrada": ingested.object.log_index, "acta": inventory_sha256.to_hex() }),
        )
        .await?;
        ctx.outbox
            .record(
                &mut tx,
                HANDOVER_ARCHIVED,
                &json!({
                    "handover_id": row.id,
                    "secretariat_id": row.secretariat_id,
                    "folio": row.folio,
                    "member_id": row.member_id,
                    "package_sha256": ingested.object.sha256,
                    "inventory_sha256": inventory_sha256.to_hex(),
                    "log_index": ingested.object.log_index,
                }),
            )
            .await?;
    }
    ctx.outbox.commit(tx).await?;
    Ok(())
}
