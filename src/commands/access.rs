//! `rubrica access`: the access tables of every service as Markdown (the
//! source of `docs/access.md`).

use rubrica_platform::auth::access_table_markdown;

/// Every service's table, one section each.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Tabla de acceso\n\nQuién puede llamar a cada operación de cada servicio. Generada con `rubrica access` a partir de las tablas del código; una prueba comprueba que este archivo coincide.\n\nLas rutas `/health/*`, `/openapi.json` son públicas; las rutas `/internal/*` solo aceptan el token interno entre servicios.\n",
    );
    for spec in crate::all_specs() {
        out.push_str(&format!(
            "\n## {} (`/{}`)\n\n",
            spec.name.title(),
            spec.name
        ));
        out.push_str(&access_table_markdown(spec.name, &spec.access_table()));
    }
    out
}
