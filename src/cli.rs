//! The command line. Command names are short English verbs; everything a
//! person reads (help, progress, errors) is Spanish.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::{ContextKind, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use rubrica_platform::launch::{Suite, shutdown_on_signal};
use rubrica_platform::{ServiceName, Settings, telemetry};
use tokio_util::sync::CancellationToken;

/// Rúbrica: actas y minutas del Secretariado Técnico Local, firmadas con FIEL.
#[derive(Debug, Parser)]
#[command(
    name = "rubrica",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_help_heading = "Comandos",
    subcommand_value_name = "COMANDO",
    next_help_heading = "Opciones",
    help_template = "{about}\n\nUso: {usage}\n\n{all-args}{after-help}"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Muestra esta ayuda.
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help, global = true)]
    help: Option<bool>,

    /// Muestra la versión.
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Arranca los servicios: los cinco en un proceso y un puerto (predeterminado), o solo los indicados.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica serve [OPCIONES]",
        next_help_heading = "Opciones"
    )]
    Serve(ServeArgs),
    /// Demostración completa: una sesión del STL de Jalisco hasta el acta firmada con FIEL por cada asistente, enviada por correo y archivada.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica demo [--data-dir CARPETA] [--port PUERTO] [--exit-when-done]",
        next_help_heading = "Opciones"
    )]
    Demo(DemoArgs),
    /// Inicia sesión en un servidor con su FIEL (la llave no sale de su equipo) o con un enlace recibido por correo.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica login --server URL (--cer ARCHIVO --key ARCHIVO --password-file ARCHIVO | --link TOKEN)",
        next_help_heading = "Opciones"
    )]
    Login(LoginArgs),
    /// Bitácora de auditoría: verifica que la cadena de un servicio no fue alterada.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica audit verify --service SERVICIO [--config ARCHIVO]",
        next_help_heading = "Opciones",
        subcommand_help_heading = "Comandos",
        subcommand_value_name = "COMANDO"
    )]
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Imprime la tabla de acceso (quién puede llamar a cada operación) en Markdown.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        next_help_heading = "Opciones"
    )]
    Access,
    /// Reglas de gobernanza: evalúa un escenario de convocatoria, quórum y votación, sin servidor.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica rules evaluate --input ARCHIVO",
        next_help_heading = "Opciones",
        subcommand_help_heading = "Comandos",
        subcommand_value_name = "COMANDO"
    )]
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Verifica un archivo: que está en el registro público y firmado del archivo (--log) y, si es PDF, sus firmas.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica verify ARCHIVO [--trust ca.pem|CARPETA [--crl ARCHIVO.crl|CARPETA|URL]... [--ocsp URL]] [--log URL [--log-key LLAVE]] [--json]",
        next_help_heading = "Opciones"
    )]
    Verify(VerifyArgs),
    /// Genera un documento (acta, minuta, convocatoria, informe, entrega_recepcion) en PDF/A con las mismas plantillas que el servicio, sin servidor.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica render --kind TIPO --data DATOS.json --out DOCUMENTO.pdf [--layout MANIFIESTO.json]",
        next_help_heading = "Opciones"
    )]
    Render(RenderArgs),
    /// Abre un acta aprobada a firma: agrega los campos de firma y de rúbrica de cada firmante según el manifiesto de diseño.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica signable --in ACTA.pdf --layout MANIFIESTO.json --out FIRMABLE.pdf",
        next_help_heading = "Opciones"
    )]
    Signable(SignableArgs),
    /// Firma un acta con su e.firma (FIEL) en su equipo: rubrica cada página y firma al calce en sus campos, que encuentra por el RFC de su certificado.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica sign --in FIRMABLE.pdf --out FIRMADO.pdf --cer ARCHIVO --key ARCHIVO --password-file ARCHIVO [--trust ca.pem|CARPETA]\n       rubrica sign --server URL --route ID --cer ARCHIVO --key ARCHIVO --password-file ARCHIVO [--out COPIA.pdf]",
        next_help_heading = "Opciones"
    )]
    Sign(SignArgs),
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// Tipo de documento: acta, minuta, convocatoria, informe o entrega_recepcion.
    #[arg(long, value_name = "TIPO")]
    kind: String,
    /// Datos del documento (JSON; ejemplos en templates/examples/).
    #[arg(long, value_name = "ARCHIVO")]
    data: PathBuf,
    /// Dónde guardar el PDF.
    #[arg(long = "out", value_name = "ARCHIVO")]
    output: PathBuf,
    /// Dónde guardar el manifiesto de diseño (JSON) para abrirlo a firma.
    #[arg(long, value_name = "ARCHIVO")]
    layout: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SignableArgs {
    /// El acta aprobada (PDF, sin firmas).
    #[arg(long = "in", value_name = "ARCHIVO")]
    input: PathBuf,
    /// Manifiesto de diseño (JSON) que generó el servicio de documentos: firmantes y recuadros.
    #[arg(long, value_name = "ARCHIVO")]
    layout: PathBuf,
    /// Dónde guardar el PDF firmable.
    #[arg(long = "out", value_name = "ARCHIVO")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct SignArgs {
    /// El acta firmable (o ya firmada por otros).
    #[arg(
        long = "in",
        value_name = "ARCHIVO",
        required_unless_present = "server",
        conflicts_with = "server"
    )]
    input: Option<PathBuf>,
    /// Dónde guardar el acta con su firma (con --server, opcional: una copia de la versión firmada).
    #[arg(
        long = "out",
        value_name = "ARCHIVO",
        required_unless_present = "server"
    )]
    output: Option<PathBuf>,
    /// Servidor de Rúbrica (la suite o su servicio de firma): firma en línea la ruta indicada con --route, en dos pasos; la llave no sale de su equipo.
    #[arg(long, value_name = "URL", requires = "route", conflicts_with_all = ["trust", "location"])]
    server: Option<String>,
    /// Identificador de la ruta de firma (con --server).
    #[arg(long, value_name = "ID", requires = "server")]
    route: Option<String>,
    /// Certificado de su FIEL (.cer).
    #[arg(long, value_name = "ARCHIVO")]
    cer: PathBuf,
    /// Llave privada de su FIEL (.key); no sale de su equipo.
    #[arg(long, value_name = "ARCHIVO")]
    key: PathBuf,
    /// Archivo con la contraseña de la llave privada.
    #[arg(long, value_name = "ARCHIVO")]
    password_file: PathBuf,
    /// Certificado o carpeta de autoridades certificadoras: comprueba su certificado antes de firmar e incluye la cadena en la firma.
    #[arg(long, value_name = "ca.pem|CARPETA")]
    trust: Option<PathBuf>,
    /// Lugar de la firma (p. ej. «Guadalajara, Jalisco»).
    #[arg(long, value_name = "LUGAR")]
    location: Option<String>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// El archivo a verificar.
    #[arg(value_name = "ARCHIVO")]
    file: PathBuf,
    /// Dirección del archivo de Rúbrica (la de la suite o la de su servicio de archivo): comprueba que el archivo está en su registro firmado.
    #[arg(long, value_name = "URL")]
    log: Option<String>,
    /// Llave pública del registro (64 caracteres hexadecimales, de GET /archive/log/public-key), para no depender de la que publica el servidor.
    #[arg(long, value_name = "LLAVE", requires = "log")]
    log_key: Option<String>,
    /// Certificado o carpeta de autoridades certificadoras de confianza para las firmas de un PDF (sin él, ninguna firma se da por válida).
    #[arg(long, value_name = "ca.pem|CARPETA")]
    trust: Option<PathBuf>,
    /// Lista de revocación (CRL, DER o PEM) de una autoridad de --trust, carpeta de archivos .crl o dirección http(s):// de donde descargarla: un certificado revocado antes de la firma la invalida. Sin ella ni --ocsp, el informe dice que la revocación no se verificó. Puede repetirse.
    #[arg(long, value_name = "ARCHIVO.crl|CARPETA|URL", requires = "trust")]
    crl: Vec<PathBuf>,
    /// Dirección (http:// o https://) del servicio OCSP de una autoridad de --trust: se le pregunta por cada certificado; su respuesta cuenta solo si la firma esa autoridad o un respondedor autorizado por ella.
    #[arg(long, value_name = "URL", requires = "trust")]
    ocsp: Option<String>,
    /// Imprime el resultado en JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Evalúa un escenario JSON e imprime en JSON los hallazgos de convocatoria, quórum y decisión con sus explicaciones.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        override_usage = "rubrica rules evaluate --input ARCHIVO",
        next_help_heading = "Opciones"
    )]
    Evaluate {
        /// Escenario JSON: preset o config, session, non_working_days, attendance y votes («-» lee la entrada estándar).
        #[arg(long, value_name = "ARCHIVO")]
        input: PathBuf,
    },
}

