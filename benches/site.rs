//! The public site at scale (issue 18): `cargo bench --bench site`
//! (`-- RECORDS COMPLAINTS RATE SECONDS`, default `100000 10000 500 10`).
//!
//! 1. Starts the whole suite embedded (five services and the web front, one
//!    process, SQLite in a temporary folder, 2 worker threads) and creates a
//!    secretariat from the Jalisco preset through the operator's API.
//! 2. Writes RECORDS archived records of that secretariat (the rows the
//!    archive writes, without PDFs: `rubrica_archive::generated`) and
//!    COMPLAINTS questions and complaints (`inquiries`) into its databases.
//! 3. Sends RATE requests per second for SECONDS seconds, open loop (each
//!    request starts on schedule whether or not earlier ones finished), over
//!    a mix of the site's pages: home, sessions, commitments, contact, open
//!    data, the Atom feed, a random record's page and its JSON, and a random
//!    complaint's status by folio. Prints p50, p99 and the maximum, overall
//!    and per page, and the number of answers that were not 200.
//!
//! The client runs in the same process and on the same two cores as the
//! server. Reports numbers; asserts nothing about time.

mod common;
use common::{ms, percentile};

use std::time::{Duration, Instant};

use rubrica::commands::demo::{demo_settings, install_pki};
use rubrica_platform::launch::Suite;
use rubrica_platform::{Database, ServiceName};
use tokio_util::sync::CancellationToken;

const PAGES: [&str; 9] = [
    "inicio",
    "sesiones",
    "compromisos",
    "contacto",
    "datos",
    "atom",
    "registro",
    "registro.json",
    "folio",
];

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<u64>().ok());
    let records = args.next().unwrap_or(100_000);
    let complaints = args.next().unwrap_or(10_000);
    let rate = args.next().unwrap_or(500).max(1);
    let seconds = args.next().unwrap_or(10).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(records, complaints, rate, seconds));
}

