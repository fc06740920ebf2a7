//! Renders the 20-page example acta (9 signers) in-process, 300 times in a
//! row, and reports the median time and the process's peak memory (VmHWM,
//! the high-water mark of resident memory, from /proc/self/status).
//! Targets (issue 5): median ≤ 150 ms, peak ≤ 150 MB.
//!
//! `cargo bench -p rubrica-documents --bench render` (RUBRICA_BENCH_RUNS
//! changes the number of renders).

use std::time::{Duration, Instant};

use rubrica_documents::{DocumentKind, render};

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time of the whole process (all threads), from /proc/self/stat
/// (utime + stime, in clock ticks of 10 ms).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, utime 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Main thread's time on a CPU and waiting for one (run queue), in ns,
/// from /proc/thread-self/schedstat: how much other processes slowed us.
fn schedstat() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut it = s.split_whitespace();
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MB", k as f64 / 1024.0))
        .unwrap_or_else(|| "no disponible".into())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let runs: usize = std::env::var("RUBRICA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../templates/examples/acta-20-paginas.json"
    );
    let data: serde_json::Value = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no se pudo leer {path}: {e}");
            std::process::exit(1);
        }
    };
    let before = status_kib("VmHWM:");
    let cpu_before = process_cpu();
    let sched_before = schedstat();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut first_hash = None;
    let mut pages = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let rendered = match render(DocumentKind::Acta, &data) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("no se pudo generar el acta: {e}");
                std::process::exit(1);
            }
        };
        times.push(start.elapsed());
        pages = rendered.page_count;
        match &first_hash {
            None => first_hash = Some(rendered.sha256.clone()),
            Some(h) if *h != rendered.sha256 => {
                eprintln!("dos generaciones dieron bytes distintos");
                std::process::exit(1);
            }
            Some(_) => {}
        }
    }
    let cpu = process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let waited = schedstat()
        .zip(sched_before)
        .map(|((_, w1), (_, w0))| Duration::from_nanos(w1.saturating_sub(w0)));
    let first = times[0];
    times.sort();
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    let max = times[times.len() - 1];
    println!("acta de ejemplo: {pages} páginas, 9 firmantes; {runs} generaciones seguidas");
    println!(
        "  primera (con carga de fuentes): {:.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "  mediana: {:.1} ms   p90: {:.1} ms   máxima: {:.1} ms   (meta: mediana ≤ 150 ms)",
        median.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    if let Some(cpu) = cpu {
        println!(
            "  tiempo de CPU por generación (promedio, todos los hilos): {:.1} ms",
            cpu.as_secs_f64() * 1e3 / runs as f64
        );
    }
    if let Some(waited) = waited {
        println!(
            "  espera por CPU ocupada por otros procesos (promedio): {:.1} ms por generación",
            waited.as_secs_f64() * 1e3 / runs as f64
        );
    }
    println!(
        "  memoria residente máxima (VmHWM): {} al empezar, {} al terminar; residente ahora (VmRSS): {}   (meta: ≤ 150 MB)",
        mib(before),
        mib(status_kib("VmHWM:")),
        mib(status_kib("VmRSS:"))
    );
}
