fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pdf = std::fs::read(&args[1]).unwrap();
    let v = rubrica_fiel::Validator::new(
        rubrica_fiel::TrustStore::from_path(&args[2]).unwrap(),
        &rubrica_fiel::RevocationSource::NotConfigured,
    )
    .unwrap();
    let t = std::time::Instant::now();
    for _ in 0..200 {
        let r = rubrica_pdfsign::verify(&pdf, &v).unwrap();
        assert_eq!(r.signatures.len(), 9);
    }
    eprintln!("{:?} per verify", t.elapsed() / 200);
}
