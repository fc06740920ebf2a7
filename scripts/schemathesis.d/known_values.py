"""Writes a schemathesis.toml whose dictionaries hold ids that exist in the
seeded suite, so path parameters are, half of the time, a real secretariat,
session, member, document, route, handover, record or message (the other
half stays generated: unknown, malformed, hostile).

    python known_values.py BASE_URL TOKEN OUT.toml
"""

import json
import re
import sys
import urllib.request

base, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
ids, hashes, seats = set(), set(), set()


def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except Exception as error:  # a listing that fails only means fewer known ids
        print(f"known_values: {path}: {error}", file=sys.stderr)
        return None


def walk(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            walk(v, k)
    elif isinstance(value, list):
        for v in value:
            walk(v, key)
    elif isinstance(value, str):
        if UUID.match(value):
            ids.add(value)
        elif HEX64.match(value):
            hashes.add(value)
        elif key in ("seat", "seat_key", "key") and re.match(r"^[a-z_]+$", value):
            seats.add(value)


me = get("/secretariat/auth/me") or {}
walk(me)
secretariat = me.get("secretariat_id")
paths = ["/documents/documents", "/signing/routes", "/archive/handovers", "/archive/records",
         "/mail/messages", "/archive/log/entries", "/secretariat/auth/api-tokens"]
if secretariat:
    paths += [f"/secretariat/secretariats/{secretariat}{tail}" for tail in
              ("", "/members", "/sessions", "/seats", "/terms", "/agreements", "/calls")]
for path in paths:
    walk(get(path))


def toml_list(values):
    return "[" + ", ".join(json.dumps(v) for v in sorted(values)) + "]"


with open(out, "w") as f:
    f.write("# Written by scripts/schemathesis.d/known_values.py for one run.\n")
    f.write(f"[dictionaries.ids]\nvalues = {toml_list(ids or {'00000000-0000-0000-0000-000000000000'})}\n\n")
    f.write(f"[dictionaries.hashes]\nvalues = {toml_list(hashes or {'0' * 64})}\n\n")
    f.write(f"[dictionaries.seats]\nvalues = {toml_list(seats or {'ejecutivo'})}\n\n")
    f.write("[parameters]\n")
    f.write('"path.id" = { dictionary = "ids", probability = 0.5 }\n')
    f.write('"path.sha256" = { dictionary = "hashes", probability = 0.5 }\n')
    f.write('"path.seat" = { dictionary = "seats", probability = 0.5 }\n')
print(f"known_values: {len(ids)} ids, {len(hashes)} hashes, {len(seats)} seats", file=sys.stderr)
