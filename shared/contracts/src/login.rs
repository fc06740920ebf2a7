//! The text a member signs to log in with their FIEL (issue 15, finding 7).
//!
//! A bare random nonce could be anything: a client that signs whatever a
//! server sends can be made to sign for another server (a relay) or to sign
//! bytes meant for something else. The challenge is therefore a short text,
//! **domain-separated** by its first line (it can never be a PDF signature's
//! DER attributes nor another protocol's message), **bound to the server's
//! origin** (the address members reach it at) and **to a time**. Clients
//! check the origin against the server they connected to, and the times
//! against their own clock, before signing; the server compares the whole
//! text with the one it issued.

/// The first line: what the signature is for.
pub const PURPOSE: &str = "Rúbrica: inicio de sesión con e.firma";

/// How far a client's clock may differ from the server's.
pub const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// A login challenge, as issued and as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginChallenge {
    /// `scheme://host[:port]` of the server, from its configuration.
    pub origin: String,
    /// When it was issued (epoch ms).
    pub issued_at: i64,
    /// Until when it may be used (epoch ms).
    pub expires_at: i64,
    /// The random, one-time part.
    pub nonce: String,
}

impl LoginChallenge {
    /// The exact text to sign (its UTF-8 bytes).
    pub fn to_text(&self) -> String {
        format!(
            "{PURPOSE}\nservidor: {}\nemitido: {}\nvence: {}\nreto: {}\n",
            self.origin, self.issued_at, self.expires_at, self.nonce
        )
    }

    /// Reads a challenge text; `None` if it is not one.
    pub fn parse(text: &str) -> Option<LoginChallenge> {
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != PURPOSE {
            return None;
        }
        let mut field = |name: &str| lines.next()?.strip_prefix(name).map(str::to_string);
        let origin = field("servidor: ")?;
        let issued_at = field("emitido: ")?.parse().ok()?;
        let expires_at = field("vence: ")?.parse().ok()?;
        let nonce = field("reto: ")?;
        if lines.next().is_some() {
            return None;
        }
        Some(LoginChallenge {
            origin,
            issued_at,
            expires_at,
            nonce,
        })
    }

    /// What a client checks before signing: the text is a login challenge,
    /// for the server at `origin`, and current by the client's clock `now`
    /// (epoch ms). The error says, in Spanish, why it will not sign.
    pub fn check(text: &str, origin: &str, now: i64) -> Result<LoginChallenge, String> {
        let challenge = LoginChallenge::parse(text).ok_or_else(|| {
            "El servidor envió algo que no es un reto de inicio de sesión de Rúbrica: no se firmó nada. Verifique la dirección del servidor.".to_string()
        })?;
        if challenge.origin != origin {
            return Err(format!(
                "El reto es para el servidor «{}», pero usted se conectó a «{origin}»: no se firmó nada. Use la dirección pública del servidor; si la escribió bien, alguien podría estar interceptando la conexión.",
                challenge.origin
            ));
        }
        if challenge.issued_at > now + CLOCK_SKEW_MS || challenge.expires_at < now - CLOCK_SKEW_MS {
            return Err(
                "El reto no es de este momento (o el reloj de su equipo está desajustado): no se firmó nada. Ajuste la hora de su equipo e intente de nuevo.".to_string(),
            );
        }
        Ok(challenge)
    }
}

/// The origin (`scheme://host[:port]`, lower-case scheme and host, default
/// ports omitted) of a URL; `None` if it has none.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_string(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// Whether a URL may be used for logging in and signing: `https://`, or
/// `http://` to this machine only (a FIEL session must not cross a network
/// in clear).
pub fn transport_allowed(url: &str) -> bool {
    let Some(origin) = origin_of(url) else {
        return false;
    };
    if origin.starts_with("https://") {
        return true;
    }
    let Some(host_port) = origin.strip_prefix("http://") else {
        return false;
    };
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LoginChallenge {
        LoginChallenge {
            origin: "https://rubrica.itei.org.mx".into(),
            issued_at: 1_000_000,
            expires_at: 1_300_000,
            nonce: "rubrica-reto-abc".into(),
        }
    }

    #[test]
    fn a_challenge_reads_back_as_written() {
        let text = sample().to_text();
        assert!(text.starts_with(PURPOSE));
        assert_eq!(LoginChallenge::parse(&text), Some(sample()));
    }

    #[test]
    fn a_client_refuses_another_server_a_stale_challenge_or_a_bare_nonce() {
        let text = sample().to_text();
        assert!(LoginChallenge::check(&text, "https://rubrica.itei.org.mx", 1_100_000).is_ok());
        let relay = LoginChallenge::check(&text, "https://rubrica-falsa.mx", 1_100_000);
        assert!(relay.unwrap_err().contains("rubrica-falsa.mx"));
        let stale = LoginChallenge::check(
            &text,
            "https://rubrica.itei.org.mx",
            1_300_000 + CLOCK_SKEW_MS + 1,
        );
        assert!(stale.unwrap_err().contains("no es de este momento"));
        let early = LoginChallenge::check(
            &text,
            "https://rubrica.itei.org.mx",
            1_000_000 - CLOCK_SKEW_MS - 1,
        );
        assert!(early.is_err());
        assert!(
            LoginChallenge::check("rubrica-reto-abc", "https://rubrica.itei.org.mx", 1_100_000)
                .is_err()
        );
        let extra = format!("{text}otra: línea\n");
        assert!(LoginChallenge::parse(&extra).is_none());
    }

    #[test]
    fn origins_are_normalised_and_clear_http_is_only_for_this_machine() {
        assert_eq!(
            origin_of("HTTPS://Rubrica.mx:443/secretariat").as_deref(),
            Some("https://rubrica.mx")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/secretariat").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("sin-esquema"), None);
        assert!(transport_allowed("https://rubrica.mx"));
        assert!(transport_allowed("http://127.0.0.1:8080"));
        assert!(transport_allowed("http://localhost:8080/secretariat"));
        assert!(transport_allowed("http://[::1]:8080"));
        assert!(!transport_allowed("http://rubrica.mx"));
        assert!(!transport_allowed("http://10.0.0.5:8080"));
        assert!(!transport_allowed("ftp://127.0.0.1"));
    }
}