async fn run(records: u64, complaints: u64, rate: u64, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let anchors = install_pki(dir.path()).unwrap();
    let mut settings = demo_settings(dir.path(), anchors, 0);
    settings.log.filter = "error".into();
    rubrica_platform::telemetry::init(&settings.log);
    let operator = settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let shared = std::sync::Arc::new(settings.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let suite = Suite::assemble(&rubrica::all_specs(), &ServiceName::ALL, settings, local)
        .await
        .unwrap();
    let suite = rubrica::with_web(suite).unwrap();
    let stop = CancellationToken::new();
    let server = tokio::spawn(suite.serve(listener, stop.clone()));
    let base = format!("http://{local}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();

    let created: serde_json::Value = client
        .post(format!("{base}/secretariat/secretariats"))
        .bearer_auth(&operator)
        .json(&serde_json::json!({ "preset": "jalisco" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secretariat = created["id"].as_str().unwrap().to_string();

    let started = Instant::now();
    let archive = Database::open(ServiceName::Archive, &shared, &rubrica_archive::MIGRATOR)
        .await
        .unwrap();
    rubrica_archive::generated::fill(&archive, &shared, records as i64, &[secretariat.as_str()])
        .await;
    let shas: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM archive_records")
        .fetch_all(archive.pool())
        .await
        .unwrap();
    let registry = Database::open(
        ServiceName::Secretariat,
        &shared,
        &rubrica_secretariat::MIGRATOR,
    )
    .await
    .unwrap();
    let slug: String = sqlx::query_scalar("SELECT slug FROM secretariats WHERE id = $1")
        .bind(&secretariat)
        .fetch_one(registry.pool())
        .await
        .unwrap();
    let folios = fill_complaints(&registry, &secretariat, complaints).await;
    println!(
        "{records} registros y {complaints} dudas y quejas generados en {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let page = |i: u64| -> (usize, String) {
        let kind = (i % PAGES.len() as u64) as usize;
        let pick = (i.wrapping_mul(2_654_435_761)) as usize;
        let site = format!("{base}/stl/{slug}");
        let url = match kind {
            0 => site,
            1 => format!("{site}/sesiones"),
            2 => format!("{site}/compromisos"),
            3 => format!("{site}/contacto"),
            4 => format!("{site}/datos"),
            5 => format!("{site}/registros.atom"),
            6 => format!("{site}/registros/{}", shas[pick % shas.len()]),
            7 => format!("{site}/registros/{}.json", shas[pick % shas.len()]),
            _ => format!(
                "{site}/dudas/folio?folio={}",
                folios[pick % folios.len().max(1)]
            ),
        };
        (kind, url)
    };
    // Warm every page once (templates, connections, SQLite's page cache).
    for i in 0..PAGES.len() as u64 {
        let (_, url) = page(i);
        let answer = client.get(&url).send().await.unwrap();
        let status = answer.status();
        let body = answer.text().await.unwrap();
        assert_eq!(status, 200, "{url}: {}", &body[..body.len().min(2000)]);
    }

    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut tasks = Vec::new();
    let sending = Instant::now();
    for i in 0..rate * seconds {
        ticker.tick().await;
        let (kind, url) = page(i * 7 + 3);
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = match client.get(&url).send().await {
                Ok(answer) => {
                    let status = answer.status();
                    let body = answer.bytes().await;
                    status == 200 && body.is_ok()
                }
                Err(_) => false,
            };
            (kind, t.elapsed(), ok)
        }));
    }
    let sent_in = sending.elapsed();
    let mut all = Vec::new();
    let mut by_page: Vec<Vec<Duration>> = vec![Vec::new(); PAGES.len()];
    let mut failures = 0;
    for task in tasks {
        let (kind, took, ok) = task.await.unwrap();
        failures += usize::from(!ok);
        all.push(took);
        by_page[kind].push(took);
    }
    all.sort();
    println!(
        "sitio público, {rate} pet/s durante {seconds} s ({} peticiones enviadas en {:.2} s), suite embebida, SQLite, 2 núcleos compartidos con el cliente:",
        all.len(),
        sent_in.as_secs_f64()
    );
    for (name, mut times) in PAGES.iter().zip(by_page) {
        times.sort();
        println!(
            "  {name:<14} p50 {:>7.2} ms  p99 {:>7.2} ms  máx {:>7.2} ms",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
        );
    }
    println!(
        "  TODAS          p50 {:>7.2} ms  p99 {:>7.2} ms  máx {:>7.2} ms  (objetivo: p99 ≤ 20 ms)",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap()),
    );
    println!("  respuestas distintas de 200: {failures}");
    stop.cancel();
    let _ = server.await;
}

/// Questions and complaints as the public files them (the columns the
/// secretariat writes), a third of them answered; returns their folios.
async fn fill_complaints(db: &Database, secretariat: &str, n: u64) -> Vec<String> {
    let mut tx = db.begin_write().await.unwrap();
    let mut folios = Vec::with_capacity(n as usize);
    for i in 0..n {
        let folio = format!("DQS-2026-{i:06X}");
        let answered = i % 3 == 0;
        sqlx::query(
            "INSERT INTO inquiries (id, secretariat_id, folio, category, body, name, email, filed_on, due_on, status, answer, answered_at, answered_by, created_at)
             VALUES ($1, $2, $3, $4, $5, NULL, NULL, '2026-11-02', '2026-11-16', $6, $7, $8, $9, $10)",
        )
        .bind(format!("dq-{i}"))
        .bind(secretariat)
        .bind(&folio)
        .bind(["duda", "queja", "sugerencia"][(i % 3) as usize])
        .bind(format!("¿Cuándo se publica el acta de la sesión {i}?"))
        .bind(if answered { "respondida" } else { "recibida" })
        .bind(answered.then_some("Se publica al completarse las firmas."))
        .bind(answered.then_some(1_796_000_000_000_i64))
        .bind(answered.then_some("facilitador"))
        .bind(1_795_000_000_000_i64 + i as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
        folios.push(folio);
    }
    tx.commit().await.unwrap();
    folios
}
