//! The messages' words: minijinja templates in `templates/mail/`, compiled
//! into the binary (the service runs anywhere without the repository).
//!
//! Each kind of message has a text template `<kind>.txt`, which also sets
//! the subject (`{% set subject = … %}`), and an HTML alternative
//! `<kind>.html` extending `base.html` (HTML-escaped automatically). Both
//! receive the same context, built by the handlers from the event.

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::model::{MessageKind, Rendered};

/// Every template, by name.
const SOURCES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../../templates/mail/base.html"),
    ),
    (
        "convocatoria.txt",
        include_str!("../../../templates/mail/convocatoria.txt"),
    ),
    (
        "convocatoria.html",
        include_str!("../../../templates/mail/convocatoria.html"),
    ),
    (
        "sesion_actualizada.txt",
        include_str!("../../../templates/mail/sesion_actualizada.txt"),
    ),
    (
        "sesion_actualizada.html",
        include_str!("../../../templates/mail/sesion_actualizada.html"),
    ),
    (
        "sesion_cancelada.txt",
        include_str!("../../../templates/mail/sesion_cancelada.txt"),
    ),
    (
        "sesion_cancelada.html",
        include_str!("../../../templates/mail/sesion_cancelada.html"),
    ),
    (
        "invitacion_firma.txt",
        include_str!("../../../templates/mail/invitacion_firma.txt"),
    ),
    (
        "invitacion_firma.html",
        include_str!("../../../templates/mail/invitacion_firma.html"),
    ),
    (
        "recordatorio_firma.txt",
        include_str!("../../../templates/mail/recordatorio_firma.txt"),
    ),
    (
        "recordatorio_firma.html",
        include_str!("../../../templates/mail/recordatorio_firma.html"),
    ),
    (
        "aviso_rechazo.txt",
        include_str!("../../../templates/mail/aviso_rechazo.txt"),
    ),
    (
        "aviso_rechazo.html",
        include_str!("../../../templates/mail/aviso_rechazo.html"),
    ),
    (
        "copia_firmada.txt",
        include_str!("../../../templates/mail/copia_firmada.txt"),
    ),
    (
        "copia_firmada.html",
        include_str!("../../../templates/mail/copia_firmada.html"),
    ),
    (
        "fin_de_periodo.txt",
        include_str!("../../../templates/mail/fin_de_periodo.txt"),
    ),
    (
        "fin_de_periodo.html",
        include_str!("../../../templates/mail/fin_de_periodo.html"),
    ),
    (
        "enlace_acceso.txt",
        include_str!("../../../templates/mail/enlace_acceso.txt"),
    ),
    (
        "enlace_acceso.html",
        include_str!("../../../templates/mail/enlace_acceso.html"),
    ),
    (
        "aviso_sin_correo.txt",
        include_str!("../../../templates/mail/aviso_sin_correo.txt"),
    ),
    (
        "aviso_sin_correo.html",
        include_str!("../../../templates/mail/aviso_sin_correo.html"),
    ),
    (
        "acuse_publico.txt",
        include_str!("../../../templates/mail/acuse_publico.txt"),
    ),
    (
        "acuse_publico.html",
        include_str!("../../../templates/mail/acuse_publico.html"),
    ),
];

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
    /// Templates that did not compile (a bug in `templates/mail/`): the
    /// messages that need them are refused with this reason.
    broken: Vec<String>,
}

impl Templates {
    /// Compiles every template.
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        let mut syntax = minijinja::syntax::SyntaxConfig::builder();
        syntax.trim_blocks(true).lstrip_blocks(true);
        if let Ok(syntax) = syntax.build() {
            env.set_syntax(syntax);
        }
        let mut broken = Vec::new();
        for (name, source) in SOURCES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "plantilla de correo inválida");
                broken.push(format!("{name}: {e}"));
            }
        }
        Templates { env, broken }
    }

    /// Renders the subject, text and HTML of `kind` with `context`.
    pub fn render(&self, kind: MessageKind, context: &impl Serialize) -> Result<Rendered, String> {
        let name = kind.as_str();
        let failed = |e: minijinja::Error| {
            format!("la plantilla de correo «{name}» no se pudo aplicar: {e}")
        };
        if let Some(broken) = self.broken.iter().find(|b| b.starts_with(name)) {
            return Err(format!("la plantilla de correo {broken} no es válida"));
        }
        let text = self
            .env
            .get_template(&format!("{name}.txt"))
            .map_err(failed)?;
        let captured = text.render_captured(Serde(context)).map_err(failed)?;
        let subject = captured
            .state()
            .lookup("subject")
            .map(|s| s.to_string())
            .unwrap_or_default();
        let text = captured.into_output();
        let html = self
            .env
            .get_template(&format!("{name}.html"))
            .and_then(|t| t.render(Serde(context)))
            .map_err(failed)?;
        // A subject is one line: whatever the data holds.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(format!(
                "la plantilla de correo «{name}.txt» no define el asunto"
            ));
        }
        Ok(Rendered {
            subject,
            text: format!("{}\n", text.trim_end()),
            html,
        })
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}
