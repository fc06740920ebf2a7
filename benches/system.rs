//! The suite measured as one system: `cargo bench --bench system`
//! (`-- FLOWS CONCURRENCY`, default 12 flows, 4 at a time).
//!
//! The embedded suite (one process, SQLite, mail to the outbox folder) runs
//! in this process on loopback. Each flow is a whole session over HTTP, as
//! `rubrica demo` walks it but with every seat of the Jalisco preset present
//! (the case: 9 signers, like `templates/examples/acta-20-paginas.json`):
//! a secretariat of its own with 9 titulars and the facilitator, convocatoria,
//! attendance, agenda approval, three votes, closing; the acta rendered by the
//! documents service from `session.closed`, approved, its route opened, signed
//! by its 9 attendees at once through the two-step API (each its own client:
//! FIEL login, prepare, RSA signature on the client, complete; a 409 is
//! prepared again), verified and archived, and the 10 signed copies mailed.
//!
//! Prints the throughput (actas per second, from session close to archived
//! and mailed), the p50/p99 of each step and of each signing call, how many
//! prepares were refused as stale, the size of the signed acta, and the peak
//! RSS of the process. Asserts nothing about time.
//!
//! # Measured
//!
//! 2 cores, `cargo bench --bench system -- 12 4`, the demo acta (3 pages,
//! 193 KB signed, 11 revisions):
//!
//! | | actas/s (session) | actas/s (close → mailed) | step 8 p50/p99 | prepares (409) | RSS |
//! |---|---|---|---|---|---|
//! | 7 signers, racing | 2.28 | 3.02 | 769 / 1811 ms | — | 149 MB |
//! | 9 signers, racing | 1.42 | 1.82 | 1792 / 2619 ms | 363 (255) | 165 MB |
//! | 9 signers, per-route turns | 3.04 | 4.94 | 406 / 454 ms | 108 (0) | 133 MB |
//! | + archive woken on `route.completed`, faster acta layout | 4.45 | 7.41 | 319 / 443 ms | 108 (0) | 126 MB |
//!
//! Close → archived and mailed is 4 in flight over its p50 (537 ms, p99
//! 663 ms in the last run): step 6 (render + approve) 105 ms, step 7 13 ms,
//! step 8 (nine two-step signatures, one after another per route) 319 ms,
//! step 9 (re-verified, archived, copies sent) 130 ms.
//! With turns the CPU is no longer the limit of step 8; a profile (`perf`)
//! is led by RSA (`num_bigint_dig` Montgomery: the clients' signatures and
//! logins, the server's checks) and SQLite reading revision blobs.

mod common;
use common::{ms, percentile};

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rubrica::commands::demo::{Api, DemoTarget, demo_settings, fiel_login, install_pki, wait_for};
use rubrica_fiel::{Credential, RevocationSource, TrustStore, Validator};
use rubrica_platform::ServiceName;
use rubrica_platform::launch::Suite;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const STEPS: [&str; 9] = [
    "1 secretariado e integrantes",
    "2 inicio de sesión FIEL",
    "3 convocatoria",
    "4 asistencia, quórum, orden del día",
    "5 tres votaciones y cierre",
    "6 acta generada y aprobada",
    "7 ruta de firma abierta",
    "8 nueve firmas en dos pasos",
    "9 archivada y copias enviadas",
];

/// The signing calls timed one by one.
const CALLS: [&str; 3] = ["login FIEL", "prepare", "complete"];

