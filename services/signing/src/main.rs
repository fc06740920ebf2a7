//! Runs the signing service alone, as one process of a split deployment
//! (`rubrica serve --only signing` does the same from the launcher).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rubrica_platform::launch::run_alone(rubrica_signing::spec()).await
}
