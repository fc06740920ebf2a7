//! `rubrica demo`: a whole session of a Jalisco STL, from its convocatoria
//! to a signed, mailed and archived acta, through the services' real HTTP
//! APIs — no shortcut into any database.
//!
//! The demo starts the embedded suite itself (or talks to one already
//! running with `--server`, started with the demo's trust anchors), on an
//! empty data folder. Its e.firmas are the clearly marked demo credentials
//! of `templates/demo/pki/` (a demo CA) plus SAT's public test FIEL
//! `EKU9003173C9`, registered as the business seat's titular and trusted by
//! pinning (SAT's test root is not published where we can reach it).
//!
//! Steps: secretariat from the Jalisco preset (9 seats) with its members;
//! a convocatoria that meets the 5-business-day rule (000 V.6); a session
//! with 7 seats represented (one by its suplente) and the facilitator;
//! agenda approval; three motions — consensus, a tie decided by the
//! President's casting vote, and a majority rejected for lacking a
//! civil-society vote (000 VI); closing; the documents service renders the
//! acta from `session.closed`; the facilitator approves it and opens the
//! signing route; each of the 7 attendees signs through the two-step remote
//! API as a separate client; the archive verifies and archives it and the
//! mail service sends every member the signed copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica_fiel::Credential;
use rubrica_platform::launch::Suite;
use rubrica_platform::{ServiceName, Settings};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub mod evidence;
pub mod handover;
pub mod project;

/// The demo credentials, built into the binary so the demo needs no files
/// beside it: `(file name, bytes)`.
const PKI: &[(&str, &[u8])] = &[
    (
        "presidencia.cer",
        include_bytes!("../../templates/demo/pki/presidencia.cer"),
    ),
    (
        "presidencia.key",
        include_bytes!("../../templates/demo/pki/presidencia.key"),
    ),
    (
        "ejecutivo.cer",
        include_bytes!("../../templates/demo/pki/ejecutivo.cer"),
    ),
    (
        "ejecutivo.key",
        include_bytes!("../../templates/demo/pki/ejecutivo.key"),
    ),
    (
        "judicial.cer",
        include_bytes!("../../templates/demo/pki/judicial.cer"),
    ),
    (
        "judicial.key",
        include_bytes!("../../templates/demo/pki/judicial.key"),
    ),
    (
        "legislativo.cer",
        include_bytes!("../../templates/demo/pki/legislativo.cer"),
    ),
    (
        "legislativo.key",
        include_bytes!("../../templates/demo/pki/legislativo.key"),
    ),
    (
        "legislativo-suplente.cer",
        include_bytes!("../../templates/demo/pki/legislativo-suplente.cer"),
    ),
    (
        "legislativo-suplente.key",
        include_bytes!("../../templates/demo/pki/legislativo-suplente.key"),
    ),
    (
        "ayuntamiento.cer",
        include_bytes!("../../templates/demo/pki/ayuntamiento.cer"),
    ),
    (
        "ayuntamiento.key",
        include_bytes!("../../templates/demo/pki/ayuntamiento.key"),
    ),
    (
        "academia.cer",
        include_bytes!("../../templates/demo/pki/academia.cer"),
    ),
    (
        "academia.key",
        include_bytes!("../../templates/demo/pki/academia.key"),
    ),
    (
        "sociedad-civil.cer",
        include_bytes!("../../templates/demo/pki/sociedad-civil.cer"),
    ),
    (
        "sociedad-civil.key",
        include_bytes!("../../templates/demo/pki/sociedad-civil.key"),
    ),
    (
        "comunidad-tecnologica.cer",
        include_bytes!("../../templates/demo/pki/comunidad-tecnologica.cer"),
    ),
    (
        "comunidad-tecnologica.key",
        include_bytes!("../../templates/demo/pki/comunidad-tecnologica.key"),
    ),
    (
        "facilitacion.cer",
        include_bytes!("../../templates/demo/pki/facilitacion.cer"),
    ),
    (
        "facilitacion.key",
        include_bytes!("../../templates/demo/pki/facilitacion.key"),
    ),
    (
        "empresarial.cer",
        include_bytes!("../../templates/demo/pki/sat/EKU9003173C9.cer"),
    ),
    (
        "empresarial.key",
        include_bytes!("../../templates/demo/pki/sat/EKU9003173C9.key"),
    ),
];
const DEMO_CA: &[u8] = include_bytes!("../../templates/demo/pki/ca/demo-ca.cer");
const SAT_FIEL: &[u8] = include_bytes!("../../templates/demo/pki/sat/EKU9003173C9.cer");
/// The password of every demo credential (`templates/demo/pki/password.txt`).
const PASSWORD: &str = "12345678a";

