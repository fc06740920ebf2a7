//! The remote two-step signature: `prepare` (the bytes to sign, on the
//! route's current revision, in turn) and `complete` (the signature value
//! embedded, verified, stored by compare-and-swap).

use super::*;

impl Signing {
    /// `POST /routes/{id}/prepare`: checks the certificate and the signer,
    /// builds the signer's revision on the current one, and returns the bytes
    /// to sign. Stores only the prepared revision (public data).
    pub async fn prepare(
        &self,
        caller: &Caller,
        id: &str,
        request: PrepareRequest,
    ) -> ApiResult<PrepareResponse> {
        if !caller.can_sign() {
            return Err(ApiError::Forbidden(
                "Para firmar inicie sesión con su e.firma (FIEL), por ejemplo con «rubrica login --server URL --cer su.cer --key su.key --password-file contraseña.txt»: un enlace por correo o un token de API no permiten firmar.".into(),
            ));
        }
        let validator = match &self.signer_validator {
            Ok(v) => v.clone(),
            Err(reason) => {
                return Err(ApiError::Unavailable(format!(
                    "La firma no está disponible: {reason}. Avise al administrador."
                )));
            }
        };
        let der = decode_base64(&request.certificate, "certificate")?;
        let certificate = Certificate::from_bytes(&der).map_err(fiel_error)?;
        // Certificate first (CSD, expired, untrusted), then who it is.
        let signing_time = time::OffsetDateTime::now_utc();
        certificate.ensure_fiel().map_err(fiel_error)?;
        validator
            .validate(&certificate, signing_time)
            .ensure_valid()
            .map_err(fiel_error)?;
        let cert_rfc = certificate.rfc().as_str().to_ascii_uppercase();
        let session_rfc = caller.rfc.as_deref().map(str::to_ascii_uppercase);
        if session_rfc.as_deref() != Some(cert_rfc.as_str()) {
            return Err(ApiError::Forbidden(format!(
                "El certificado es de RFC {cert_rfc}, pero su sesión es de {}. Firme con su propia e.firma, la misma con la que inició sesión.",
                session_rfc.as_deref().unwrap_or("otra persona")
            )));
        }

        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        let signers = db::signers(&mut conn, id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        ensure_open(&route)?;
        let signer = signers
            .iter()
            .find(|s| s.rfc.eq_ignore_ascii_case(&cert_rfc))
            .ok_or_else(|| {
                ApiError::Forbidden(format!(
                    "El RFC {cert_rfc} no está entre los firmantes de esta acta. Si usted asistió y debe firmar, pida al facilitador que abra la firma con la lista correcta."
                ))
            })?;
        if signer.status == SIGNED {
            return Err(ApiError::Conflict(format!(
                "{} ya firmó esta acta. No es necesario firmar de nuevo.",
                signer.name
            )));
        }
        if SignOrder::parse(&route.sign_order) == SignOrder::Sequential
            && let Some(before) = signers
                .iter()
                .find(|s| s.position < signer.position && s.status != SIGNED)
        {
            return Err(ApiError::Conflict(format!(
                "Esta acta se firma en orden y aún falta la firma de {}. Firme cuando le llegue su turno.",
                before.name
            )));
        }
        let signer = signer.clone();
        drop(conn);
        // In line behind the signer who prepared last, so this prepare
        // builds on the revision that one completes.
        let turn = self.turns.take(id, &signer.signer_id).await;
        let mut conn = self.conn().await?;
        let route = db::route(&mut conn, id)
            .await
            .or_unexpected("leyendo la ruta")?
            .ok_or_else(|| route_not_found(id))?;
        ensure_open(&route)?;
        let base_sha = route.current_sha256.clone();
        let base = db::revision(&mut conn, &base_sha)
            .await
            .or_unexpected("leyendo la revisión actual")?
            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("falta la revisión {base_sha}")))?;
        drop(conn);

        let location = self.settings.location.clone();
        let shown_location = location.clone();
        let prepared = self
            .blocking(move || {
                let options = PrepareOptions {
                    signing_time,
                    chain: Vec::new(),
                    validator: Some(&validator),
                    location,
                };
                let prepared = rubrica_pdfsign::prepare(&base, &certificate, &options)?;
                let state = serde_json::to_vec(&prepared.state).map_err(|e| {
                    PdfSignError::InvalidPrepared {
                        detail: e.to_string(),
                    }
                })?;
                let chain = prepared
                    .state
                    .chain()
                    .iter()
                    .map(|der| BASE64.encode(der))
                    .collect::<Vec<_>>();
                Ok::<_, PdfSignError>((
                    prepared.to_sign.clone(),
                    prepared.digest(),
                    state,
                    certificate,
                    chain,
                ))
            })
            .await?
            .map_err(pdf_error)?;
        let (to_sign, digest, state, certificate, chain) = prepared;
        let number = certificate.display_number();