#[derive(Debug, Args)]
struct LoginArgs {
    /// Dirección del servidor (la de la suite o la del servicio de secretariado).
    #[arg(long, value_name = "URL")]
    server: String,
    /// Certificado de su FIEL (.cer).
    #[arg(long, value_name = "ARCHIVO", requires_all = ["key", "password_file"], conflicts_with = "link")]
    cer: Option<PathBuf>,
    /// Llave privada de su FIEL (.key); nunca se envía al servidor.
    #[arg(long, value_name = "ARCHIVO")]
    key: Option<PathBuf>,
    /// Archivo con la contraseña de la llave privada.
    #[arg(long, value_name = "ARCHIVO")]
    password_file: Option<PathBuf>,
    /// Si pertenece a varios secretariados: a cuál entrar.
    #[arg(long, value_name = "ID")]
    secretariat: Option<String>,
    /// Token del enlace de acceso recibido por correo (no permite firmar).
    #[arg(long, value_name = "TOKEN")]
    link: Option<String>,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recorre la bitácora del servicio y comprueba cada eslabón de la cadena.
    #[command(
        help_template = "{about}\n\nUso: {usage}\n\n{all-args}\n",
        next_help_heading = "Opciones"
    )]
    Verify {
        /// El servicio: secretariat, documents, signing, mail o archive.
        #[arg(long, value_name = "SERVICIO")]
        service: String,
        /// Archivo de configuración TOML (también: RUBRICA_CONFIG).
        #[arg(long, value_name = "ARCHIVO")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Solo estos servicios, separados por comas (secretariat, documents, signing, mail, archive).
    #[arg(long, value_delimiter = ',', value_name = "SERVICIOS")]
    only: Vec<String>,

    /// Archivo de configuración TOML (también: RUBRICA_CONFIG).
    #[arg(long, value_name = "ARCHIVO")]
    config: Option<PathBuf>,

    /// Puerto en el que escuchar (sustituye a http.port; 0 elige uno libre).
    #[arg(long, value_name = "PUERTO")]
    port: Option<u16>,

    /// Carpeta de datos (sustituye a data_dir).
    #[arg(long, value_name = "CARPETA")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Carpeta de datos, vacía (se crea si no existe).
    #[arg(long, value_name = "CARPETA", default_value = "data-demo")]
    data_dir: PathBuf,
    /// Puerto de la suite de demostración (0 elige uno libre).
    #[arg(long, value_name = "PUERTO", default_value_t = 8080)]
    port: u16,
    /// Detiene la suite al terminar, en vez de seguir sirviendo hasta Ctrl-C.
    #[arg(long)]
    exit_when_done: bool,
    /// Se detiene con la ruta de firma abierta, sin firmas, y sigue sirviendo: los integrantes firman en el navegador (http://127.0.0.1:PUERTO/).
    #[arg(long)]
    stop_at_route: bool,
}

