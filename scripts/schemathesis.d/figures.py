"""Per service and identity figures of a scripts/schemathesis run; exits 1
on any failure or error.

    python figures.py REPORTS_DIR EXAMPLES SEED

Reads each run's JSON report (failures by check) and NDJSON events (every
request sent and the status it got).
"""

import collections
import glob
import json
import os
import sys

reports, examples, seed = sys.argv[1], sys.argv[2], sys.argv[3]
# Schemathesis failure codes by the check that reports them.
CHECK = {
    "ST101": "5xx", "ST102": "5xx",                      # not_a_server_error
    "ST103": "estado",                                   # status_code_conformance
    "ST104": "tipo", "ST105": "tipo", "ST106": "tipo",   # content_type_conformance
    "ST107": "esquema", "ST108": "esquema", "ST109": "esquema",
    "ST110": "esquema", "ST111": "esquema",              # response_schema_conformance
}
COLUMNS = ["5xx", "estado", "tipo", "esquema", "otras", "errores"]
rows = collections.defaultdict(collections.Counter)
ops_ok = collections.defaultdict(set)
ops_all = collections.defaultdict(set)
details = []

for path in sorted(glob.glob(os.path.join(reports, "*.json"))):
    name = os.path.basename(path)[:-5]
    service, identity = name.split(".")[:2]
    key = (service, identity)
    with open(path) as f:
        report = json.load(f)
    row = rows[key]
    for failure in report.get("failures") or []:
        column = CHECK.get(failure.get("code"), "otras")
        row[column] += failure.get("count", 1)
        details.append((key, failure.get("code"), failure.get("title"), failure.get("count", 1),
                        failure.get("operations")))
    for error in report.get("errors") or []:
        row["errores"] += error.get("count", 1) if isinstance(error, dict) else 1
        details.append((key, "error", error.get("title") if isinstance(error, dict) else str(error),
                        error.get("count", 1) if isinstance(error, dict) else 1, None))
    operations = report.get("operations") or {}
    if operations.get("tested", 0) < operations.get("selected", 0):
        row["errores"] += 1
        details.append((key, "error", "operaciones sin probar: {} de {}".format(
            operations.get("selected", 0) - operations.get("tested", 0), operations.get("selected", 0)), 1, None))
    if not report.get("complete", True):
        row["errores"] += 1
        details.append((key, "error", "la corrida no terminó", 1, None))
    ndjson = path[:-5] + ".ndjson"
    if os.path.exists(ndjson):
        with open(ndjson) as f:
            for line in f:
                event = json.loads(line)
                finished = event.get("ScenarioFinished")
                if not finished:
                    continue
                recorder = finished.get("recorder") or {}
                for interaction in (recorder.get("interactions") or {}).values():
                    response = interaction.get("response")
                    operation = recorder.get("label", "?")
                    # Stateful scenarios chain operations under one label:
                    # their requests count, not as an operation of their own.
                    stateful = operation.split(" ")[0] not in ("GET", "POST", "PUT", "PATCH", "DELETE")
                    row["peticiones"] += 1
                    if not response:
                        row["sin respuesta"] += 1
                        continue
                    status = response.get("status_code", 0)
                    row[f"http{status // 100}"] += 1
                    if not stateful:
                        ops_all[key].add(operation)
                        if 200 <= status < 300:
                            ops_ok[key].add(operation)

order = {"secretariat": 0, "documents": 1, "signing": 2, "mail": 3, "archive": 4}
identities = {"anonimo": 0, "miembro": 1, "presidencia": 2, "interno": 3}
print()
print(f"schemathesis: {examples} ejemplos por operación y fase, semilla {seed}")
print("ops: operaciones probadas (con alguna respuesta 2xx); peticiones: enviadas (2xx/4xx);")
print("fallas por verificación: 5xx not_a_server_error, estado status_code_conformance,")
print("tipo content_type_conformance, esquema response_schema_conformance")
header = (f"{'servicio':<12} {'identidad':<12} {'ops':>9} {'peticiones':>10} {'2xx':>6} {'4xx':>6} "
          + " ".join(f"{c:>7}" for c in COLUMNS))
print(header)
print("-" * len(header))
totals = collections.Counter()
for key in sorted(rows, key=lambda k: (order.get(k[0], 9), identities.get(k[1], 9))):
    row = rows[key]
    ops = f"{len(ops_all[key])} ({len(ops_ok[key])})"
    print(f"{key[0]:<12} {key[1]:<12} {ops:>9} {row['peticiones']:>10} {row['http2']:>6} {row['http4']:>6} "
          + " ".join(f"{row[c]:>7}" for c in COLUMNS))
    totals.update(row)
    totals["ops"] += len(ops_all[key])
    totals["ops_ok"] += len(ops_ok[key])
print("-" * len(header))
ops = f"{totals['ops']} ({totals['ops_ok']})"
print(f"{'total':<25} {ops:>9} {totals['peticiones']:>10} {totals['http2']:>6} {totals['http4']:>6} "
      + " ".join(f"{totals[c]:>7}" for c in COLUMNS))
if totals["sin respuesta"] or totals["http5"]:
    print(f"sin respuesta: {totals['sin respuesta']}; respuestas 5xx: {totals['http5']}")
failed = sum(totals[c] for c in COLUMNS) + totals["sin respuesta"]
if details:
    print()
    print("Fallas y errores (los detalles y cómo reproducirlos están en el registro de cada corrida):")
    for (service, identity), code, title, count, operations in details:
        where = ", ".join(operations or [])
        print(f"  [{service}/{identity}] {code} {title} ×{count} {where}")
sys.exit(1 if failed else 0)