        let now = now_ms();
        let ttl_ms = self.settings.prepare_ttl_seconds.saturating_mul(1000) as i64;
        let expires_at = now.saturating_add(ttl_ms);
        let prepare_id = uuid::Uuid::new_v4().to_string();
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        db::lock_route(&mut tx, id)
            .await
            .or_unexpected("bloqueando la ruta")?;
        db::forget_expired_prepares(&mut tx, now)
            .await
            .or_unexpected("olvidando firmas preparadas vencidas")?;
        db::insert_prepare(
            &mut tx,
            &prepare_id,
            id,
            &signer.signer_id,
            &base_sha,
            &number,
            &caller.actor_id,
            &state,
            now,
            expires_at,
        )
        .await
        .or_unexpected("guardando la firma preparada")?;
        let details = json!({ "preparacion": prepare_id, "sobre": base_sha, "vence": expires_at });
        self.record_act(
            &mut tx,
            caller,
            id,
            Act {
                history: "preparada",
                audit: "firma.preparada",
                signer_id: Some(&signer.signer_id),
                certificate_number: Some(&number),
            },
            details,
            now,
        )
        .await?;
        tx.commit()
            .await
            .or_unexpected("confirmando la firma preparada")?;
        if let Some(turn) = turn {
            self.turns.hold(&prepare_id, id, &signer.signer_id, turn);
        }
        Ok(PrepareResponse {
            prepare_id,
            route_id: id.to_string(),
            signer_id: signer.signer_id.clone(),
            to_sign: BASE64.encode(&to_sign),
            to_sign_sha256: BASE64.encode(digest),
            base_sha256: base_sha,
            signing_time: signing_time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            location: shown_location,
            chain,
            expires_at,
            instructions: format!(
                "Firme los bytes de «to_sign» (decodificados de base64) con la llave privada de su e.firma: RSA PKCS#1 v1.5 con SHA-256. Envíe la firma en base64 con «prepare_id» a /routes/{id}/complete antes de que venza. O use: rubrica sign --server URL --route {id} --cer su.cer --key su.key --password-file contraseña.txt"
            ),
        })
    }

    /// `POST /routes/{id}/complete`: embeds the signature value, verifies
    /// the whole PDF, and stores the revision if nobody completed in between.
    pub async fn complete(
        &self,
        caller: &Caller,
        id: &str,
        request: CompleteRequest,
    ) -> ApiResult<CompleteResponse> {
        if !caller.can_sign() {
            return Err(ApiError::Forbidden(
                "Para firmar inicie sesión con su e.firma (FIEL): un enlace por correo o un token de API no permiten firmar.".into(),
            ));
        }
        let signature = decode_base64(&request.signature, "signature")?;
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        let prepare = db::prepare(&mut conn, request.prepare_id.trim())
            .await
            .or_unexpected("leyendo la firma preparada")?
            .filter(|p| p.route_id == route.id && p.prepared_by == caller.actor_id)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "No existe la firma preparada «{}» para usted en esta ruta. Prepare la firma de nuevo.",
                    request.prepare_id
                ))
            })?;
        drop(conn);
        // Whatever happens now, the next signer in line may go on after it.
        let _turn = ReleaseTurn {
            turns: &self.turns,
            prepare_id: prepare.id.clone(),
        };
        ensure_open(&route)?;
        let now = now_ms();
        let state = usable_state(&prepare, now)?;
        if route.current_sha256 != prepare.base_sha256 {
            return Err(stale());
        }

        let verifier = self.verifier()?;
        let (signed, report) = self
            .blocking(move || {
                let prepared: PreparedRevision = serde_json::from_slice(&state).map_err(|e| {
                    PdfSignError::InvalidPrepared {
                        detail: e.to_string(),
                    }
                })?;
                let signed = rubrica_pdfsign::complete(&prepared, &signature)?;
                let report = rubrica_pdfsign::verify(&signed, &verifier)?;
                Ok::<_, PdfSignError>((signed, (report, prepared.field)))
            })
            .await?
            .map_err(|e| match e {
                PdfSignError::Fiel(FielError::SignatureInvalid) => ApiError::Unprocessable(
                    "La firma enviada no corresponde a los datos preparados ni a su certificado. Firme exactamente los bytes de «to_sign» con la llave de la e.firma que envió al preparar, o prepare de nuevo.".into(),
                ),
                other => pdf_error(other),
            })?;
        let (report, field) = report;
        let mine = report.signatures.iter().find(|s| s.field == field);
        if mine.is_none_or(|s| s.verdict != Verdict::Valid)
            || report
                .signatures
                .iter()
                .any(|s| s.verdict == Verdict::Invalid)
        {
            tracing::warn!(route_id = %id, summary = %report.summary, "la revisión firmada no verificó");
            return Err(ApiError::Unprocessable(format!(
                "La firma no se guardó porque el PDF firmado no verificó: {} Prepare la firma de nuevo; si se repite, avise al facilitador.",
                mine.map(|s| s.summary.as_str())
                    .unwrap_or(report.summary.as_str())
            )));
        }
        let new_sha = sha256_hex(&signed);

        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        // The revision row first (the route references it); rolled back
        // with everything else if the swap finds the route moved on.
        db::insert_revision(&mut tx, &new_sha, &signed, now)
            .await
            .or_unexpected("guardando la revisión firmada")?;
        if !db::swap_current(&mut tx, id, &prepare.base_sha256, &new_sha, now)
            .await
            .or_unexpected("actualizando la revisión actual")?
        {
            drop(tx);
            let mut conn = self.conn().await?;
            let fresh = db::route(&mut conn, id)
                .await
                .or_unexpected("leyendo la ruta")?
                .ok_or_else(|| route_not_found(id))?;
            ensure_open(&fresh)?;
            return Err(stale());
        }
        if db::finish_prepare(&mut tx, &prepare.id, now)
            .await
            .or_unexpected("cerrando la firma preparada")?
            != 1
        {
            return Err(ApiError::Conflict(
                "Esta firma preparada ya se usó. Consulte la ruta para ver si su firma quedó registrada.".into(),
            ));
        }
        if !db::mark_signed(
            &mut tx,
            id,
            &prepare.signer_id,
            &prepare.certificate_number,
            &new_sha,
            now,
        )
        .await
        .or_unexpected("registrando la firma")?
        {
            return Err(ApiError::Conflict(
                "Su firma ya estaba registrada en esta ruta. No es necesario firmar de nuevo."
                    .into(),
            ));
        }
        db::add_route_revision(
            &mut tx,
            id,
            &new_sha,
            "firma",
            Some(&prepare.signer_id),
            now,
        )
        .await
        .or_unexpected("registrando la revisión")?;
        let details = json!({
            "firmante": prepare.signer_id,
            "certificado": prepare.certificate_number,
            "revision_sha256": new_sha,
            "sobre": prepare.base_sha256,
        });
        self.record_act(
            &mut tx,
            caller,
            id,
            Act {
                history: "firmada",
                audit: "ruta.firmada",
                signer_id: Some(&prepare.signer_id),
                certificate_number: Some(&prepare.certificate_number),
            },
            details,
            now,
        )
        .await?;
        let signers = db::signers(&mut tx, id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        let pending: Vec<String> = signers
            .iter()
            .filter(|s| s.status != SIGNED)
            .map(|s| s.signer_id.clone())
            .collect();
        let signed_event = RouteSigned {
            route_id: id.to_string(),
            member_id: prepare.signer_id.clone(),
            pending: pending.clone(),
        };
        self.publish(&mut tx, events::ROUTE_SIGNED, &signed_event)
            .await?;
        let completed = pending.is_empty();
        if completed {
            db::close_route(&mut tx, id, COMPLETED, Some(&new_sha), None, now)
                .await
                .or_unexpected("completando la ruta")?;
            let details = json!({ "final_sha256": new_sha, "firmas": signers.len() });
            self.record_act(
                &mut tx,
                caller,
                id,
                Act {
                    history: "completada",
                    audit: "ruta.completada",
                    signer_id: None,
                    certificate_number: None,
                },
                details,
                now,
            )
            .await?;
            let recipients = Self::recipients(&route)?;
            let completed_event = RouteCompleted {
                secretariat: recipients.secretariat.clone(),
                route: self.route_info(&route),
                document: DocumentRef {
                    filename: final_filename(&route),
                    media_type: "application/pdf".into(),
                    sha256: new_sha.clone(),
                    size: signed.len() as u64,
                    service: ServiceName::Signing,
                    path: format!("/internal/routes/{id}/signed.pdf"),
                },
                verification_url: format!("{}/verify", self.server()),
                members: recipients.members.clone(),
                facilitators: recipients.facilitators.clone(),
            };
            self.publish(&mut tx, events::ROUTE_COMPLETED, &completed_event)
                .await?;
        }
        self.context
            .outbox
            .commit(tx)
            .await
            .or_unexpected("confirmando la firma")?;
        tracing::info!(route_id = %id, signer = %prepare.signer_id, completed, "firma registrada");
        Ok(CompleteResponse {
            route: self.get(caller, id).await?,
            revision_sha256: new_sha,
            completed,
        })
    }
}

