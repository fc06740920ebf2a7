//! Opening a route: only on an approved document of the route's own
//! secretariat, with the signers the session's attendance requires
//! (issue 15, finding 1).

use super::*;

impl Signing {
    /// `POST /routes`: opens a route on an approved record.
    pub async fn open(&self, caller: &Caller, request: OpenRoute) -> ApiResult<RouteView> {
        if !caller.has_any(&[Role::Operator])
            && caller.secretariat_id.as_deref() != Some(request.secretariat.id.as_str())
        {
            return Err(ApiError::Forbidden(format!(
                "Solo puede abrir rutas de firma de su propio secretariado; la solicitud nombra «{}». Revise el campo secretariat.id.",
                request.secretariat.id
            )));
        }
        let title = request.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 300 {
            return Err(ApiError::Unprocessable(
                "El título es obligatorio y de hasta 300 caracteres (por ejemplo «Acta de la sesión ordinaria 2026-ORD-01»).".into(),
            ));
        }
        let record_kind = request.record_kind.trim().to_ascii_lowercase();
        if !matches!(
            record_kind.as_str(),
            "acta" | "minuta" | "entrega_recepcion" | "informe"
        ) {
            return Err(ApiError::Unprocessable(format!(
                "El tipo de registro «{}» no es válido: use «acta» (sesiones), «minuta» (reuniones de trabajo), «entrega_recepcion» (actas de entrega-recepción) o «informe» (informes de actividades).",
                request.record_kind
            )));
        }
        // Session records (actas, minutas) are opened only on the approved
        // document: a PDF and layout from the caller could name anyone.
        let session_record = matches!(record_kind.as_str(), "acta" | "minuta");
        if session_record && request.document_id.is_none() {
            return Err(ApiError::Unprocessable(format!(
                "Un registro de tipo «{record_kind}» se firma solo sobre el documento aprobado del servicio de documentos: envíe «document_id» (sin «pdf_base64» ni «layout»). Un PDF enviado en la solicitud solo se admite para entregas-recepción e informes."
            )));
        }
        if let Some(due) = &request.due_on {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            if time::Date::parse(due, format).is_err() {
                return Err(ApiError::Unprocessable(format!(
                    "La fecha límite «{due}» no es válida: escríbala como AAAA-MM-DD."
                )));
            }
        }
        if request.secretariat.name.trim().is_empty() {
            return Err(ApiError::Unprocessable(
                "Falta el nombre del secretariado (secretariat.name): aparece en las invitaciones a firmar.".into(),
            ));
        }

        let (pdf, layout_json) = match (&request.pdf_base64, &request.layout, &request.document_id)
        {
            (Some(pdf), Some(layout), None) => {
                let bytes = decode_base64(pdf, "pdf_base64")?;
                let layout = serde_json::to_vec(layout).map_err(|e| {
                    ApiError::Unexpected(anyhow::Error::new(e).context("leyendo el manifiesto"))
                })?;
                (bytes, layout)
            }
            (None, None, Some(document_id)) => {
                self.fetch_document(
                    document_id,
                    &request.secretariat.id,
                    session_record.then_some(record_kind.as_str()),
                )
                .await?
            }
            _ => {
                return Err(ApiError::Unprocessable(
                    "Envíe el acta aprobada de una de dos formas: «pdf_base64» junto con «layout» (el manifiesto de diseño), o solo «document_id» del servicio de documentos.".into(),
                ));
            }
        };
        self.check_size(pdf.len())?;
        if !pdf.starts_with(b"%PDF-") {
            return Err(ApiError::Unprocessable(
                "El contenido no es un PDF (no empieza con «%PDF-»). Envíe el acta aprobada tal como la generó el servicio de documentos.".into(),
            ));
        }
        let layout = LayoutManifest::from_json(&layout_json).map_err(pdf_error)?;

        let signable = {
            let (pdf, layout) = (pdf.clone(), layout.clone());
            self.blocking(move || rubrica_pdfsign::make_signable(&pdf, &layout))
                .await?
                .map_err(pdf_error)?
        };

        let now = now_ms();
        let recipients = RouteRecipients {
            secretariat: request.secretariat.clone(),
            members: request.members.clone(),
            facilitators: request.facilitators.clone(),
        };
        let email_of = |member_id: &str| {
            request
                .members
                .iter()
                .find(|m| m.member_id.as_deref() == Some(member_id))
                .and_then(|m| m.email.clone())
        };
        let signers: Vec<SignerRow> = layout
            .signers
            .iter()
            .enumerate()
            .map(|(i, s)| SignerRow {
                signer_id: s.signer.id.clone(),
                position: i as i64,
                name: s.signer.name.clone(),
                rfc: s.signer.rfc.trim().to_ascii_uppercase(),
                seat: s.signer.seat.clone(),
                role: s.signer.role.clone(),
                email: email_of(&s.signer.id),
                status: PENDING.into(),
                signed_at: None,
                certificate_number: None,
                refusal_reason: None,
                refused_at: None,
            })
            .collect();
        let original_sha = sha256_hex(&pdf);
        let signable_sha = sha256_hex(&signable);
        let route = RouteRow {
            id: uuid::Uuid::now_v7().to_string(),
            secretariat_id: request.secretariat.id.clone(),
            title,
            record_kind,
            folio: request.folio.clone().filter(|f| !f.trim().is_empty()),
            due_on: request.due_on.clone(),
            document_id: request.document_id.clone(),
            sign_order: request.order.as_str().into(),
            status: OPEN.into(),
            original_sha256: original_sha.clone(),
            signable_sha256: signable_sha.clone(),
            current_sha256: signable_sha.clone(),
            final_sha256: None,
            layout: String::from_utf8_lossy(&layout_json).into_owned(),
            recipients: serde_json::to_string(&recipients).map_err(|e| {
                ApiError::Unexpected(anyhow::Error::new(e).context("guardando destinatarios"))
            })?,
            cancel_reason: None,
            opened_by: caller.actor_id.clone(),
            created_at: now,
            updated_at: now,
            closed_at: None,
        };

        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        db::insert_revision(&mut tx, &original_sha, &pdf, now)
            .await
            .or_unexpected("guardando el acta aprobada")?;
        db::insert_revision(&mut tx, &signable_sha, &signable, now)
            .await
            .or_unexpected("guardando la revisión firmable")?;
        db::insert_route(&mut tx, &route)
            .await
            .or_unexpected("guardando la ruta")?;
        for signer in &signers {
            db::insert_signer(&mut tx, &route.id, signer)
                .await
                .or_unexpected("guardando los firmantes")?;
        }
        db::add_route_revision(&mut tx, &route.id, &original_sha, "aprobada", None, now)
            .await
            .or_unexpected("registrando la revisión")?;
        db::add_route_revision(&mut tx, &route.id, &signable_sha, "firmable", None, now)
            .await
            .or_unexpected("registrando la revisión")?;
        let details = json!({
            "titulo": route.title,
            "orden": route.sign_order,
            "firmantes": signers.iter().map(|s| &s.signer_id).collect::<Vec<_>>(),
            "acta_sha256": original_sha,
            "firmable_sha256": signable_sha,
            "documento": route.document_id,
        });
        self.record_act(
            &mut tx,
            caller,
            &route.id,
            Act {
                history: "abierta",
                audit: "ruta.abierta",
                signer_id: None,
                certificate_number: None,
            },
            details,
            now,
        )
        .await?;
        let opened = RouteOpened {
            secretariat: recipients.secretariat.clone(),
            route: self.route_info(&route),
            signers: signers
                .iter()
                .map(|s| Recipient {
                    member_id: Some(s.signer_id.clone()),
                    name: s.name.clone(),
                    email: s.email.clone(),
                })
                .collect(),
            facilitators: recipients.facilitators.clone(),
        };
        self.publish_and_commit(tx, events::ROUTE_OPENED, &opened, "confirmando la ruta")
            .await?;
        tracing::info!(route_id = %route.id, signers = signers.len(), "ruta de firma abierta");
        let mut conn = self.conn().await?;
        self.view(&mut conn, route).await
    }

