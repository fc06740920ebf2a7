//! Public records at scale, over HTTP on loopback, SQLite in a temporary
//! folder: `cargo bench -p rubrica-archive --bench records` (`-- 100000`
//! for the number of records).
//!
//! 1. Fills the archive's tables with N records (generated metadata: the
//!    rows the archive would write, without PDFs).
//! 2. Starts the archive as a real server and sends 200 requests per
//!    second for 10 s (open loop: a request starts on schedule whether or
//!    not the previous ones finished) of public list/search queries with
//!    random filters; prints p50, p99 and the maximum.
//! 3. Downloads the full `registros.csv` export and prints its time, its
//!    size and the process's peak RSS during the export (VmHWM reset just
//!    before it through `/proc/self/clear_refs`).
//!
//! Prints a table; asserts nothing about time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rubrica_archive::MIGRATOR;
use rubrica_platform::launch::Suite;
use rubrica_platform::{Database, ServiceName};
use tokio_util::sync::CancellationToken;

fn main() {
    let records: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(records));
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

use rubrica_archive::generated::KINDS;
const SECRETARIATS: [&str; 4] = ["stl-jalisco", "stl-morelos", "stl-sinaloa", "stl-oaxaca"];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

async fn run(n: i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = rubrica_platform::testing::settings(dir.path(), None);
    settings.log.filter = "warn".into();
    rubrica_platform::telemetry::init(&settings.log);
    let started = Instant::now();
    {
        let db = Database::open(ServiceName::Archive, &Arc::new(settings.clone()), &MIGRATOR)
            .await
            .unwrap();
        rubrica_archive::generated::fill(&db, &settings, n, &SECRETARIATS).await;
    }
    println!(
        "{n} registros generados en {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let suite = Suite::assemble(
        &[rubrica_archive::spec()],
        &[ServiceName::Archive],
        settings,
        address,
    )
    .await
    .unwrap();
    let stop = CancellationToken::new();
    let server = tokio::spawn(suite.serve(listener, stop.clone()));
    let base = format!("http://{address}/archive");
    let client = reqwest::Client::new();

    // Warm the connection and SQLite's page cache once.
    client.get(format!("{base}/records")).send().await.unwrap();

    let rate = 200u64;
    let seconds = 10u64;
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut tasks = Vec::new();
    for i in 0..rate * seconds {
        ticker.tick().await;
        let kind = i % 5;
        let url = match kind {
            0 => format!("{base}/records"),
            1 => format!(
                "{base}/records?secretariat_id={}&limit=50",
                SECRETARIATS[(i % 4) as usize]
            ),
            2 => format!(
                "{base}/records?year={}&kind={}",
                2016 + (i % 11),
                KINDS[(i % 3) as usize]
            ),
            3 => format!(
                "{base}/records?folio=STL-{}-{:06}",
                2016 + (i * 7 % n as u64) % 11,
                i * 7 % n as u64
            ),
            _ => format!(
                "{base}/records?q=sesion%20ordinaria%20{}",
                i * 13 % n as u64
            ),
        };
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let response = client.get(&url).send().await.unwrap();
            let status = response.status();
            let body = response.bytes().await.unwrap();
            if status != 200 {
                eprintln!("{url}: {status} {}", String::from_utf8_lossy(&body));
            }
            (kind, t.elapsed(), status == 200)
        }));
    }
    let mut latencies = Vec::new();
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); 5];
    let mut failures = 0;
    for task in tasks {
        let (kind, took, ok) = task.await.unwrap();
        failures += usize::from(!ok);
        latencies.push(took);
        by_kind[kind as usize].push(took);
    }
    latencies.sort();
    for (label, mut times) in [
        "sin filtro",
        "secretariado",
        "año+tipo",
        "folio",
        "texto (q)",
    ]
    .into_iter()
    .zip(by_kind)
    {
        times.sort();
        println!(
            "  {label:<13} p50 {:.2} ms, p99 {:.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    println!("  respuestas distintas de 200: {failures}");
    println!(
        "lista/búsqueda a {rate} pet/s durante {seconds} s ({} peticiones): p50 {:.2} ms, p99 {:.2} ms, máx {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    let before = status_kb("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let mut response = client
        .get(format!("{base}/open-data/registros.csv"))
        .send()
        .await
        .unwrap();
    let mut bytes = 0usize;
    let mut lines = 0usize;
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let elapsed = t.elapsed();
    let peak = status_kb("VmHWM:");
    println!(
        "exportación registros.csv: {} filas, {:.1} MB en {:.2} s; RSS antes {} MB, pico durante {} MB",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        before / 1024,
        peak / 1024,
    );
    stop.cancel();
    let _ = server.await;
}
