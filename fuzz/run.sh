#!/usr/bin/env bash
# Runs each fuzz target for MINUTES minutes, one after the other, on one core,
# and prints libFuzzer's final figures per target (executions, coverage,
# features, crashes found).
#
#   fuzz/run.sh MINUTES [TARGET...]
#
# Targets: pdf_reader pdf_verify (the PDF reader and verifier), certificate
# (the certificate parser and validation), sat_key (the `.key` decrypter), cms
# (the CMS SignedData parser), layout_manifest (the layout JSON) and
# handover_sniff (the handover upload sniffer: a name line, then the content).
#
# FUZZ_ARGS adds libFuzzer options, e.g. FUZZ_ARGS=-len_control=0 to try long
# inputs from the start.
#
# The seeds are the project's own files: PDFs in corpus/pdf_reader (an acta,
# its signable revision and a signed one, with classic and stream
# cross-references) for both PDF targets, and corpus/TARGET for the others
# (SAT's test certificates and keys, the test CA's, the signed PDFs' CMS, the
# 20-page acta's layout, handover files);
# what libFuzzer adds goes to work/TARGET, crashes to artifacts/TARGET, the full
# output to logs/TARGET.log — all ignored by git.
#
# cargo-fuzz passes nightly-only flags to rustc; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them. The build has debug assertions on (an integer
# overflow is a crash too) and no sanitizer: the code is safe Rust, and plain
# builds run several times more inputs per second.
set -euo pipefail

minutes=${1:?usage: fuzz/run.sh MINUTES [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(pdf_reader pdf_verify certificate sat_key cms layout_manifest handover_sniff)
fi

cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/rubrica-fuzz-target}
flags=(--fuzz-dir fuzz --sanitizer none --debug-assertions)

summary=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/work/$target" "fuzz/artifacts/$target" fuzz/logs
    log="fuzz/logs/$target.log"
    cargo fuzz build "${flags[@]}" "$target"
    status=0
    # One job, one worker: the machine is shared.
    case $target in
        pdf_reader | pdf_verify) seeds=fuzz/corpus/pdf_reader extra=(-max_len=1048576 -dict=fuzz/pdf.dict) ;;
        *) seeds=fuzz/corpus/$target extra=(-max_len=65536) ;;
    esac
    cargo fuzz run "${flags[@]}" "$target" "fuzz/work/$target" "$seeds" -- \
        -max_total_time=$(awk "BEGIN { printf \"%d\", $minutes * 60 }") \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -timeout=20 "${extra[@]}" \
        -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    last_line=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1 || true)
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    crashes=$(find "fuzz/artifacts/$target" -type f | wc -l)
    summary+=("$target: ${minutes} min, exit $status, executions ${execs:-?}, ${done_line:-$last_line}, artifacts $crashes")
done

echo
for line in "${summary[@]}"; do
    echo "$line"
done