    /// The approved PDF and layout of a document of the documents service.
    ///
    /// The document must belong to `secretariat_id` and, for a session
    /// record, be of `kind`.
    pub(super) async fn fetch_document(
        &self,
        document_id: &str,
        secretariat_id: &str,
        kind: Option<&str>,
    ) -> ApiResult<(Vec<u8>, Vec<u8>)> {
        let id = document_id.trim();
        if id.is_empty()
            || id.len() > 100
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(ApiError::Unprocessable(format!(
                "El identificador de documento «{document_id}» no es válido: use el id que asignó el servicio de documentos."
            )));
        }
        let not_approved = || {
            ApiError::Unprocessable(format!(
                "El servicio de documentos no tiene una versión aprobada del documento «{id}». Apruebe el documento antes de abrir su firma."
            ))
        };
        let documents = ServiceClient::new(&self.context, ServiceName::Documents)
            .max_body(self.settings.max_pdf_bytes + 1);
        // Whose document it is: the view the documents service shows.
        let view: DocumentSummary = documents
            .get_json(&format!("/internal/documents/{id}"), As::Internal)
            .await
            .map_err(|e| match e.status() {
                Some(404) => not_approved(),
                _ => e.into(),
            })?;
        let owner = view.secretariat_id.as_deref().unwrap_or_default();
        if owner != secretariat_id {
            return Err(ApiError::Forbidden(format!(
                "El documento «{id}» es del secretariado «{}», no de «{secretariat_id}»: solo se abre la firma de los documentos del propio secretariado. Revise el identificador del documento.",
                if owner.is_empty() { "(ninguno)" } else { owner }
            )));
        }
        if let Some(kind) = kind
            && view.kind != kind
        {
            return Err(ApiError::Unprocessable(format!(
                "El documento «{id}» es de tipo «{}», no «{kind}»: abra la firma con el tipo de registro del documento.",
                view.kind
            )));
        }
        let mut out = Vec::new();
        for part in ["pdf", "layout"] {
            let bytes = documents
                .get_bytes(&format!("/internal/documents/{id}/{part}"), As::Internal)
                .await
                .map_err(|e| match e {
                    CallError::TooLarge { .. } => ApiError::PayloadTooLarge(format!(
                        "El PDF del documento «{id}» excede lo que acepta el servicio de firma ({} bytes, signing.max_pdf_bytes).",
                        self.settings.max_pdf_bytes
                    )),
                    e if matches!(e.status(), Some(404 | 409 | 422)) => not_approved(),
                    e => e.into(),
                })?;
            self.check_size(bytes.len())?;
            out.push(bytes);
        }
        let layout = out.pop().unwrap_or_default();
        let pdf = out.pop().unwrap_or_default();
        if kind.is_some() {
            let session = view.session_id.as_deref().unwrap_or_default();
            if session.is_empty() {
                return Err(ApiError::Unprocessable(format!(
                    "El documento «{id}» no pertenece a ninguna sesión: un acta o minuta se firma solo si se redactó a partir de una sesión cerrada."
                )));
            }
            let manifest = LayoutManifest::from_json(&layout).map_err(pdf_error)?;
            let required = self.session_signers(session).await?;
            signers_match(&manifest, &required)?;
        }
        Ok((pdf, layout))
    }

    /// Who must sign the record of `session`, from the secretariat (its
    /// attendance when it closed and the member registry).
    pub(super) async fn session_signers(&self, session: &str) -> ApiResult<Vec<RequiredSigner>> {
        ServiceClient::new(&self.context, ServiceName::Secretariat)
            .get_json(&format!("/internal/sessions/{session}/signers"), As::Internal)
            .await
            .map_err(|e| match e.status() {
                Some(404 | 409) => ApiError::Unprocessable(format!(
                    "La sesión «{session}» del documento no existe o no se ha cerrado: un acta o minuta se firma cuando su sesión ya cerró."
                )),
                _ => e.into(),
            })
    }
}