/// `(credential file stem, name, RFC, seat)`: the 9 titulars of the Jalisco
/// preset, all present. The demo credentials (`templates/demo/pki/`); the
/// business seat is SAT's test FIEL.
const SEATS: [(&str, &str, &str, &str); 9] = [
    (
        "presidencia",
        "LAURA ESTELA MÉNDEZ ROJAS",
        "MERL780312QW1",
        "organo_garante",
    ),
    (
        "ejecutivo",
        "CARLOS ALBERTO RUIZ PEÑA",
        "RUPC700101AB2",
        "ejecutivo",
    ),
    (
        "judicial",
        "PATRICIA GÓMEZ LUNA",
        "GOLP820505CD3",
        "judicial",
    ),
    (
        "legislativo",
        "RAÚL HERNÁNDEZ SOTO",
        "HESR690909EF4",
        "legislativo",
    ),
    (
        "ayuntamiento",
        "JORGE IBARRA CASTRO",
        "IACJ750202JK6",
        "ayuntamiento",
    ),
    ("academia", "SOFÍA NAVARRO PAZ", "NAPS850808LM7", "academia"),
    (
        "empresarial",
        "ESCUELA KEMPER URGATE",
        "EKU9003173C9",
        "empresarial",
    ),
    (
        "sociedad-civil",
        "MIGUEL ÁNGEL TORRES VEGA",
        "TOVM800404NP8",
        "sociedad_civil",
    ),
    (
        "comunidad-tecnologica",
        "ANA LUCÍA ORTIZ RAMOS",
        "OIRA920606QR9",
        "comunidad_tecnologica",
    ),
];
const FACILITATOR: (&str, &str, &str) = ("facilitacion", "ERNESTO SALAZAR MORA", "SAME770303ST1");

/// What the flows measured, shared by them.
#[derive(Default)]
struct Measures {
    steps: Vec<Vec<Duration>>,
    calls: Vec<Vec<Duration>>,
    pipelines: Vec<Duration>,
    stale_prepares: usize,
    /// The last signed acta, described (and checked) after the measurement.
    last_pdf: Vec<u8>,
}

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok());
    let flows = args.next().unwrap_or(12);
    let concurrency = args.next().unwrap_or(4).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(flows, concurrency));
}

async fn run(flows: usize, concurrency: usize) {
    let dir = tempfile::tempdir().unwrap();
    let anchors = install_pki(dir.path()).unwrap();
    let mut settings = demo_settings(dir.path(), anchors.clone(), 0);
    settings.log.filter = "error".into();
    rubrica_platform::telemetry::init(&settings.log);
    let operator = settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let suite = Suite::assemble(&rubrica::all_specs(), &ServiceName::ALL, settings, local)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let server = tokio::spawn(suite.serve(listener, stop.clone()));
    let target = Arc::new(DemoTarget::embedded(
        &format!("http://{local}"),
        &operator,
        dir.path(),
    ));
    let credentials: Arc<Vec<Arc<Credential>>> = Arc::new(
        SEATS
            .iter()
            .map(|s| s.0)
            .chain([FACILITATOR.0])
            .map(|key| Arc::new(credential(dir.path(), key).unwrap()))
            .collect(),
    );

    // One flow first: warms caches (fonts, templates, connections).
    let warm = Mutex::new(Measures::default());
    session(&target, &credentials, &warm).await.unwrap();

    let measures = Arc::new(Mutex::new(Measures {
        steps: vec![Vec::new(); STEPS.len()],
        calls: vec![Vec::new(); CALLS.len()],
        ..Measures::default()
    }));
    let started = Instant::now();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for _ in 0..flows {
        let permit = semaphore.clone().acquire_owned().await.unwrap();
        let (target, credentials, measures) =
            (target.clone(), credentials.clone(), measures.clone());
        tasks.push(tokio::spawn(async move {
            session(&target, &credentials, &measures).await.unwrap();
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();

    let mut m = std::mem::take(&mut *measures.lock().unwrap());
    println!(
        "{flows} actas de {} firmantes, {concurrency} a la vez, suite embebida en SQLite, 2 núcleos:",
        SEATS.len()
    );
    println!(
        "  actas por segundo (sesión completa): {:.2}",
        flows as f64 / elapsed.as_secs_f64()
    );
    m.pipelines.sort();
    let pipeline_total: Duration = m.pipelines.iter().sum();
    println!(
        "  de cierre de sesión a archivada y enviada: p50 {:.0} ms, p99 {:.0} ms; con {concurrency} en paralelo ≈ {:.2} actas/s",
        ms(percentile(&m.pipelines, 0.5)),
        ms(percentile(&m.pipelines, 0.99)),
        concurrency as f64 * m.pipelines.len() as f64 / pipeline_total.as_secs_f64().max(1e-9),
    );
    for (name, times) in STEPS.iter().zip(m.steps.iter_mut()) {
        times.sort();
        println!(
            "  paso {name:<38} p50 {:>7.1} ms  p99 {:>7.1} ms",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.99))
        );
    }
    for (name, times) in CALLS.iter().zip(m.calls.iter_mut()) {
        times.sort();
        println!(
            "  llamada {name:<35} p50 {:>7.1} ms  p99 {:>7.1} ms  ({} llamadas)",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.99)),
            times.len()
        );
    }
    println!(
        "  preparaciones rechazadas por desfasadas (409): {} de {} firmas",
        m.stale_prepares,
        flows * SEATS.len()
    );
    // Out of the measurement: what was signed (each signature locks its
    // signer's initials, one per page), and that it verifies.
    let validator = Validator::new(
        TrustStore::from_dir(&anchors).unwrap(),
        &RevocationSource::NotConfigured,
    )
    .unwrap();
    let report = rubrica_pdfsign::verify(&m.last_pdf, &validator).unwrap();
    assert_eq!(report.signatures.len(), SEATS.len(), "{}", report.summary);
    println!(
        "  acta firmada: {} páginas, {} KB, {} revisiones; {}",
        report.signatures[0].locked_fields.len(),
        m.last_pdf.len() / 1024,
        report.revisions,
        report.summary
    );
    println!(
        "  memoria residente máxima del proceso: {} MB",
        peak_rss_mb()
    );
    // One line for `scripts/bench` to read.
    println!(
        "BENCH system session_actas_per_s={:.2} close_to_mailed_actas_per_s={:.2} peak_rss_mb={}",
        flows as f64 / elapsed.as_secs_f64(),
        concurrency as f64 * m.pipelines.len() as f64 / pipeline_total.as_secs_f64().max(1e-9),
        peak_rss_mb()
    );
    stop.cancel();
    let _ = server.await;
}