/// A person of the demo secretariat.
struct Person {
    /// Credential file stem and e-mail user.
    key: &'static str,
    name: &'static str,
    rfc: &'static str,
    /// `titular`, `suplente` or `facilitador`.
    post: &'static str,
    seat: Option<&'static str>,
    /// Attends the session.
    attends: bool,
}

const PEOPLE: &[Person] = &[
    Person {
        key: "presidencia",
        name: "LAURA ESTELA MÉNDEZ ROJAS",
        rfc: "MERL780312QW1",
        post: "titular",
        seat: Some("organo_garante"),
        attends: true,
    },
    Person {
        key: "ejecutivo",
        name: "CARLOS ALBERTO RUIZ PEÑA",
        rfc: "RUPC700101AB2",
        post: "titular",
        seat: Some("ejecutivo"),
        attends: true,
    },
    Person {
        key: "judicial",
        name: "PATRICIA GÓMEZ LUNA",
        rfc: "GOLP820505CD3",
        post: "titular",
        seat: Some("judicial"),
        attends: true,
    },
    Person {
        key: "legislativo",
        name: "RAÚL HERNÁNDEZ SOTO",
        rfc: "HESR690909EF4",
        post: "titular",
        seat: Some("legislativo"),
        attends: false,
    },
    Person {
        key: "legislativo-suplente",
        name: "DIANA FLORES ÁVILA",
        rfc: "FOAD880707GH5",
        post: "suplente",
        seat: Some("legislativo"),
        attends: true,
    },
    Person {
        key: "ayuntamiento",
        name: "JORGE IBARRA CASTRO",
        rfc: "IACJ750202JK6",
        post: "titular",
        seat: Some("ayuntamiento"),
        attends: false,
    },
    Person {
        key: "academia",
        name: "SOFÍA NAVARRO PAZ",
        rfc: "NAPS850808LM7",
        post: "titular",
        seat: Some("academia"),
        attends: true,
    },
    // SAT's public test FIEL (a legal entity; matched by the holder's RFC).
    Person {
        key: "empresarial",
        name: "ESCUELA KEMPER URGATE",
        rfc: "EKU9003173C9",
        post: "titular",
        seat: Some("empresarial"),
        attends: true,
    },
    Person {
        key: "sociedad-civil",
        name: "MIGUEL ÁNGEL TORRES VEGA",
        rfc: "TOVM800404NP8",
        post: "titular",
        seat: Some("sociedad_civil"),
        attends: false,
    },
    Person {
        key: "comunidad-tecnologica",
        name: "ANA LUCÍA ORTIZ RAMOS",
        rfc: "OIRA920606QR9",
        post: "titular",
        seat: Some("comunidad_tecnologica"),
        attends: true,
    },
    Person {
        key: "facilitacion",
        name: "ERNESTO SALAZAR MORA",
        rfc: "SAME770303ST1",
        post: "facilitador",
        seat: None,
        attends: true,
    },
];

/// A motion of the demo: its text, its agenda item, and each seat's vote.
type Motion = (&'static str, u32, &'static [(&'static str, &'static str)]);

/// What the demo was asked to do.
pub struct DemoOptions {
    /// Empty folder for the suite's data (embedded mode).
    pub data_dir: PathBuf,
    /// Port of the embedded suite (0: any free one).
    pub port: u16,
    /// Stop the suite when done instead of serving until Ctrl-C.
    pub exit_when_done: bool,
    /// Stop once the signing route is open, before anyone signs, and keep
    /// serving: the members sign in the browser (the web platform's tests).
    pub stop_at_route: bool,
}

/// What the demo produced, for tests and the closing summary.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    pub base_url: String,
    pub secretariat_id: String,
    pub session_id: String,
    pub document_id: String,
    pub route_id: String,
    pub signed_pdf: PathBuf,
    pub report_path: PathBuf,
    pub sha256: String,
    pub record_url: String,
    pub outbox: PathBuf,
    pub messages: usize,
}

/// Writes the demo credentials and trust anchors under `dir`; returns the
/// trust folder (demo CA, and SAT's test FIEL pinned in `fijados/`).
pub fn install_pki(dir: &Path) -> anyhow::Result<PathBuf> {
    let pki = dir.join("demo-pki");
    let anchors = pki.join("anclas");
    let pinned = anchors.join(rubrica_fiel::trust::PINNED_SUBFOLDER);
    std::fs::create_dir_all(&pinned).with_context(|| format!("creando {}", pinned.display()))?;
    for (name, bytes) in PKI {
        std::fs::write(pki.join(name), bytes).with_context(|| format!("escribiendo {name}"))?;
    }
    std::fs::write(pki.join("password.txt"), PASSWORD)?;
    std::fs::write(anchors.join("demo-ca.cer"), DEMO_CA)?;
    std::fs::write(pinned.join("EKU9003173C9.cer"), SAT_FIEL)?;
    Ok(anchors)
}

