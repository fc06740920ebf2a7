//! Runs the secretariat service alone, as one process of a split deployment
//! (`rubrica serve --only secretariat` does the same from the launcher).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rubrica_platform::launch::run_alone(rubrica_secretariat::spec()).await
}
