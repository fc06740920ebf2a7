//! Runs the archive service alone, as one process of a split deployment
//! (`rubrica serve --only archive` does the same from the launcher).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rubrica_platform::launch::run_alone(rubrica_archive::spec()).await
}