/// Parses the command line and runs the command; the exit code is 0 on
/// success, 2 for a usage or input error, 1 for a failure.
///
/// The offline commands on local files (`verify` without `--log`, `sign`
/// without `--server`, `render`, `signable`, `access`, `rules`) run on this
/// thread with no async runtime: a whole-process `rubrica verify` or `sign`
/// pays only for its own work. The others get tokio's multi-thread runtime.
pub fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return usage_error(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let command = match run_offline(cli.command) {
        Ok(code) => return code,
        Err(online) => *online,
    };
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(command)),
        Err(e) => {
            eprintln!(
                "error: no se pudo iniciar el entorno de ejecución ({e}). Revise los límites de hilos y de archivos abiertos del sistema."
            );
            ExitCode::FAILURE
        }
    }
}

/// The revocation sources of `rubrica verify`: `--crl` files, folders and
/// URLs, and `--ocsp`.
fn revocation(args: &VerifyArgs) -> rubrica_fiel::RevocationSource {
    use rubrica_fiel::RevocationSource;
    let is_url = |p: &&PathBuf| {
        p.to_str()
            .is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"))
    };
    RevocationSource::several([
        RevocationSource::CrlFiles(args.crl.iter().filter(|p| !is_url(p)).cloned().collect()),
        RevocationSource::CrlUrls(
            args.crl
                .iter()
                .filter(is_url)
                .filter_map(|p| p.to_str().map(str::to_owned))
                .collect(),
        ),
        RevocationSource::Ocsp(args.ocsp.clone().unwrap_or_default()),
    ])
}

