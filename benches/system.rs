//! The suite measured as one system: `cargo bench --bench system`
//! (`-- FLOWS CONCURRENCY`, default 12 flows, 4 at a time).
//!
//! The embedded suite (one process, SQLite, mail to the outbox folder) runs
//! in this process on loopback; each flow is `rubrica demo`'s whole session
//! over HTTP — a secretariat of its own, convocatoria, attendance, three
//! votes, closing, the acta rendered, approved, signed by its 7 attendees
//! through the two-step API, verified and archived, and the 11 signed
//! copies mailed. Prints the throughput (actas per second, from session
//! close to archived and mailed), the p50/p99 of each step, and the peak RSS
//! of the process. Asserts nothing about time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rubrica::commands::demo::{DemoTarget, demo_settings, install_pki, walk_through};
use rubrica_platform::ServiceName;
use rubrica_platform::launch::Suite;
use tokio_util::sync::CancellationToken;

const STEPS: [&str; 9] = [
    "1 secretariado e integrantes",
    "2 inicio de sesión FIEL",
    "3 convocatoria",
    "4 asistencia, quórum, orden del día",
    "5 tres votaciones y cierre",
    "6 acta generada y aprobada",
    "7 ruta de firma abierta",
    "8 siete firmas en dos pasos",
    "9 archivada y copias enviadas",
];

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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
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
    let mut settings = demo_settings(dir.path(), anchors, 0);
    settings.log.filter = "error".into();
    rubrica_platform::telemetry::init(&settings.log);
    let operator = settings.auth.operator_token.clone().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let suite = Suite::assemble(&rubrica::all_specs(), &ServiceName::ALL, settings, local)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let server = tokio::spawn(suite.serve(listener, stop.clone()));
    let mut target = DemoTarget::embedded(&format!("http://{local}"), &operator, dir.path());
    target.quiet = true;
    let target = Arc::new(target);

    // One flow first: warms caches (fonts, templates, connections).
    walk_through(&target, &|_| {}).await.unwrap();

    let per_step: Arc<Mutex<Vec<Vec<Duration>>>> = Arc::new(Mutex::new(vec![Vec::new(); 9]));
    let pipelines: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let started = Instant::now();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for _ in 0..flows {
        let permit = semaphore.clone().acquire_owned().await.unwrap();
        let (target, per_step, pipelines) = (target.clone(), per_step.clone(), pipelines.clone());
        tasks.push(tokio::spawn(async move {
            let marks: Mutex<Vec<(u32, Instant)>> = Mutex::new(Vec::new());
            walk_through(&target, &|step| {
                marks.lock().unwrap().push((step, Instant::now()))
            })
            .await
            .unwrap();
            let end = Instant::now();
            let marks = marks.into_inner().unwrap();
            let mut per_step = per_step.lock().unwrap();
            for (i, (step, at)) in marks.iter().enumerate() {
                let next = marks.get(i + 1).map(|(_, t)| *t).unwrap_or(end);
                per_step[(*step - 1) as usize].push(next - *at);
            }
            // Session close is the end of step 5: steps 6 to 9 are the pipeline.
            if let Some((_, close)) = marks.iter().find(|(s, _)| *s == 6) {
                pipelines.lock().unwrap().push(end - *close);
            }
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();

    println!("{flows} actas, {concurrency} a la vez, suite embebida en SQLite, 2 núcleos:");
    println!(
        "  actas por segundo (sesión completa): {:.2}",
        flows as f64 / elapsed.as_secs_f64()
    );
    let mut pipelines = pipelines.lock().unwrap().clone();
    pipelines.sort();
    let pipeline_total: Duration = pipelines.iter().sum();
    println!(
        "  de cierre de sesión a archivada y enviada: p50 {:.0} ms, p99 {:.0} ms; con {concurrency} en paralelo ≈ {:.2} actas/s",
        percentile(&pipelines, 0.5).as_secs_f64() * 1e3,
        percentile(&pipelines, 0.99).as_secs_f64() * 1e3,
        concurrency as f64 * pipelines.len() as f64 / pipeline_total.as_secs_f64().max(1e-9),
    );
    for (name, mut times) in STEPS.iter().zip(per_step.lock().unwrap().clone()) {
        times.sort();
        println!(
            "  paso {name:<38} p50 {:>7.1} ms  p99 {:>7.1} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    println!(
        "  memoria residente máxima del proceso: {} MB",
        peak_rss_mb()
    );
    stop.cancel();
    let _ = server.await;
}