/// The settings of the embedded demo suite on `data_dir`.
pub fn demo_settings(data_dir: &Path, anchors: PathBuf, port: u16) -> Settings {
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        ..Settings::default()
    };
    settings.http.port = port;
    settings.auth.trust_anchors_dir = Some(anchors);
    // The demo pins SAT's public test FIEL: a demonstration, said loudly.
    settings.auth.demo_trust = true;
    // The demo CA publishes no CRL: revocation is NOT checked in the demo,
    // and every report says so («no se verificó la revocación»).
    settings.auth.revocation_required = false;
    settings.auth.operator_token = Some(format!("demo-{}", uuid::Uuid::new_v4().simple()).into());
    settings.relay.poll_interval_ms = 200;
    settings.edit::<rubrica_signing::settings::SigningSettings>(|s| {
        s.location = Some("Guadalajara, Jalisco".into())
    });
    settings
}

/// The demo's operator token, for the operator's console at `/operador`:
/// in `<data-dir>/operator-token.txt`, readable by its owner only (never
/// printed). It lives as long as this demo's data.
fn write_operator_token(dir: &Path, token: &str) -> anyhow::Result<()> {
    let path = dir.join("operator-token.txt");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .with_context(|| format!("creando {}", path.display()))?;
    std::io::Write::write_all(&mut file, token.as_bytes())
        .with_context(|| format!("escribiendo {}", path.display()))
}

/// Runs `rubrica demo`; returns the process exit code.
pub async fn run(options: DemoOptions) -> u8 {
    match run_embedded(options).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: la demostración se detuvo: {e:#}");
            1
        }
    }
}