/// Runs a command that needs no async runtime; gives back any other.
fn run_offline(command: Command) -> Result<ExitCode, Box<Command>> {
    match command {
        Command::Verify(args) if args.log.is_none() => {
            Ok(ExitCode::from(crate::commands::pdf::verify(
                &args.file,
                args.trust.as_deref(),
                &revocation(&args),
                args.json,
            )))
        }
        Command::Sign(args) if args.server.is_none() || args.route.is_none() => {
            Ok(sign_offline(&args))
        }
        Command::Access => {
            out!("{}", crate::commands::access::markdown());
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::Evaluate { input },
        } => Ok(rules_evaluate(&input)),
        Command::Render(args) => Ok(ExitCode::from(crate::commands::render::render(
            crate::commands::render::RenderRequest {
                kind: &args.kind,
                data: &args.data,
                output: &args.output,
                layout: args.layout.as_deref(),
            },
        ))),
        Command::Signable(args) => Ok(ExitCode::from(crate::commands::pdf::signable(
            &args.input,
            &args.layout,
            &args.output,
        ))),
        online => Err(Box::new(online)),
    }
}

/// Runs a command that needs the async runtime (servers, HTTP clients).
async fn run(command: Command) -> ExitCode {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Demo(args) => {
            // The demo's own lines tell the story; the services' log shows
            // only warnings and errors.
            let mut log = Settings::default().log;
            log.filter = "warn".into();
            telemetry::init(&log);
            ExitCode::from(
                crate::commands::demo::run(crate::commands::demo::DemoOptions {
                    data_dir: args.data_dir,
                    port: args.port,
                    exit_when_done: args.exit_when_done,
                    stop_at_route: args.stop_at_route,
                })
                .await,
            )
        }
        Command::Login(args) => login(args).await,
        Command::Audit {
            command: AuditCommand::Verify { service, config },
        } => audit_verify(&service, config.as_deref()).await,
        Command::Verify(args) => verify(args).await,
        Command::Sign(args) => sign(args).await,
        offline => match run_offline(offline) {
            Ok(code) => code,
            Err(_) => ExitCode::FAILURE,
        },
    }
}

/// `rubrica sign`: offline on a file (`commands::pdf`), or online on a
/// signing route with `--server` (`commands::remote_sign`).
async fn sign(args: SignArgs) -> ExitCode {
    match (&args.server, &args.route) {
        (Some(server), Some(route)) => ExitCode::from(
            crate::commands::remote_sign::run(crate::commands::remote_sign::RemoteSignRequest {
                server,
                route,
                cer: &args.cer,
                key: &args.key,
                password_file: &args.password_file,
                output: args.output.as_deref(),
            })
            .await,
        ),
        _ => sign_offline(&args),
    }
}

/// `rubrica sign --in … --out …` on a local file; a usage error without them.
fn sign_offline(args: &SignArgs) -> ExitCode {
    match (&args.input, &args.output) {
        (Some(input), Some(output)) => ExitCode::from(crate::commands::pdf::sign(
            crate::commands::pdf::SignRequest {
                input,
                output,
                cer: &args.cer,
                key: &args.key,
                password_file: &args.password_file,
                trust: args.trust.as_deref(),
                location: args.location.clone(),
            },
        )),
        _ => {
            eprintln!(
                "error: indique --in y --out para firmar un archivo, o --server y --route para firmar una ruta en línea. Use --help para ver las opciones."
            );
            ExitCode::from(2)
        }
    }
}

