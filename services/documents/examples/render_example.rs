//! Renders one example: `cargo run -p rubrica-documents --example render_example -- KIND DATA OUT`.
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let kind = rubrica_documents::kind::DocumentKind::parse(&args[1])
        .ok_or_else(|| anyhow::anyhow!("tipo"))?;
    let data: serde_json::Value = serde_json::from_slice(&std::fs::read(&args[2])?)?;
    let t = std::time::Instant::now();
    let r = rubrica_documents::render::render(kind, &data)?;
    eprintln!("{} páginas en {:?}", r.page_count, t.elapsed());
    std::fs::write(&args[3], &r.pdf)?;
    std::fs::write(
        format!("{}.json", args[3]),
        serde_json::to_vec_pretty(&r.manifest)?,
    )?;
    Ok(())
}
