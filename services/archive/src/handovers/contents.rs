//! The outgoing member's part: opening a handover, adding the activity
//! report, documents and archived records, and submitting it (000 III.7).

use super::*;

impl Handovers {
    /// Opens a handover for the caller.
    pub async fn open(
        &self,
        caller: &Caller,
        credential: &Credential,
        request: OpenHandover,
    ) -> ApiResult<HandoverView> {
        let (Some(member_id), Some(secretariat_id)) = (&caller.member_id, &caller.secretariat_id)
        else {
            return Err(ApiError::Forbidden(
                "Solo una persona integrante (o que lo fue), con su propia sesión, puede abrir su entrega-recepción.".into(),
            ));
        };
        let secretariat = self.secretariat(secretariat_id, credential).await?;
        let secretariat_name = secretariat["name"]
            .as_str()
            .unwrap_or(secretariat_id)
            .to_string();
        let seat = match request
            .seat
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(seat) => {
                let known = secretariat["config"]["seats"]
                    .as_array()
                    .is_some_and(|seats| seats.iter().any(|s| s["id"] == seat));
                if !known {
                    return Err(ApiError::Unprocessable(format!(
                        "El asiento «{seat}» no existe en {secretariat_name}. Use el identificador del asiento (GET /secretariats/{secretariat_id}/seats) u omítalo."
                    )));
                }
                Some(seat.to_string())
            }
        };
        let observations = clean_text(request.observations.as_deref(), 2_000, "observations")?;
        let successor = request
            .successor_member_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if successor.as_deref() == Some(member_id.as_str()) {
            return Err(ApiError::Unprocessable(
                "La persona que recibe no puede ser la misma que entrega: indique en successor_member_id a quien le sucede, u omítalo.".into(),
            ));
        }
        let now = now_ms();
        let id = uuid::Uuid::now_v7().to_string();
        let ctx = self.ctx();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        let open: Option<(String, String)> = sqlx::query_as(
            "SELECT id, folio FROM archive_handovers WHERE member_id = $1 AND secretariat_id = $2 AND status <> 'archivada'",
        )
        .bind(member_id)
        .bind(secretariat_id)
        .fetch_optional(&mut *tx)
        .await
        .or_unexpected("buscando entregas abiertas")?;
        if let Some((other, folio)) = open {
            return Err(ApiError::Conflict(format!(
                "Ya tiene la entrega-recepción {folio} ({other}) sin concluir: complétela en lugar de abrir otra (GET /handovers/{other})."
            )));
        }
        let year = &today(offset_of(&secretariat))[..4];
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM archive_handovers WHERE secretariat_id = $1 AND folio LIKE $2",
        )
        .bind(secretariat_id)
        .bind(format!("ER-{year}-%"))
        .fetch_one(&mut *tx)
        .await
        .or_unexpected("numerando la entrega")?;
        let folio = format!("ER-{year}-{:03}", count + 1);
        sqlx::query(
            "INSERT INTO archive_handovers (id, secretariat_id, secretariat_name, member_id, member_name, member_rfc, seat, successor_member_id, observations, status, folio, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'abierta', $10, $11)",
        )
        .bind(&id)
        .bind(secretariat_id)
        .bind(&secretariat_name)
        .bind(member_id)
        .bind(&caller.name)
        .bind(&caller.rfc)
        .bind(&seat)
        .bind(&successor)
        .bind(&observations)
        .bind(&folio)
        .bind(now)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando la entrega-recepción")?;
        ctx.audit(
            &mut tx,
            caller,
            "entrega.abrir",
            Some(&id),
            json!({ "folio": folio, "secretariado": secretariat_id, "asiento": seat }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit().await.or_unexpected("confirmando la entrega")?;
        self.get(caller, &id).await
    }

    /// One handover.
    pub async fn get(&self, caller: &Caller, id: &str) -> ApiResult<HandoverView> {
        let mut conn = self.archive.connection().await?;
        let row = self.readable(&mut conn, caller, id).await?;
        self.view(&mut conn, row).await
    }

    /// The caller's handovers; a President or facilitator sees every one of
    /// their secretariat.
    pub async fn list(&self, caller: &Caller) -> ApiResult<Vec<HandoverView>> {
        let mut conn = self.archive.connection().await?;
        let rows = if caller.has_any(Role::MANAGERS) {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM archive_handovers WHERE secretariat_id = $1 ORDER BY created_at DESC LIMIT 500"
            )))
            .bind(&caller.secretariat_id)
            .fetch_all(&mut *conn)
            .await
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM archive_handovers WHERE secretariat_id = $1 AND (member_id = $2 OR successor_member_id = $2) ORDER BY created_at DESC LIMIT 500"
            )))
            .bind(&caller.secretariat_id)
            .bind(&caller.member_id)
            .fetch_all(&mut *conn)
            .await
        }
        .or_unexpected("listando las entregas")?;
        let mut views = Vec::new();
        for row in &rows {
            let row = read_row(row).or_unexpected("leyendo la entrega")?;
            views.push(self.view(&mut conn, row).await?);
        }
        Ok(views)
    }

    /// Adds a file (already checked) to an open handover.
    async fn add(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        description: Option<String>,
        source: &str,
        bytes: Bytes,
    ) -> ApiResult<HandoverView> {
        let max = self.max_bytes();
        if bytes.len() > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "El archivo «{name}» tiene {} bytes y el límite es {max}. Divídalo o comprímalo.",
                bytes.len()
            )));
        }
        let format = sniff::detect(&bytes).map_err(|r| ApiError::Unprocessable(r.explain(name)))?;
        let clean = sniff::clean_name(name).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "El nombre «{name}» no sirve como nombre de archivo. Dé un nombre con letras o números."
            ))
        })?;
        let final_name = sniff::name_for(&clean, format).map_err(ApiError::Unprocessable)?;
        let path = match source {
            "informe" => format!("data/{REPORT}"),
            "registro" => format!("data/registros/{final_name}"),
            _ => format!("data/documentos/{final_name}"),
        };
        let content = bytes.clone();
        let sha256 = tokio::task::spawn_blocking(move || Sha256::digest(&content))
            .await
            .map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("calculando la huella"))
            })?;

        let mut conn = self.archive.connection().await?;
        let row = self.own_open(&mut conn, caller, id).await?;
        let files = files_of(&mut conn, id).await?;
        drop(conn);
        if files.len() >= MAX_FILES {
            return Err(ApiError::Unprocessable(format!(
                "Una entrega-recepción admite hasta {MAX_FILES} archivos. Agrupe los demás en un ZIP."
            )));
        }
        let replacing = source == "informe";
        let total: i64 = files
            .iter()
            .filter(|f| !(replacing && f.source == "informe"))
            .map(|f| f.size_bytes)
            .sum::<i64>()
            + bytes.len() as i64;
        // The package (files + signed inventory + tag files) is one object.
        if total as usize > max.saturating_sub(4 * 1024 * 1024) {
            return Err(ApiError::PayloadTooLarge(format!(
                "Con «{final_name}» la entrega sumaría {total} bytes y el paquete admite hasta {} (archive.max_object_bytes menos el acta firmada). Agrupe archivos o pida al administrador un límite mayor.",
                max.saturating_sub(4 * 1024 * 1024)
            )));
        }
        if !replacing && files.iter().any(|f| f.path == path) {
            return Err(ApiError::Conflict(format!(
                "Ya hay un archivo «{final_name}» en la entrega {}. Cambie el nombre del nuevo.",
                row.folio
            )));
        }
        // Bytes first (content-addressed, create-only); the row makes them
        // part of the handover.
        self.archive.stage(&sha256, bytes.clone()).await?;
        let ctx = self.ctx();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        // Still open, inside the write transaction.
        let still: Option<String> =
            sqlx::query_scalar("SELECT status FROM archive_handovers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .or_unexpected("leyendo la entrega")?;
        if still.as_deref() != Some(status::OPEN) {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} se entregó mientras se cargaba el archivo; ya no puede cambiarse.",
                row.folio
            )));
        }
        if replacing {
            // The replaced report's bytes go once nothing refers to them.
            sqlx::query(
                "INSERT INTO archive_staged_garbage (sha256, replaced_at)
                 SELECT sha256, $2 FROM archive_handover_files
                 WHERE handover_id = $1 AND source = 'informe' AND sha256 <> $3
                 ON CONFLICT (sha256) DO UPDATE SET replaced_at = excluded.replaced_at",
            )
            .bind(id)
            .bind(now_ms())
            .bind(sha256.to_hex())
            .execute(&mut *tx)
            .await
            .or_unexpected("anotando el informe reemplazado")?;
            sqlx::query(
                "DELETE FROM archive_handover_files WHERE handover_id = $1 AND source = 'informe'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .or_unexpected("reemplazando el informe")?;
        }
        let position: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM archive_handover_files WHERE handover_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .or_unexpected("numerando el archivo")?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO archive_handover_files (handover_id, path, position, original_name, media_type, size_bytes, sha256, source, description, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(&path)
        .bind(position)
        .bind(name)
        .bind(format.media_type)
        .bind(bytes.len() as i64)
        .bind(sha256.to_hex())
        .bind(source)
        .bind(&description)
        .bind(now)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando el archivo")?;
        if replacing {
            sqlx::query("UPDATE archive_handovers SET report_sha256 = $1 WHERE id = $2")
                .bind(sha256.to_hex())
                .bind(id)
                .execute(&mut *tx)
                .await
                .or_unexpected("guardando el informe")?;
        }
        ctx.audit(
            &mut tx,
            caller,
            "entrega.agregar",
            Some(id),
            json!({ "ruta": path, "huella": sha256.to_hex(), "bytes": bytes.len(), "tipo": format.media_type, "origen": source }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit().await.or_unexpected("confirmando el archivo")?;
        self.get(caller, id).await
    }

    /// An uploaded document.
    pub async fn upload(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        description: Option<String>,
        bytes: Bytes,
    ) -> ApiResult<HandoverView> {
        let description = clean_text(description.as_deref(), 500, "description")?;
        self.add(caller, id, name, description, "carga", bytes)
            .await
    }

    /// An uploaded activity report (a PDF).
    pub async fn report_pdf(
        &self,
        caller: &Caller,
        id: &str,
        bytes: Bytes,
    ) -> ApiResult<HandoverView> {
        if !matches!(sniff::detect(&bytes), Ok(f) if f.media_type == "application/pdf") {
            return Err(ApiError::Unprocessable(
                "El informe de actividades debe ser un PDF (su contenido no empieza con «%PDF-»). Envíe el PDF, o su texto a POST /handovers/{id}/report para que se genere.".replace("{id}", id),
            ));
        }
        self.add(
            caller,
            id,
            REPORT,
            Some("Informe de actividades".into()),
            "informe",
            bytes,
        )
        .await
    }

    /// The activity report rendered by the documents service from its text.
    pub async fn report_text(
        &self,
        caller: &Caller,
        credential: &Credential,
        id: &str,
        text: ReportText,
    ) -> ApiResult<HandoverView> {
        let row = {
            let mut conn = self.archive.connection().await?;
            self.own_open(&mut conn, caller, id).await?
        };
        let seat = match &row.seat {
            Some(seat) => self.seat_name(&row.secretariat_id, seat, credential).await,
            None => "—".to_string(),
        };
        let data = json!({
            "secretariat": { "id": row.secretariat_id, "name": row.secretariat_name },
            "folio": format!("{}-INF", row.folio),
            "date": today(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES),
            "place": text.place.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or("—"),
            "member": { "name": row.member_name, "seat": seat, "role": "Integrante saliente" },
            "period": text.period,
            "summary": text.summary,
            "activities": text.activities,
            "pending": text.pending,
            "signers": [{
                "id": row.member_id,
                "name": row.member_name,
                "rfc": row.member_rfc,
                "seat": seat,
                "role": "Integrante saliente",
            }],
        });
        let rendered = self
            .call(
                ServiceName::Documents,
                reqwest::Method::POST,
                "/documents",
                credential,
                Some(json!({ "kind": "informe", "data": data })),
            )
            .await?;
        let pdf = rendered["pdf_base64"]
            .as_str()
            .and_then(|b| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(b).ok()
            })
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el servicio de documentos no devolvió el PDF del informe"
                ))
            })?;
        self.add(
            caller,
            id,
            REPORT,
            Some(format!(
                "Informe de actividades (documento {})",
                rendered["id"].as_str().unwrap_or("?")
            )),
            "informe",
            Bytes::from(pdf),
        )
        .await
    }

    /// A record already archived, copied into the handover.
    pub async fn add_record(
        &self,
        caller: &Caller,
        id: &str,
        reference: RecordReference,
    ) -> ApiResult<HandoverView> {
        let sha256 = Digest32::parse(reference.sha256.trim())
            .map_err(|e| ApiError::Unprocessable(format!("{e}.")))?;
        let row = {
            let mut conn = self.archive.connection().await?;
            self.own_open(&mut conn, caller, id).await?
        };
        let Some(object) = self.archive.object(&sha256).await? else {
            return Err(ApiError::NotFound(format!(
                "Ningún registro del archivo tiene la huella {sha256}. Búsquelo en GET /records."
            )));
        };
        if object.secretariat_id.as_deref() != Some(row.secretariat_id.as_str()) {
            return Err(ApiError::Forbidden(format!(
                "El objeto {sha256} no es de su secretariado: solo puede entregar registros de {}.",
                row.secretariat_name
            )));
        }
        if object.kind == PACKAGE_KIND {
            return Err(ApiError::Unprocessable(
                "Un paquete de entrega-recepción no puede entregarse dentro de otro.".into(),
            ));
        }
        let bytes = self.archive.stored(&sha256).await?;
        let folio = serde_json::from_str::<Value>(&object.metadata)
            .ok()
            .and_then(|m| m["folio"].as_str().map(str::to_string));
        let stem = match folio {
            Some(f) if !f.trim().is_empty() => format!("{} {f}", object.kind),
            _ => format!("{} {}", object.kind, &object.sha256[..12]),
        };
        let description = clean_text(reference.description.as_deref(), 500, "description")?
            .or_else(|| Some(format!("Registro archivado {}", object.sha256)));
        self.add(caller, id, &stem, description, "registro", bytes)
            .await
    }

    /// Freezes the handover: it can be inventoried and signed.
    pub async fn submit(&self, caller: &Caller, id: &str) -> ApiResult<HandoverView> {
        let ctx = self.ctx();
        let mut conn = self.archive.connection().await?;
        let row = self.own_open(&mut conn, caller, id).await?;
        let files = files_of(&mut conn, id).await?;
        drop(conn);
        if row.report_sha256.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "Falta el informe de actividades (000 III.7): agréguelo con POST /handovers/{id}/report (su texto) o /report.pdf (un PDF) antes de entregar."
            )));
        }
        let now = now_ms();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        let changed = sqlx::query(
            "UPDATE archive_handovers SET status = 'entregada', submitted_at = $1, submitted_on = $2 WHERE id = $3 AND status = 'abierta'",
        )
        .bind(now)
        .bind(day_of(now, rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES))
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_unexpected("entregando")?
        .rows_affected();
        if changed != 1 {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} ya fue entregada.",
                row.folio
            )));
        }
        ctx.audit(
            &mut tx,
            caller,
            "entrega.entregar",
            Some(id),
            json!({ "folio": row.folio, "archivos": files.len(), "bytes": files.iter().map(|f| f.size_bytes).sum::<i64>() }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        ctx.outbox
            .record(
                &mut tx,
                HANDOVER_SUBMITTED,
                &json!({
                    "handover_id": id,
                    "secretariat_id": row.secretariat_id,
                    "folio": row.folio,
                    "member_id": row.member_id,
                    "member_name": row.member_name,
                    "files": files.len(),
                }),
            )
            .await
            .or_unexpected("registrando el evento")?;
        ctx.outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la entrega")?;
        self.get(caller, id).await
    }
}