async fn run_embedded(options: DemoOptions) -> anyhow::Result<()> {
    let dir = &options.data_dir;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        bail!(
            "la carpeta de datos {} no está vacía. La demostración necesita una carpeta vacía: use --data-dir con otra, o borre esa",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creando {}", dir.display()))?;
    let anchors = install_pki(dir)?;
    let mut settings = demo_settings(dir, anchors, options.port);
    crate::trust_local_front(&mut settings);
    let operator = settings
        .auth
        .operator_token
        .as_ref()
        .map(|s| s.expose().to_string())
        .unwrap_or_default();
    write_operator_token(dir, &operator)?;
    let address = format!("{}:{}", settings.http.host, settings.http.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| {
            format!("no se pudo escuchar en {address}; elija otro puerto con --port")
        })?;
    let local = listener.local_addr()?;
    let suite = Suite::assemble(&crate::all_specs(), &ServiceName::ALL, settings, local).await?;
    let suite = crate::with_web(suite)?;
    let stop = CancellationToken::new();
    let server = tokio::spawn(suite.serve(listener, stop.clone()));
    let base = format!("http://{local}");
    outln!(
        "Rúbrica (demostración) escuchando en {base}; datos en {}",
        dir.display()
    );

    let target = DemoTarget::embedded(&base, &operator, dir);
    if options.stop_at_route {
        let outcome = walk(&target, &|_| {}, true).await;
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                stop.cancel();
                let _ = server.await;
                return Err(e);
            }
        };
        outln!("\nRuta de firma abierta: {}", outcome.route_id);
        outln!(
            "Abra {base}/ y entre con la e.firma de un integrante (archivos y contraseña en {}).",
            dir.join("demo-pki").display()
        );
        outln!(
            "Ruta abierta para firmar en el navegador: {base}/firmar/{}",
            outcome.route_id
        );
        rubrica_platform::launch::shutdown_on_signal(stop.clone()).await;
        server.await.context("el servidor terminó con error")??;
        return Ok(());
    }
    let outcome = match walk_through(&target, &|_| {}).await {
        Ok(done) => match handover::hand_over(&target, &done).await {
            Ok(handed) => match project::invited_project(&target, &done).await {
                Ok(()) => evidence::session_evidence(&target, &done, &handed.president_token)
                    .await
                    .map(|_| (done, handed)),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match &outcome {
        Ok((done, handed)) => summary(done, handed),
        Err(_) => stop.cancel(),
    }
    let (outcome, _) = outcome?;
    if options.exit_when_done {
        stop.cancel();
    } else {
        outln!(
            "\nEl servidor sigue en {} para que consulte lo anterior; Ctrl-C para detenerlo.",
            outcome.base_url
        );
        rubrica_platform::launch::shutdown_on_signal(stop.clone()).await;
    }
    server.await.context("el servidor terminó con error")??;
    Ok(())
}

fn summary(done: &DemoOutcome, handed: &handover::HandoverOutcome) {
    outln!("\nListo. Dónde mirar:");
    outln!("  Acta firmada:            {}", done.signed_pdf.display());
    outln!("  Informe de verificación: {}", done.report_path.display());
    outln!(
        "  Correos enviados:        {} ({} mensajes .eml)",
        done.outbox.display(),
        done.messages
    );
    outln!("  Registro público:        {}", done.record_url);
    outln!(
        "  Verificarlo usted mismo: rubrica verify {} --trust {}",
        done.signed_pdf.display(),
        done.signed_pdf
            .parent()
            .and_then(Path::parent)
            .map(|p| p.join("demo-pki/anclas"))
            .unwrap_or_default()
            .display()
    );
    outln!(
        "  Registro de transparencia: {}/archive/log/head",
        done.base_url
    );
    outln!(
        "  Entrega-recepción {}:  {} (BagIt en ZIP) y {}",
        handed.folio,
        handed.package.display(),
        handed.inventory_pdf.display()
    );
    outln!(
        "  Proyecto de la persona invitada, con su informe de avance: {}/stl (sección Compromisos)",
        done.base_url
    );
    outln!(
        "  Evidencia de la sesión (imagen con su texto alternativo): {}/stl (Sesiones y actas)",
        done.base_url
    );
}

/// `println!` unless the target is quiet.
macro_rules! say {
    ($target:expr, $($arg:tt)*) => {
        if !$target.quiet {
            outln!($($arg)*);
        }
    };
}

/// A client of one service with a bearer token; errors say what was asked.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_default(),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let url = format!("{}{path}", self.base);
        let mut request = self.client.request(method.clone(), &url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = response.status();
        let value = response.json().await.unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// A call that must succeed.
    pub async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method.clone(), path, token, body).await?;
        if !status.is_success() {
            let detail = value["detail"].as_str().unwrap_or("sin detalle");
            bail!("{method} {}{path} respondió {status}: {detail}", self.base);
        }
        Ok(value)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.ok(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<Value> {
        self.ok(reqwest::Method::GET, path, token, None).await
    }
}

fn step(n: u32, text: &str) {
    outln!("\n{n}. {text}");
}

fn credential(dir: &Path, key: &str) -> anyhow::Result<Credential> {
    let pki = dir.join("demo-pki");
    Credential::from_files(
        pki.join(format!("{key}.cer")),
        pki.join(format!("{key}.key")),
        PASSWORD,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// FIEL login (challenge signed locally) → a session token that may sign.
pub async fn fiel_login(
    secretariat: &Api,
    credential: &Credential,
    secretariat_id: &str,
) -> anyhow::Result<String> {
    let challenge = secretariat
        .ok(
            reqwest::Method::POST,
            "/auth/challenge",
            None,
            Some(json!({})),
        )
        .await?;
    let (nonce, signature) =
        super::login::sign_challenge(credential, &secretariat.base, &challenge)
            .map_err(anyhow::Error::msg)?;
    let granted = secretariat
        .ok(
            reqwest::Method::POST,
            "/auth/fiel",
            None,
            Some(json!({
                "nonce": nonce,
                "certificate": BASE64.encode(credential.certificate().der()),
                "signature": BASE64.encode(signature),
                "secretariat_id": secretariat_id,
            })),
        )
        .await?;
    Ok(granted["token"]
        .as_str()
        .context("el servidor no envió un token")?
        .to_string())
}

/// The next weekday `days` calendar days after today (the demo secretariat's
/// default offset, central Mexico).
fn date_after(days: i64) -> time::Date {
    let today = rubrica_rules::local_time::local_date(
        time::OffsetDateTime::now_utc(),
        rubrica_rules::local_time::DEFAULT_UTC_OFFSET_MINUTES,
    );
    let mut date = today + time::Duration::days(days);
    while matches!(
        date.weekday(),
        time::Weekday::Saturday | time::Weekday::Sunday
    ) {
        date += time::Duration::days(1);
    }
    date
}

fn iso(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Where the demo finds each service, and where it works.
#[derive(Debug, Clone)]
pub struct DemoTarget {
    /// Base URL of each service, with its prefix (`http://…/secretariat`).
    pub secretariat: String,
    pub documents: String,
    pub signing: String,
    pub mail: String,
    pub archive: String,
    /// The operator's token (creates the secretariat and its members).
    pub operator: String,
    /// Where the demo credentials are (`install_pki`) and its results go.
    pub dir: PathBuf,
    /// The mail service's outbox folder.
    pub outbox: PathBuf,
    /// Print nothing (benchmarks run many flows at once).
    pub quiet: bool,
}

impl DemoTarget {
    /// The embedded suite at `base`, with its data in `dir`.
    pub fn embedded(base: &str, operator: &str, dir: &Path) -> DemoTarget {
        let url = |s: ServiceName| format!("{}/{s}", base.trim_end_matches('/'));
        DemoTarget {
            secretariat: url(ServiceName::Secretariat),
            documents: url(ServiceName::Documents),
            signing: url(ServiceName::Signing),
            mail: url(ServiceName::Mail),
            archive: url(ServiceName::Archive),
            operator: operator.to_string(),
            dir: dir.to_path_buf(),
            outbox: dir.join("mail").join("outbox"),
            quiet: false,
        }
    }
}

/// The whole flow against `target`. `at_step` is called before each step
/// with its number (the end-to-end tests kill and restart a service there).
pub async fn walk_through(
    target: &DemoTarget,
    at_step: &(dyn Fn(u32) + Sync),
) -> anyhow::Result<DemoOutcome> {
    walk(target, at_step, false).await
}

/// [`walk_through`], or up to the open signing route when `stop_at_route`
/// (then the outcome has the route and nothing signed, mailed or archived).
pub async fn walk(
    target: &DemoTarget,
    at_step: &(dyn Fn(u32) + Sync),
    stop_at_route: bool,
) -> anyhow::Result<DemoOutcome> {
    let started = Instant::now();
    let dir = target.dir.as_path();
    let operator = target.operator.as_str();
    let secretariat = Api::new(&target.secretariat);
    let documents = Api::new(&target.documents);
    let signing = Api::new(&target.signing);
    let archive = Api::new(&target.archive);
    let step = |n: u32, text: &str| {
        at_step(n);
        if !target.quiet {
            step(n, text);
        }
    };

    step(
        1,
        "Secretariado Técnico Local de Jalisco (preajuste «jalisco», 9 asientos) y sus integrantes",
    );
    let created = secretariat
        .post("/secretariats", operator, json!({ "preset": "jalisco" }))
        .await?;
    let stl = created["id"]
        .as_str()
        .context("el secretariado no tiene id")?
        .to_string();
    let stl_name = created["name"]
        .as_str()
        .unwrap_or("Secretariado Técnico Local")
        .to_string();
    let mut member_ids = Vec::new();
    for person in PEOPLE {
        let member = secretariat
            .post(
                &format!("/secretariats/{stl}/members"),
                operator,
                json!({ "name": person.name, "rfc": person.rfc, "email": format!("{}@stl-demo.example.mx", person.key) }),
            )
            .await?;
        let id = member["id"]
            .as_str()
            .context("integrante sin id")?
            .to_string();
        secretariat
            .post(
                &format!("/secretariats/{stl}/designations"),
                operator,
                json!({ "member_id": id, "role": person.post, "seat": person.seat, "starts_on": "2026-01-15" }),
            )
            .await?;
        say!(
            target,
            "   {:<28} {:<12} {}",
            person.name,
            person.post,
            person.seat.unwrap_or("—")
        );
        member_ids.push(id);
    }
    let member_id = |key: &str| -> String {
        PEOPLE
            .iter()
            .position(|p| p.key == key)
            .map(|i| member_ids[i].clone())
            .unwrap_or_default()
    };

    step(
        2,
        "La Presidencia y el facilitador inician sesión con su e.firma (reto firmado en su equipo)",
    );
    let president = fiel_login(&secretariat, &credential(dir, "presidencia")?, &stl).await?;
    let facilitator = fiel_login(&secretariat, &credential(dir, "facilitacion")?, &stl).await?;
    say!(target, "   sesiones obtenidas: Presidencia y facilitador");

    step(
        3,
        "Convocatoria con su orden del día, al menos 5 días hábiles antes (000 V.6)",
    );
    let today = date_after(0);
    let session_date = date_after(14);
    let created = secretariat
        .post(
            &format!("/secretariats/{stl}/sessions"),
            &facilitator,
            json!({
                "kind": "ordinaria",
                "date": iso(session_date),
                "time": "10:00",
                "place": "Sala de Pleno del ITEI, Guadalajara, Jalisco",
                "agenda": [
                    { "title": "Lista de asistencia y declaración de quórum" },
                    { "title": "Calendario de sesiones ordinarias de 2027" },
                    { "title": "Metodología de seguimiento de compromisos del Plan de Acción Local" },
                    { "title": "Publicación semanal de datos de compras municipales" }
                ],
            }),
        )
        .await?;
    let session = created["session"]["id"]
        .as_str()
        .context("la sesión no tiene id")?
        .to_string();
    let issued = secretariat
        .post(
            &format!("/sessions/{session}/convocatoria"),
            &facilitator,
            json!({ "issued_on": iso(today) }),
        )
        .await?;
    say!(
        target,
        "   sesión del {} convocada el {}: {}",
        iso(session_date),
        iso(today),
        issued["convocatoria"]["notice"]["explanation"]
            .as_str()
            .unwrap_or("cumple el aviso")
    );

    step(
        4,
        "Asistencia: 7 asientos representados (Legislativo por su suplente) y el facilitador",
    );
    for person in PEOPLE.iter().filter(|p| p.attends) {
        secretariat
            .post(
                &format!("/sessions/{session}/attendance"),
                &facilitator,
                json!({ "member_id": member_id(person.key), "event": "llegada" }),
            )
            .await?;
    }
    let opened = secretariat
        .post(&format!("/sessions/{session}/open"), &president, json!({}))
        .await?;
    say!(
        target,
        "   {}",
        opened["quorum"]["at_opening"]["explanation"]
            .as_str()
            .unwrap_or("sesión abierta con quórum")
    );
    let represented: Vec<&str> = PEOPLE
        .iter()
        .filter(|p| p.attends)
        .filter_map(|p| p.seat)
        .collect();
    let approval = secretariat
        .post(
            &format!("/sessions/{session}/agenda-approval"),
            &facilitator,
            json!({ "votes": represented.iter().map(|s| json!({ "seat": s, "vote": "favor" })).collect::<Vec<_>>() }),
        )
        .await?;
    say!(
        target,
        "   orden del día: {}",
        approval["finding"]["explanation"]
            .as_str()
            .unwrap_or("aprobado")
    );

    step(5, "Tres votaciones (000 VI)");
    let motions: [Motion; 3] = [
        (
            "Aprobar el calendario de sesiones ordinarias de 2027",
            2,
            &[
                ("organo_garante", "favor"),
                ("ejecutivo", "favor"),
                ("judicial", "favor"),
                ("legislativo", "favor"),
                ("academia", "favor"),
                ("empresarial", "favor"),
                ("comunidad_tecnologica", "favor"),
            ],
        ),
        (
            "Adoptar la metodología de seguimiento de compromisos",
            3,
            &[
                ("organo_garante", "favor"),
                ("academia", "favor"),
                ("comunidad_tecnologica", "favor"),
                ("ejecutivo", "contra"),
                ("judicial", "contra"),
                ("legislativo", "contra"),
                ("empresarial", "abstencion"),
            ],
        ),
        (
            "Publicar cada semana los datos de compras del ayuntamiento",
            4,
            &[
                ("organo_garante", "favor"),
                ("ejecutivo", "favor"),
                ("judicial", "favor"),
                ("legislativo", "favor"),
                ("academia", "abstencion"),
                ("empresarial", "abstencion"),
                ("comunidad_tecnologica", "abstencion"),
            ],
        ),
    ];
    for (number, (text, item, votes)) in motions.iter().enumerate() {
        secretariat
            .ok(
                reqwest::Method::PUT,
                &format!("/sessions/{session}/agenda/{item}/deliberation"),
                Some(&facilitator),
                Some(json!({ "text": format!("Se deliberó la propuesta: {text}.") })),
            )
            .await?;
        let motion = secretariat
            .post(
                &format!("/sessions/{session}/motions"),
                &facilitator,
                json!({ "text": text, "agenda_item": item, "votes": votes.iter().map(|(s, v)| json!({ "seat": s, "vote": v })).collect::<Vec<_>>() }),
            )
            .await?;
        let decision = &motion["decision"];
        say!(
            target,
            "   {}. {text}: {} — {}",
            number + 1,
            decision["outcome"].as_str().unwrap_or("?"),
            decision["explanation"].as_str().unwrap_or_default()
        );
        if decision["outcome"] == "aprobado" {
            secretariat
                .post(
                    &format!("/sessions/{session}/agreements"),
                    &facilitator,
                    json!({ "motion": number + 1, "responsible_seat": "organo_garante", "due_on": iso(date_after(60)) }),
                )
                .await?;
        }
    }
    secretariat
        .post(&format!("/sessions/{session}/close"), &president, json!({}))
        .await?;
    say!(
        target,
        "   sesión cerrada: el servicio de secretariado emitió «session.closed»"
    );
    // The public site's sections a and b: a communiqué of the President on
    // the session, and an activity in the agenda.
    let session_folio = created["session"]["folio"].as_str().unwrap_or_default();
    let communique = secretariat
        .post(
            &format!("/secretariats/{stl}/communiques"),
            &president,
            json!({
                "title": format!("El secretariado celebró su sesión ordinaria {session_folio}"),
                "body": "El Secretariado Técnico Local celebró su sesión ordinaria con quórum y aprobó el calendario de sesiones de 2027 y la metodología de seguimiento de los compromisos del Plan de Acción Local.\n\nEl acta se firma con e.firma y se publicará en el archivo público, donde cualquier persona puede verificarla.",
                "session_folio": (!session_folio.is_empty()).then_some(session_folio),
            }),
        )
        .await?;
    secretariat
        .post(
            &format!("/secretariats/{stl}/activities"),
            &facilitator,
            json!({
                "title": "Foro de cocreación del Plan de Acción Local con la sociedad civil",
                "date": iso(date_after(30)),
                "time": "17:00",
                "place": "Auditorio del ITEI, Guadalajara, Jalisco",
                "description": "Mesa abierta para proponer y revisar compromisos. Entrada libre.",
            }),
        )
        .await?;
    say!(
        target,
        "   comunicado {} publicado por la Presidencia; una actividad en la agenda",
        communique["number"]
    );

    step(
        6,
        "El servicio de documentos genera el acta a partir de la sesión cerrada",
    );
    let document = wait_for(Duration::from_secs(60), "el acta generada", || async {
        let list = documents
            .get(
                &format!("/documents?session_id={session}"),
                Some(&facilitator),
            )
            .await?;
        let first = list
            .as_array()
            .or_else(|| list["documents"].as_array())
            .and_then(|l| l.first())
            .cloned();
        Ok(first)
    })
    .await?;
    let document_id = document["id"]
        .as_str()
        .context("documento sin id")?
        .to_string();
    let version = document["latest_version"].as_i64().unwrap_or(1);
    let approved = documents
        .post(
            &format!("/documents/{document_id}/approve"),
            &president,
            json!({ "version": version }),
        )
        .await?;
    let folio = approved["folio"]
        .as_str()
        .or(document["folio"].as_str())
        .unwrap_or_default()
        .to_string();
    let title = approved["title"]
        .as_str()
        .or(document["title"].as_str())
        .unwrap_or("Acta de la sesión")
        .to_string();
    say!(
        target,
        "   {title} (folio {folio}), versión {version} aprobada y congelada"
    );

    step(
        7,
        "El facilitador abre la ruta de firma: cada asistente rubrica cada página y firma al calce",
    );
    let members: Vec<Value> = PEOPLE
        .iter()
        .map(|p| json!({ "member_id": member_id(p.key), "name": p.name, "email": format!("{}@stl-demo.example.mx", p.key) }))
        .collect();
    let facilitators: Vec<Value> = members
        .iter()
        .filter(|m| m["member_id"] == member_id("facilitacion"))
        .cloned()
        .collect();
    let route = signing
        .post(
            "/routes",
            &facilitator,
            json!({
                "secretariat": { "id": stl, "name": stl_name },
                "title": title,
                "record_kind": "acta",
                "folio": folio,
                "document_id": document_id,
                "members": members,
                "facilitators": facilitators,
            }),
        )
        .await?;
    let route_id = route["id"].as_str().context("ruta sin id")?.to_string();
    let pending: Vec<String> = route["pending"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    say!(
        target,
        "   ruta {route_id}: {} firmantes pendientes",
        pending.len()
    );

    if stop_at_route {
        return Ok(DemoOutcome {
            base_url: target.archive.trim_end_matches("/archive").to_string(),
            secretariat_id: stl,
            session_id: session,
            document_id,
            record_url: String::new(),
            route_id,
            signed_pdf: PathBuf::new(),
            report_path: PathBuf::new(),
            sha256: String::new(),
            outbox: target.outbox.clone(),
            messages: 0,
        });
    }

    step(
        8,
        "Cada asistente firma desde su propio equipo con su e.firma (dos pasos: preparar y completar)",
    );
    let signers: Vec<&Person> = PEOPLE
        .iter()
        .filter(|p| p.attends && p.seat.is_some())
        .collect();
    let mut tasks = Vec::new();
    for person in signers {
        let credential = Arc::new(credential(dir, person.key)?);
        let secretariat = Api::new(&secretariat.base);
        let signing = Api::new(&signing.base);
        let (stl, route_id, name) = (stl.clone(), route_id.clone(), person.name);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let token = fiel_login(&secretariat, &credential, &stl).await?;
            let attempts = sign_remotely(&signing, &token, &route_id, &credential).await?;
            anyhow::Ok((name, attempts, t.elapsed()))
        }));
    }
    for task in tasks {
        let (name, attempts, took) = task.await.context("un firmante se interrumpió")??;
        let retries = if attempts > 1 {
            format!(" (preparó {attempts} veces: otro firmó antes)")
        } else {
            String::new()
        };
        say!(
            target,
            "   firmó {name} en {} ms{retries}",
            took.as_millis()
        );
    }

    step(
        9,
        "El archivo verifica de nuevo el acta firmada, la archiva y la registra; el correo envía las copias",
    );
    let record = wait_for(Duration::from_secs(90), "el registro archivado", || async {
        let page = archive.get("/records?limit=100", None).await?;
        Ok(page["records"].as_array().and_then(|r| {
            r.iter()
                .find(|r| r["route_id"] == route_id.as_str())
                .cloned()
        }))
    })
    .await?;
    let sha256 = record["sha256"]
        .as_str()
        .context("registro sin huella")?
        .to_string();
    let out = if target.quiet {
        dir.join("demo").join(&stl)
    } else {
        dir.join("demo")
    };
    std::fs::create_dir_all(&out)?;
    let pdf = archive
        .client
        .get(
            record["download_url"]
                .as_str()
                .context("registro sin enlace")?,
        )
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let signed_pdf = out.join("acta-firmada.pdf");
    std::fs::write(&signed_pdf, &pdf)?;
    let report = archive
        .client
        .post(format!("{}/verify/pdf", archive.base))
        .header("content-type", "application/pdf")
        .body(pdf.to_vec())
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    let report_path = out.join("verificacion.json");
    std::fs::write(&report_path, serde_json::to_vec_pretty(&report)?)?;
    say!(
        target,
        "   {}",
        report["report"].as_str().unwrap_or_default()
    );

    let outbox = target.outbox.clone();
    let mail = Api::new(&target.mail);
    let expected = PEOPLE.len();
    let copies = wait_for(
        Duration::from_secs(60),
        "las copias firmadas por correo",
        || async {
            let sent = mail
                .get(
                    &format!("/messages?tipo=copia_firmada&asunto={route_id}&estado=enviado"),
                    Some(&facilitator),
                )
                .await?;
            let n = sent.as_array().map(Vec::len).unwrap_or(0);
            Ok((n >= expected).then_some(n))
        },
    )
    .await?;
    let total = std::fs::read_dir(&outbox)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0);
    say!(
        target,
        "   {copies} copias firmadas enviadas, una a cada integrante (000 V.8); {total} correos en {}",
        outbox.display()
    );
    say!(
        target,
        "\nLa demostración tomó {:.1} s.",
        started.elapsed().as_secs_f64()
    );

    Ok(DemoOutcome {
        base_url: target.archive.trim_end_matches("/archive").to_string(),
        secretariat_id: stl,
        session_id: session,
        document_id,
        record_url: format!("{}/records/{sha256}", archive.base),
        route_id,
        signed_pdf,
        report_path,
        sha256,
        outbox,
        messages: total,
    })
}

/// Prepare, sign locally, complete; a stale prepare (409: someone signed
/// in between) is prepared again. Returns how many prepares it took.
async fn sign_remotely(
    signing: &Api,
    token: &str,
    route: &str,
    credential: &Credential,
) -> anyhow::Result<u32> {
    for attempt in 1..=10u32 {
        let prepared = signing
            .post(
                &format!("/routes/{route}/prepare"),
                token,
                json!({ "certificate": BASE64.encode(credential.certificate().der()) }),
            )
            .await?;
        let prepare_id = prepared["prepare_id"]
            .as_str()
            .context("falta prepare_id")?;
        let to_sign = BASE64
            .decode(prepared["to_sign"].as_str().context("falta to_sign")?)
            .context("to_sign no es base64")?;
        let signature = credential
            .sign_sha256(&to_sign)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (status, body) = signing
            .call(
                reqwest::Method::POST,
                &format!("/routes/{route}/complete"),
                Some(token),
                Some(json!({ "prepare_id": prepare_id, "signature": BASE64.encode(signature) })),
            )
            .await?;
        if status.is_success() {
            return Ok(attempt);
        }
        if status != reqwest::StatusCode::CONFLICT {
            bail!(
                "completar la firma respondió {status}: {}",
                body["detail"].as_str().unwrap_or("sin detalle")
            );
        }
    }
    bail!("la firma se preparó 10 veces y siempre alguien firmó antes; intente de nuevo")
}

/// Polls `probe` until it gives a value or `limit` passes.
pub async fn wait_for<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + limit;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if Instant::now() > deadline {
            let why = last_error.map(|e| format!(": {e:#}")).unwrap_or_default();
            bail!("no llegó {what} en {} s{why}", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
