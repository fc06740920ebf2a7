//! Ending a route early: a signer refuses (with a reason), the facilitator
//! or the President cancels.

use super::*;

impl Signing {
    /// `POST /routes/{id}/refuse`: the caller, a pending signer, refuses.
    pub async fn refuse(
        &self,
        caller: &Caller,
        id: &str,
        refusal: Refusal,
    ) -> ApiResult<RouteView> {
        if !caller.can_sign() {
            return Err(ApiError::Forbidden(
                "Para rechazar la firma inicie sesión con su e.firma (FIEL), como para firmar, por ejemplo con «rubrica login --server URL --cer su.cer --key su.key --password-file contraseña.txt»: un enlace por correo o un token de API no permiten rechazar.".into(),
            ));
        }
        let reason = refusal.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(ApiError::Unprocessable(
                "Escriba el motivo del rechazo (de 1 a 2000 caracteres): queda en la ruta y en el archivo.".into(),
            ));
        }
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        let signers = db::signers(&mut conn, id)
            .await
            .or_unexpected("leyendo los firmantes")?;
        drop(conn);
        let signer = caller_signer(caller, &signers).ok_or_else(|| {
            ApiError::Forbidden(
                "Usted no es firmante de esta ruta: solo quien debe firmar puede rechazar la firma.".into(),
            )
        })?;
        ensure_open(&route)?;
        match signer.status.as_str() {
            SIGNED => {
                return Err(ApiError::Conflict(
                    "Usted ya firmó esta acta: una firma no se retira con un rechazo. Si hay un error en el acta, pida al facilitador que cancele la ruta.".into(),
                ));
            }
            REFUSED => {
                return Err(ApiError::Conflict(
                    "Usted ya rechazó firmar esta acta; su motivo quedó registrado.".into(),
                ));
            }
            _ => {}
        }
        let recipients = Self::recipients(&route)?;
        let now = now_ms();
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        db::lock_route(&mut tx, id)
            .await
            .or_unexpected("bloqueando la ruta")?;
        if !db::mark_refused(&mut tx, id, &signer.signer_id, &reason, now)
            .await
            .or_unexpected("registrando el rechazo")?
        {
            return Err(ApiError::Conflict(
                "Su estado en la ruta cambió mientras tanto (firmó o rechazó). Consulte la ruta de nuevo.".into(),
            ));
        }
        let details = json!({ "firmante": signer.signer_id, "motivo": reason });
        self.record_act(
            &mut tx,
            caller,
            id,
            Act {
                history: "rechazada",
                audit: "ruta.rechazada",
                signer_id: Some(&signer.signer_id),
                certificate_number: None,
            },
            details,
            now,
        )
        .await?;
        let refused = RouteRefused {
            secretariat: recipients.secretariat.clone(),
            route: self.route_info(&route),
            member: Recipient {
                member_id: Some(signer.signer_id.clone()),
                name: signer.name.clone(),
                email: signer.email.clone(),
            },
            reason,
            facilitators: recipients.facilitators.clone(),
        };
        self.publish_and_commit(
            tx,
            events::ROUTE_REFUSED,
            &refused,
            "confirmando el rechazo",
        )
        .await?;
        self.get(caller, id).await
    }

    /// `POST /routes/{id}/cancel`: the facilitator (or the President) cancels
    /// an open route. Nothing is deleted.
    pub async fn cancel(
        &self,
        caller: &Caller,
        id: &str,
        cancellation: Cancellation,
    ) -> ApiResult<RouteView> {
        let reason = cancellation
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
            return Err(ApiError::Unprocessable(
                "El motivo de la cancelación excede 2000 caracteres: abrévielo.".into(),
            ));
        }
        let mut conn = self.conn().await?;
        let route = self.visible_route(&mut conn, caller, id).await?;
        drop(conn);
        ensure_open(&route)?;
        let now = now_ms();
        let mut tx = self
            .context
            .begin()
            .await
            .or_unexpected("abriendo transacción")?;
        if !db::close_route(&mut tx, id, CANCELLED, None, reason.as_deref(), now)
            .await
            .or_unexpected("cancelando la ruta")?
        {
            return Err(ApiError::Conflict(
                "La ruta ya no está abierta (se completó o se canceló mientras tanto). Consulte su estado.".into(),
            ));
        }
        let details = json!({ "motivo": reason });
        self.record_act(
            &mut tx,
            caller,
            id,
            Act {
                history: "cancelada",
                audit: "ruta.cancelada",
                signer_id: None,
                certificate_number: None,
            },
            details,
            now,
        )
        .await?;
        let cancelled = RouteCancelled {
            route_id: id.to_string(),
            reason,
        };
        self.publish_and_commit(
            tx,
            events::ROUTE_CANCELLED,
            &cancelled,
            "confirmando la cancelación",
        )
        .await?;
        self.get(caller, id).await
    }
}