/// `rubrica verify`: a PDF's signatures (`commands::pdf`), and with `--log`
/// whether the file is in the archive's signed log (`commands::log_verify`).
/// Exit 0 only when every check passed; 1 when one did not; 2 on unreadable input.
async fn verify(args: VerifyArgs) -> ExitCode {
    let pdf = crate::commands::pdf::looks_like_pdf(&args.file);
    match &args.log {
        Some(log) => {
            let log_code = crate::commands::log_verify::run(
                &args.file,
                log,
                args.log_key.as_deref(),
                args.json,
            )
            .await;
            // Two JSON documents on stdout would not parse: with --json the
            // signatures are reported by a separate run without --log.
            if !pdf || log_code == 2 {
                return ExitCode::from(log_code);
            }
            if args.json {
                eprintln!(
                    "aviso: con --json y --log solo se informa el registro; para el informe de firmas en JSON ejecute «rubrica verify {} --json» sin --log.",
                    args.file.display()
                );
                return ExitCode::from(log_code);
            }
            outln!();
            let pdf_code = crate::commands::pdf::verify(
                &args.file,
                args.trust.as_deref(),
                &revocation(&args),
                false,
            );
            ExitCode::from(log_code.max(pdf_code))
        }
        None => ExitCode::from(crate::commands::pdf::verify(
            &args.file,
            args.trust.as_deref(),
            &revocation(&args),
            args.json,
        )),
    }
}