fn credential(dir: &Path, key: &str) -> anyhow::Result<Credential> {
    let pki = dir.join("demo-pki");
    let password = std::fs::read_to_string(pki.join("password.txt"))?;
    Credential::from_files(
        pki.join(format!("{key}.cer")),
        pki.join(format!("{key}.key")),
        password.trim(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The next weekday `days` calendar days after today (central Mexico), ISO.
fn date_after(days: i64) -> String {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(-6))
        .date();
    let mut date = today + time::Duration::days(days);
    while matches!(
        date.weekday(),
        time::Weekday::Saturday | time::Weekday::Sunday
    ) {
        date += time::Duration::days(1);
    }
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// One whole session, its times added to `measures` (if it has room).
async fn session(
    target: &DemoTarget,
    credentials: &[Arc<Credential>],
    measures: &Mutex<Measures>,
) -> anyhow::Result<()> {
    let operator = target.operator.as_str();
    let secretariat = Api::new(&target.secretariat);
    let documents = Api::new(&target.documents);
    let signing = Api::new(&target.signing);
    let archive = Api::new(&target.archive);
    let mail = Api::new(&target.mail);
    let marks: Mutex<Vec<Instant>> = Mutex::default();
    let step = || marks.lock().unwrap().push(Instant::now());

    step(); // 1
    let created = secretariat
        .post("/secretariats", operator, json!({ "preset": "jalisco" }))
        .await?;
    let stl = created["id"].as_str().context("sin id")?.to_string();
    let stl_name = created["name"].as_str().unwrap_or("STL").to_string();
    let people = SEATS
        .iter()
        .map(|(key, name, rfc, seat)| (*key, *name, *rfc, Some(*seat)))
        .chain([(FACILITATOR.0, FACILITATOR.1, FACILITATOR.2, None)]);
    let mut members = Vec::new();
    for (key, name, rfc, seat) in people {
        let email = format!("{key}@stl-demo.example.mx");
        let member = secretariat
            .post(
                &format!("/secretariats/{stl}/members"),
                operator,
                json!({ "name": name, "rfc": rfc, "email": email }),
            )
            .await?;
        let id = member["id"].as_str().context("sin id")?.to_string();
        let role = if seat.is_some() {
            "titular"
        } else {
            "facilitador"
        };
        secretariat
            .post(
                &format!("/secretariats/{stl}/designations"),
                operator,
                json!({ "member_id": id, "role": role, "seat": seat, "starts_on": "2026-01-15" }),
            )
            .await?;
        members.push(json!({ "member_id": id, "name": name, "email": email }));
    }

    step(); // 2
    let president = fiel_login(&secretariat, &credentials[0], &stl).await?;
    let facilitator = fiel_login(&secretariat, &credentials[SEATS.len()], &stl).await?;

    step(); // 3
    let created = secretariat
        .post(
            &format!("/secretariats/{stl}/sessions"),
            &facilitator,
            json!({
                "kind": "ordinaria",
                "date": date_after(14),
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
        .context("sin id")?
        .to_string();
    secretariat
        .post(
            &format!("/sessions/{session}/convocatoria"),
            &facilitator,
            json!({ "issued_on": date_after(0) }),
        )
        .await?;

    step(); // 4
    for member in &members {
        secretariat
            .post(
                &format!("/sessions/{session}/attendance"),
                &facilitator,
                json!({ "member_id": member["member_id"], "event": "llegada" }),
            )
            .await?;
    }
    secretariat
        .post(&format!("/sessions/{session}/open"), &president, json!({}))
        .await?;
    let all_favor: Vec<Value> = SEATS
        .iter()
        .map(|s| json!({ "seat": s.3, "vote": "favor" }))
        .collect();
    secretariat
        .post(
            &format!("/sessions/{session}/agenda-approval"),
            &facilitator,
            json!({ "votes": all_favor }),
        )
        .await?;

    step(); // 5
    let split = |against: &[&str], abstain: &[&str]| -> Vec<Value> {
        SEATS
            .iter()
            .map(|s| {
                let vote = if against.contains(&s.3) {
                    "contra"
                } else if abstain.contains(&s.3) {
                    "abstencion"
                } else {
                    "favor"
                };
                json!({ "seat": s.3, "vote": vote })
            })
            .collect()
    };
    let motions = [
        (
            "Aprobar el calendario de sesiones ordinarias de 2027",
            2,
            split(&[], &[]),
        ),
        (
            "Adoptar la metodología de seguimiento de compromisos",
            3,
            split(&["ejecutivo", "judicial", "legislativo"], &["empresarial"]),
        ),
        (
            "Publicar cada semana los datos de compras del ayuntamiento",
            4,
            split(
                &[],
                &[
                    "academia",
                    "empresarial",
                    "sociedad_civil",
                    "comunidad_tecnologica",
                ],
            ),
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
                json!({ "text": text, "agenda_item": item, "votes": votes }),
            )
            .await?;
        if motion["decision"]["outcome"] == "aprobado" {
            secretariat
                .post(
                    &format!("/sessions/{session}/agreements"),
                    &facilitator,
                    json!({ "motion": number + 1, "responsible_seat": "organo_garante", "due_on": date_after(60) }),
                )
                .await?;
        }
    }
    secretariat
        .post(&format!("/sessions/{session}/close"), &president, json!({}))
        .await?;

    step(); // 6: session closed; the pipeline starts
    let document = wait_for(Duration::from_secs(60), "el acta generada", || async {
        let list = documents
            .get(
                &format!("/documents?session_id={session}"),
                Some(&facilitator),
            )
            .await?;
        Ok(list
            .as_array()
            .or_else(|| list["documents"].as_array())
            .and_then(|l| l.first())
            .cloned())
    })
    .await?;
    let document_id = document["id"].as_str().context("sin id")?.to_string();
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
        .unwrap_or("Acta de la sesión")
        .to_string();

    step(); // 7
    let facilitators = vec![members[SEATS.len()].clone()];
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
    let pending = route["pending"].as_array().map_or(0, Vec::len);
    if pending != SEATS.len() {
        bail!(
            "la ruta tiene {pending} firmantes pendientes, no {}",
            SEATS.len()
        );
    }

    step(); // 8: every attendee signs at once, each its own client
    let mut tasks = Vec::new();
    for credential in &credentials[..SEATS.len()] {
        let (credential, stl, route_id) = (credential.clone(), stl.clone(), route_id.clone());
        let (secretariat, signing) = (Api::new(&target.secretariat), Api::new(&target.signing));
        tasks.push(tokio::spawn(async move {
            let mut calls: Vec<(usize, Duration)> = Vec::new();
            let t = Instant::now();
            let token = fiel_login(&secretariat, &credential, &stl).await?;
            calls.push((0, t.elapsed()));
            let stale = sign_remotely(&signing, &token, &route_id, &credential, &mut calls).await?;
            anyhow::Ok((calls, stale))
        }));
    }
    let mut signer_calls = Vec::new();
    let mut stale = 0;
    for task in tasks {
        let (calls, s) = task.await.context("un firmante se interrumpió")??;
        signer_calls.extend(calls);
        stale += s;
    }

    step(); // 9
    let record = wait_for(Duration::from_secs(90), "el registro archivado", || async {
        let page = archive.get("/records?limit=100", None).await?;
        Ok(page["records"].as_array().and_then(|r| {
            r.iter()
                .find(|r| r["route_id"] == route_id.as_str())
                .cloned()
        }))
    })
    .await?;
    let pdf = archive
        .client
        .get(record["download_url"].as_str().context("sin enlace")?)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    // The client checks the signed acta as anyone may (as `rubrica demo` does).
    archive
        .client
        .post(format!("{}/verify/pdf", archive.base))
        .header("content-type", "application/pdf")
        .body(pdf.to_vec())
        .send()
        .await?
        .error_for_status()?;
    let expected = members.len();
    wait_for(Duration::from_secs(60), "las copias por correo", || async {
        let sent = mail
            .get(
                &format!("/messages?tipo=copia_firmada&asunto={route_id}&estado=enviado"),
                Some(&facilitator),
            )
            .await?;
        Ok((sent.as_array().map_or(0, Vec::len) >= expected).then_some(()))
    })
    .await?;
    let end = Instant::now();

    let marks = marks.into_inner().unwrap();
    let mut m = measures.lock().unwrap();
    if m.steps.len() == STEPS.len() {
        for (i, at) in marks.iter().enumerate() {
            let next = marks.get(i + 1).copied().unwrap_or(end);
            m.steps[i].push(next - *at);
        }
        m.pipelines.push(end - marks[5]);
        for (call, took) in signer_calls {
            m.calls[call].push(took);
        }
        m.stale_prepares += stale;
    }
    m.last_pdf = pdf.to_vec();
    Ok(())
}

/// Prepare, sign locally, complete; a stale prepare (409: someone signed
/// in between) is prepared again. Returns how many prepares were stale.
async fn sign_remotely(
    signing: &Api,
    token: &str,
    route: &str,
    credential: &Credential,
    calls: &mut Vec<(usize, Duration)>,
) -> anyhow::Result<usize> {
    for attempt in 0..30 {
        let t = Instant::now();
        let prepared = signing
            .post(
                &format!("/routes/{route}/prepare"),
                token,
                json!({ "certificate": BASE64.encode(credential.certificate().der()) }),
            )
            .await?;
        calls.push((1, t.elapsed()));
        let prepare_id = prepared["prepare_id"].as_str().context("sin prepare_id")?;
        let to_sign = BASE64.decode(prepared["to_sign"].as_str().context("sin to_sign")?)?;
        let signature = credential
            .sign_sha256(&to_sign)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let t = Instant::now();
        let (status, body) = signing
            .call(
                reqwest::Method::POST,
                &format!("/routes/{route}/complete"),
                Some(token),
                Some(json!({ "prepare_id": prepare_id, "signature": BASE64.encode(signature) })),
            )
            .await?;
        calls.push((2, t.elapsed()));
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
    bail!("la firma se preparó 30 veces y siempre alguien firmó antes")
}