/// How long a prepare keeps its route's turn waiting for its `complete`:
/// a signing client (CLI, browser) answers in well under a second; a
/// client that never completes holds the others back at most this long.
pub(super) const TURN_LEASE: Duration = Duration::from_secs(5);

/// How long a prepare waits for its route's turn before it prepares
/// anyway (and may then be refused as stale at `complete`, as without turns).
pub(super) const TURN_WAIT: Duration = Duration::from_secs(20);

/// Per-route signing turns, in this process.
///
/// `prepare` takes its route's turn before reading the current revision and
/// keeps it (under its prepare id) until its `complete` has stored the
/// revision or failed, or until [`TURN_LEASE`] passes. Another signer's
/// `prepare` waits in line (first come, first served) instead of building on
/// a revision that is about to be replaced, so a route with n signers
/// signing at once takes n prepares and n completes, not up to n(n+1)/2.
/// A signer who prepares again gives up the turn of their earlier prepare.
#[derive(Default)]
pub(super) struct Turns {
    /// One lock per route with signers in line (pruned when idle).
    routes: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Turns held by a prepare waiting for its `complete`, by prepare id.
    held: std::sync::Mutex<HashMap<String, HeldTurn>>,
}

/// A turn a prepare holds.
pub(super) struct HeldTurn {
    route: String,
    signer: String,
    _turn: OwnedMutexGuard<()>,
}