/// The layout of an acta or minuta must name exactly the people the
/// session's attendance requires, each with their registered name and RFC
/// (issue 15, finding 1): a layout cannot add a signer, drop one, or give a
/// seat to somebody else.
pub(super) fn signers_match(layout: &LayoutManifest, required: &[RequiredSigner]) -> ApiResult<()> {
    let mut problems = Vec::new();
    for need in required {
        match layout
            .signers
            .iter()
            .find(|s| s.signer.id == need.member_id)
        {
            None => problems.push(format!("falta {} ({})", need.name, need.rfc)),
            Some(s) if !s.signer.rfc.eq_ignore_ascii_case(&need.rfc) => problems.push(format!(
                "{} figura con el RFC {} y el registro de integrantes dice {}",
                need.name, s.signer.rfc, need.rfc
            )),
            Some(s) if rubrica_rules::fold(&s.signer.name) != rubrica_rules::fold(&need.name) => {
                problems.push(format!(
                    "el firmante {} figura como «{}» y el registro de integrantes dice «{}»",
                    need.member_id, s.signer.name, need.name
                ))
            }
            Some(_) => {}
        }
    }
    for extra in layout
        .signers
        .iter()
        .filter(|s| !required.iter().any(|r| r.member_id == s.signer.id))
    {
        problems.push(format!(
            "{} ({}) figura como firmante pero no asistió como firmante a la sesión",
            extra.signer.name, extra.signer.rfc
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(format!(
            "Los firmantes del documento no son los que la asistencia de la sesión requiere: {}. Genere el documento de nuevo desde la sesión cerrada.",
            problems.join("; ")
        )))
    }
}