/// `rubrica rules evaluate`: the rules engine on a scenario file, no server.
/// Exit 0 with the findings as JSON; 2 with a Spanish message on stderr when
/// the file cannot be read or the rules cannot judge the scenario.
fn rules_evaluate(input: &std::path::Path) -> ExitCode {
    use std::io::{ErrorKind as Io, Read};
    let read = if input.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(input)
    };
    let text = match read {
        Ok(text) => text,
        Err(e) => {
            let why = match e.kind() {
                Io::NotFound => "no existe".to_string(),
                Io::PermissionDenied => "no tiene permiso para leerlo".to_string(),
                Io::InvalidData => "no es texto UTF-8".to_string(),
                _ => format!("no se pudo leer ({e})"),
            };
            eprintln!(
                "error: el escenario {} {why}. Indique un archivo JSON con --input.",
                input.display()
            );
            return ExitCode::from(2);
        }
    };
    match rubrica_rules::evaluate_scenario(&text) {
        Ok(output) => match serde_json::to_string_pretty(&output) {
            Ok(json) => {
                outln!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: no se pudo escribir el resultado: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Prints a clap error in Spanish (help and version pass through).
fn usage_error(error: clap::Error) -> ExitCode {
    let context = |kind| error.get(kind).map(|v| v.to_string()).unwrap_or_default();
    let message = match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            "falta el comando. Use «rubrica --help» para ver los comandos.".to_string()
        }
        ErrorKind::InvalidSubcommand => format!(
            "el comando «{}» no existe. Use «rubrica --help» para ver los comandos.",
            context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::UnknownArgument => format!(
            "la opción «{}» no existe. Use --help para ver las opciones.",
            context(ContextKind::InvalidArg)
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => format!(
            "el valor «{}» de {} no es válido. Use --help para ver los valores aceptados.",
            context(ContextKind::InvalidValue),
            context(ContextKind::InvalidArg)
        ),
        ErrorKind::MissingRequiredArgument => format!(
            "falta la opción obligatoria {}. Use --help para ver las opciones.",
            context(ContextKind::InvalidArg)
        ),
        _ => format!(
            "los argumentos no son válidos. Use «rubrica --help» para ver el uso correcto. ({})",
            error.kind()
        ),
    };
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// `rubrica login`.
async fn login(args: LoginArgs) -> ExitCode {
    use crate::commands::login;
    let result = match (&args.link, &args.cer, &args.key, &args.password_file) {
        (Some(link), None, _, _) => login::with_link(&args.server, link).await,
        (None, Some(cer), Some(key), Some(password)) => {
            login::with_fiel(&args.server, cer, key, password, args.secretariat.clone()).await
        }
        _ => {
            eprintln!(
                "error: indique --cer, --key y --password-file (FIEL) o bien --link (enlace por correo). Use «rubrica login --help»."
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(session) => {
            let roles = if session.roles.is_empty() {
                "ninguno".to_string()
            } else {
                session.roles.join(", ")
            };
            outln!("Sesión iniciada como {} (roles: {roles}).", session.name);
            if session.method != "fiel" {
                outln!("Esta sesión no permite firmar: para firmar inicie sesión con su FIEL.");
            }
            outln!(
                "Token guardado en {} (solo usted puede leerlo).",
                crate::commands::login::session_path().display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `rubrica audit verify`.
async fn audit_verify(service: &str, config: Option<&std::path::Path>) -> ExitCode {
    let service: ServiceName = match service.parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let loaded = match Settings::load(config, &crate::all_sections()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match crate::commands::audit::verify(service, &loaded.settings).await {
        Ok(report) => {
            outln!("{}", report.explanation);
            outln!(
                "Entradas: {} · cabeza de la cadena: {}",
                report.entries,
                report.head
            );
            if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: no se pudo verificar la bitácora de {service}: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `rubrica serve`.
async fn serve(args: ServeArgs) -> ExitCode {
    let only: Vec<ServiceName> = if args.only.is_empty() {
        ServiceName::ALL.to_vec()
    } else {
        match args
            .only
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(list) => list,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let mut loaded = match Settings::load(args.config.as_deref(), &crate::all_sections()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(port) = args.port {
        loaded.settings.http.port = port;
    }
    if let Some(dir) = args.data_dir {
        loaded.settings.data_dir = dir;
    }
    telemetry::init(&loaded.settings.log);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    match pinned_trust(&loaded.settings) {
        Ok(None) => {}
        Ok(Some(warning)) => {
            eprintln!("\n*** ATENCIÓN: {warning} ***\n");
            tracing::warn!("{warning}");
        }
        Err(refusal) => {
            eprintln!("error: {refusal}");
            return ExitCode::from(2);
        }
    }
    match run_serve(only, loaded.settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A trust folder with certificates pinned one by one (`fijados/`, where the
/// demo pins SAT's public test FIEL) lets anyone holding that test key sign
/// as a member: `serve` refuses it unless `auth.demo_trust` is on, and then
/// warns (the returned text).
fn pinned_trust(settings: &Settings) -> Result<Option<String>, String> {
    let Some(dir) = &settings.auth.trust_anchors_dir else {
        return Ok(None);
    };
    let pinned = dir.join(rubrica_fiel::trust::PINNED_SUBFOLDER);
    let count = std::fs::read_dir(&pinned)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .count()
        })
        .unwrap_or(0);
    match (count, settings.auth.demo_trust) {
        (0, _) => Ok(None),
        (n, true) => Ok(Some(format!(
            "modo de demostración: se confía en {n} certificado(s) fijado(s) en {} (como la e.firma de PRUEBA del SAT, cuya llave es pública). No use esta configuración con datos reales.",
            pinned.display()
        ))),
        (n, false) => Err(format!(
            "la carpeta de confianza {} tiene {n} certificado(s) fijado(s) en «{}»: eso solo sirve para la demostración (la e.firma de prueba del SAT, cuya llave es pública) y dejaría firmar a cualquiera. Quite esa carpeta, o si de verdad es una demostración active auth.demo_trust (RUBRICA_AUTH__DEMO_TRUST=true).",
            dir.display(),
            rubrica_fiel::trust::PINNED_SUBFOLDER
        )),
    }
}

async fn run_serve(only: Vec<ServiceName>, mut settings: Settings) -> anyhow::Result<()> {
    if only.len() == ServiceName::ALL.len() {
        crate::trust_local_front(&mut settings);
    }
    let address = format!("{}:{}", settings.http.host, settings.http.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| anyhow::anyhow!("no se pudo escuchar en {address}: {e}. ¿Está ocupado el puerto? Use --port para elegir otro."))?;
    let local = listener.local_addr()?;
    let embedded = only.len() == ServiceName::ALL.len();
    let suite = Suite::assemble(&crate::all_specs(), &only, settings, local).await?;
    // The members' web platform at `/` when the whole suite runs here.
    let suite = if embedded {
        crate::with_web(suite)?
    } else {
        suite
    };

    let shown_host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        local.ip().to_string()
    };
    outln!("Rúbrica escuchando en http://{shown_host}:{}", local.port());
    if embedded {
        outln!(
            "  Plataforma de integrantes: http://{shown_host}:{}/ (entre con su e.firma)",
            local.port()
        );
    }
    for (service, location) in suite.data_locations() {
        outln!(
            "  {:<12} http://{shown_host}:{}/{service}  (datos: {location})",
            service.title(),
            local.port()
        );
    }
    if embedded {
        outln!("Datos en {}", suite.settings().data_dir.display());
    }
    outln!(
        "Salud: /<servicio>/health/ready · API: /<servicio>/openapi.json · Ctrl-C para detener."
    );

    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(shutdown.clone()));
    suite.serve(listener, shutdown).await?;
    outln!("Rúbrica se detuvo ordenadamente.");
    Ok(())
}