impl Turns {
    /// Waits (at most [`TURN_WAIT`]) for `route`'s turn for `signer`; `None`
    /// if it did not come in time.
    async fn take(&self, route: &str, signer: &str) -> Option<OwnedMutexGuard<()>> {
        let superseded: Vec<HeldTurn> = {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            let mine: Vec<String> = held
                .iter()
                .filter(|(_, h)| h.route == route && h.signer == signer)
                .map(|(id, _)| id.clone())
                .collect();
            mine.iter().filter_map(|id| held.remove(id)).collect()
        };
        drop(superseded);
        let lock = {
            let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
            routes.retain(|_, lock| Arc::strong_count(lock) > 1);
            routes.entry(route.to_string()).or_default().clone()
        };
        tokio::time::timeout(TURN_WAIT, lock.lock_owned())
            .await
            .ok()
    }

    /// Keeps `turn` for `prepare_id` until [`Turns::release`] or the lease ends.
    fn hold(
        self: &Arc<Self>,
        prepare_id: &str,
        route: &str,
        signer: &str,
        turn: OwnedMutexGuard<()>,
    ) {
        let held = HeldTurn {
            route: route.to_string(),
            signer: signer.to_string(),
            _turn: turn,
        };
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(prepare_id.to_string(), held);
        let (turns, id) = (Arc::downgrade(self), prepare_id.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(TURN_LEASE).await;
            if let Some(turns) = turns.upgrade() {
                turns.release(&id);
            }
        });
    }

    /// Gives up the turn `prepare_id` holds, if any.
    fn release(&self, prepare_id: &str) {
        let turn = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(prepare_id);
        drop(turn);
    }
}

/// Releases a prepare's turn however `complete` ends.
pub(super) struct ReleaseTurn<'a> {
    turns: &'a Turns,
    prepare_id: String,
}

impl Drop for ReleaseTurn<'_> {
    fn drop(&mut self) {
        self.turns.release(&self.prepare_id);
    }
}

pub(super) fn stale() -> ApiError {
    ApiError::Conflict(
        "Otro integrante firmó mientras usted preparaba su firma, así que su firma preparada ya no corresponde a la versión actual del acta. Prepare la firma de nuevo (rubrica sign lo hace solo) y fírmela.".into(),
    )
}

/// The stored state of a prepare that can still be completed.
pub(super) fn usable_state(prepare: &PrepareRow, now: i64) -> ApiResult<Vec<u8>> {
    if prepare.completed_at.is_some() {
        return Err(ApiError::Conflict(
            "Esta firma preparada ya se usó. Consulte la ruta para ver su firma registrada.".into(),
        ));
    }
    match &prepare.state {
        Some(state) if now <= prepare.expires_at => Ok(state.clone()),
        _ => Err(ApiError::Conflict(
            "La firma preparada venció. Prepare la firma de nuevo y complétela antes de que venza."
                .into(),
        )),
    }
}
