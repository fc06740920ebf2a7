//! The President's (or the facilitator's) part: the inventory routed for
//! signature, the package, and the terms still owing a handover.

use super::*;

impl Handovers {
    pub(super) async fn seat_name(
        &self,
        secretariat_id: &str,
        seat: &str,
        credential: &Credential,
    ) -> String {
        self.secretariat(secretariat_id, credential)
            .await
            .ok()
            .and_then(|s| {
                s["config"]["seats"].as_array().and_then(|seats| {
                    seats
                        .iter()
                        .find(|x| x["id"] == seat)
                        .and_then(|x| x["name"].as_str().map(str::to_string))
                })
            })
            .unwrap_or_else(|| seat.to_string())
    }

    /// Renders the inventory, approves it and routes it for signature (the
    /// President or the facilitator, with their own credential).
    pub async fn route_inventory(
        &self,
        caller: &Caller,
        credential: &Credential,
        id: &str,
        request: RouteInventory,
    ) -> ApiResult<HandoverView> {
        let mut conn = self.archive.connection().await?;
        let row = self.readable(&mut conn, caller, id).await?;
        if !Self::is_manager(caller, &row) || caller.has_any(&[Role::Operator]) {
            return Err(ApiError::Forbidden(
                "La Presidencia o el facilitador del secretariado genera el acta de entrega-recepción y la envía a firma.".into(),
            ));
        }
        if row.status == status::OPEN {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} aún no se entrega: quien entrega debe concluirla con POST /handovers/{id}/submit.",
                row.folio
            )));
        }
        if row.status != status::SUBMITTED {
            return Err(ApiError::Conflict(format!(
                "El acta de entrega-recepción {} ya se envió a firma (ruta {}).",
                row.folio,
                row.route_id.as_deref().unwrap_or("?")
            )));
        }
        let files = files_of(&mut conn, id).await?;
        drop(conn);
        let secretariat = self.secretariat(&row.secretariat_id, credential).await?;
        let members = self
            .call(
                ServiceName::Secretariat,
                reqwest::Method::GET,
                &format!("/secretariats/{}/members", row.secretariat_id),
                credential,
                None,
            )
            .await?;
        let members = members.as_array().cloned().unwrap_or_default();
        let member = |member_id: &str| members.iter().find(|m| m["id"] == member_id).cloned();
        let seat_name = |seat: &str| -> String {
            secretariat["config"]["seats"]
                .as_array()
                .and_then(|seats| seats.iter().find(|s| s["id"] == seat))
                .and_then(|s| s["name"].as_str().map(str::to_string))
                .unwrap_or_else(|| seat.to_string())
        };
        // The seat of someone: the given one, else their latest seated designation.
        let seat_of = |m: &Value| -> Option<String> {
            m["designations"].as_array().and_then(|ds| {
                ds.iter()
                    .filter(|d| d["seat"].is_string())
                    .max_by_key(|d| d["starts_on"].as_str().unwrap_or_default().to_string())
                    .and_then(|d| d["seat"].as_str().map(str::to_string))
            })
        };
        let outgoing = member(&row.member_id).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "{} ya no figura entre las personas integrantes del secretariado; no se puede generar el acta.",
                row.member_name
            ))
        })?;
        let outgoing_seat = row.seat.clone().or_else(|| seat_of(&outgoing));
        let successor_id = request
            .successor_member_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| row.successor_member_id.clone());
        let successor = match &successor_id {
            None => None,
            Some(s) if s == &row.member_id => {
                return Err(ApiError::Unprocessable(
                    "Quien recibe no puede ser quien entrega: indique a la persona sucesora en successor_member_id, u omítalo.".into(),
                ));
            }
            Some(s) => Some(member(s).ok_or_else(|| {
                ApiError::Unprocessable(format!(
                    "No hay ninguna persona integrante con id «{s}» en el secretariado (successor_member_id)."
                ))
            })?),
        };
        let president_id = caller.member_id.clone().unwrap_or_default();
        let president_is_president = caller.has_any(&[Role::President]);
        // The President receives; a facilitator routes it for the President.
        let president = if president_is_president {
            member(&president_id)
        } else {
            let presiding = secretariat["config"]["president"].as_str().unwrap_or_default();
            members
                .iter()
                .find(|m| {
                    m["designations"].as_array().is_some_and(|ds| {
                        ds.iter().any(|d| {
                            d["current"] == true && d["role"] == "titular" && d["seat"] == presiding
                        })
                    })
                })
                .cloned()
        }
        .ok_or_else(|| {
            ApiError::Unprocessable(
                "El secretariado no tiene Presidencia designada: designe al titular del asiento que preside antes de enviar el acta a firma.".into(),
            )
        })?;
        let person = |m: &Value, role: &str, seat: Option<String>| -> Value {
            json!({
                "id": m["id"],
                "name": m["name"],
                "rfc": m["rfc"],
                "seat": seat.as_deref().map(&seat_name).unwrap_or_else(|| "—".into()),
                "role": role,
            })
        };
        let mut signers = vec![person(&outgoing, "Entrega", outgoing_seat.clone())];
        if let Some(s) = &successor {
            signers.push(person(s, "Recibe", seat_of(s).or(outgoing_seat.clone())));
        }
        if president["id"] != outgoing["id"] && Some(&president) != successor.as_ref() {
            signers.push(person(
                &president,
                "Recibe (Presidencia)",
                seat_of(&president),
            ));
        }
        let incoming = match &successor {
            Some(s) => {
                json!({ "name": s["name"], "seat": seat_of(s).or(outgoing_seat.clone()).as_deref().map(&seat_name), "role": "Recibe" })
            }
            None => {
                json!({ "name": president["name"], "seat": "Presidencia del Secretariado", "role": "Recibe en tanto se designa a la persona sucesora" })
            }
        };
        let items: Vec<Value> = files
            .iter()
            .map(|f| {
                json!({
                    "name": f.path.trim_start_matches("data/"),
                    "size": f.size_bytes,
                    "sha256": f.sha256,
                    "description": f.description,
                })
            })
            .collect();
        let observations = clean_text(request.observations.as_deref(), 2_000, "observations")?
            .or_else(|| row.observations.clone());
        let now = rubrica_rules::local_time::local(
            time::OffsetDateTime::now_utc(),
            offset_of(&secretariat),
        );
        let data = json!({
            "secretariat": { "id": row.secretariat_id, "name": secretariat["name"].as_str().unwrap_or(&row.secretariat_name) },
            "folio": row.folio,
            "date": today(offset_of(&secretariat)),
            "time": format!("{:02}:{:02}", now.hour(), now.minute()),
            "place": request.place.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or("—"),
            "outgoing": { "name": outgoing["name"], "seat": outgoing_seat.as_deref().map(&seat_name), "role": "Entrega" },
            "incoming": incoming,
            "receiver_president": { "name": president["name"] },
            "items": items,
            "observations": observations,
            "signers": signers,
        });
        let rendered = self
            .call(
                ServiceName::Documents,
                reqwest::Method::POST,
                "/documents",
                credential,
                Some(json!({ "kind": "entrega_recepcion", "data": data })),
            )
            .await?;
        let document_id = rendered["id"]
            .as_str()
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el servicio de documentos no devolvió el id"
                ))
            })?
            .to_string();
        let version = rendered["version"].as_i64().unwrap_or(1);
        self.call(
            ServiceName::Documents,
            reqwest::Method::POST,
            &format!("/documents/{document_id}/approve"),
            credential,
            Some(json!({ "version": version })),
        )
        .await?;
        let recipient =
            |m: &Value| json!({ "member_id": m["id"], "name": m["name"], "email": m["email"] });
        let mut recipients = vec![recipient(&outgoing)];
        if let Some(s) = &successor {
            recipients.push(recipient(s));
        }
        if !recipients.iter().any(|r| r["member_id"] == president["id"]) {
            recipients.push(recipient(&president));
        }
        let facilitators: Vec<Value> = members
            .iter()
            .filter(|m| {
                m["designations"].as_array().is_some_and(|ds| {
                    ds.iter()
                        .any(|d| d["current"] == true && d["role"] == "facilitador")
                })
            })
            .map(recipient)
            .collect();
        let route = self
            .call(
                ServiceName::Signing,
                reqwest::Method::POST,
                "/routes",
                credential,
                Some(json!({
                    "secretariat": { "id": row.secretariat_id, "name": row.secretariat_name },
                    "title": format!("Acta de entrega-recepción {} de {}", row.folio, row.member_name),
                    "record_kind": INVENTORY_KIND,
                    "folio": row.folio,
                    "document_id": document_id,
                    "members": recipients,
                    "facilitators": facilitators,
                })),
            )
            .await?;
        let route_id = route["id"]
            .as_str()
            .ok_or_else(|| {
                ApiError::Unexpected(anyhow::anyhow!(
                    "el servicio de firma no devolvió el id de la ruta"
                ))
            })?
            .to_string();
        let ctx = self.ctx();
        let now = now_ms();
        let mut tx = ctx.begin().await.or_unexpected("abriendo la transacción")?;
        sqlx::query(
            "UPDATE archive_handovers SET status = 'en_firma', inventory_document_id = $1, route_id = $2, routed_at = $3, seat = COALESCE(seat, $4), successor_member_id = $5, successor_name = $6, observations = $7 WHERE id = $8 AND status = 'entregada'",
        )
        .bind(&document_id)
        .bind(&route_id)
        .bind(now)
        .bind(&outgoing_seat)
        .bind(successor.as_ref().and_then(|s| s["id"].as_str()))
        .bind(successor.as_ref().and_then(|s| s["name"].as_str()))
        .bind(&observations)
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_unexpected("guardando la ruta")?;
        ctx.audit(
            &mut tx,
            caller,
            "entrega.enviar_a_firma",
            Some(id),
            json!({ "folio": row.folio, "documento": document_id, "ruta": route_id, "firmantes": signers.len() }),
        )
        .await
        .or_unexpected("registrando en la bitácora")?;
        tx.commit().await.or_unexpected("confirmando")?;
        self.get(caller, id).await
    }

    /// The package ZIP, for who may read the handover.
    pub async fn package(&self, caller: &Caller, id: &str) -> ApiResult<(String, Bytes)> {
        let mut conn = self.archive.connection().await?;
        let row = self.readable(&mut conn, caller, id).await?;
        drop(conn);
        let Some(sha) = row.package_sha256.as_deref() else {
            return Err(ApiError::Conflict(format!(
                "La entrega-recepción {} aún no se archiva ({}): el paquete existe cuando el acta está firmada por todos.",
                row.folio, row.status
            )));
        };
        let sha = Digest32::parse(sha).map_err(|e| ApiError::Unexpected(anyhow::anyhow!("{e}")))?;
        let bytes = self.archive.stored(&sha).await?;
        Ok((format!("entrega-{}.zip", row.folio), bytes))
    }

    /// Terms that ended (in the last year) or end within 30 days with no
    /// handover submitted, for the President and the facilitator.
    pub async fn pending(
        &self,
        caller: &Caller,
        credential: &Credential,
        secretariat_id: &str,
    ) -> ApiResult<Vec<PendingHandover>> {
        if !caller.has_any(&[Role::Operator])
            && caller.secretariat_id.as_deref() != Some(secretariat_id)
        {
            return Err(ApiError::Forbidden(
                "Solo puede consultar las entregas pendientes de su propio secretariado.".into(),
            ));
        }
        let members = self
            .call(
                ServiceName::Secretariat,
                reqwest::Method::GET,
                &format!("/secretariats/{secretariat_id}/members"),
                credential,
                None,
            )
            .await?;
        let terms = self
            .call(
                ServiceName::Secretariat,
                reqwest::Method::GET,
                &format!(
                    "/secretariats/{secretariat_id}/terms?within_days={PENDING_LOOKAHEAD_DAYS}"
                ),
                credential,
                None,
            )
            .await?;
        let today = today(rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES);
        let since = date_plus(&today, -PENDING_LOOKBACK_DAYS);
        let mut due: Vec<PendingHandover> = Vec::new();
        let seated = |role: &str| matches!(role, "titular" | "suplente");
        for m in members.as_array().into_iter().flatten() {
            for d in m["designations"].as_array().into_iter().flatten() {
                let role = d["role"].as_str().unwrap_or_default();
                let Some(ends) = d["ends_on"].as_str() else {
                    continue;
                };
                // Rose from suplente to titular: not leaving.
                if !seated(role) || d["ended_reason"] == "asciende_a_titular" {
                    continue;
                }
                if ends < since.as_str() || ends >= today.as_str() {
                    continue;
                }
                due.push(PendingHandover {
                    member_id: m["id"].as_str().unwrap_or_default().to_string(),
                    name: m["name"].as_str().unwrap_or_default().to_string(),
                    seat: d["seat"].as_str().map(str::to_string),
                    role: role.to_string(),
                    ends_on: Some(ends.to_string()),
                    ended: true,
                    handover_id: None,
                    handover_status: None,
                    explanation: String::new(),
                });
            }
        }
        for t in terms.as_array().into_iter().flatten() {
            let member_id = t["member_id"].as_str().unwrap_or_default().to_string();
            if due.iter().any(|p| p.member_id == member_id) {
                continue;
            }
            due.push(PendingHandover {
                member_id,
                name: t["name"].as_str().unwrap_or_default().to_string(),
                seat: t["seat"].as_str().map(str::to_string),
                role: t["role"].as_str().unwrap_or_default().to_string(),
                ends_on: t["ends_on"].as_str().map(str::to_string),
                ended: false,
                handover_id: None,
                handover_status: None,
                explanation: String::new(),
            });
        }
        let mut conn = self.archive.connection().await?;
        let handovers: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT member_id, id, status FROM archive_handovers WHERE secretariat_id = $1 ORDER BY created_at",
        )
        .bind(secretariat_id)
        .fetch_all(&mut *conn)
        .await
        .or_unexpected("leyendo las entregas")?;
        let mut out = Vec::new();
        for mut p in due {
            let latest = handovers.iter().rev().find(|(m, _, _)| *m == p.member_id);
            if let Some((_, id, status)) = latest {
                if status != status::OPEN {
                    // Submitted, in signature or archived: not pending.
                    continue;
                }
                p.handover_id = Some(id.clone());
                p.handover_status = Some(status.clone());
            }
            let when = p.ends_on.as_deref().unwrap_or("fecha por determinar");
            let seat = p.seat.as_deref().unwrap_or("sin asiento");
            p.explanation = match (p.ended, &p.handover_id) {
                (true, None) => format!(
                    "El periodo de {} ({}, {seat}) concluyó el {when} y no ha entregado su informe de actividades ni su documentación (000 III.7).",
                    p.name, p.role
                ),
                (true, Some(id)) => format!(
                    "El periodo de {} ({}, {seat}) concluyó el {when}; su entrega-recepción {id} está abierta pero no se ha entregado.",
                    p.name, p.role
                ),
                (false, None) => format!(
                    "El periodo de {} ({}, {seat}) concluye el {when}: deberá entregar su informe de actividades y su documentación (000 III.7).",
                    p.name, p.role
                ),
                (false, Some(id)) => format!(
                    "El periodo de {} ({}, {seat}) concluye el {when}; prepara su entrega-recepción {id}.",
                    p.name, p.role
                ),
            };
            out.push(p);
        }
        out.sort_by(|a, b| a.ends_on.cmp(&b.ends_on).then(a.name.cmp(&b.name)));
        Ok(out)
    }
}
