#!/usr/bin/env bash
# Compile-time benchmark: what `#[derive(Model)]` costs a user's build, beside Diesel 2.3 and
# SeaORM 2.0, on one schema of N models (see gen.sh for the schema and the generated code).
#
#   benches/compile-time/run.sh                       # N = 10 40 80, the three ORMs
#   SIZES="10 40" ORMS="ours seaorm" benches/compile-time/run.sh
#
# Environment: SIZES (default "10 40 80", each >= 2), ORMS (default "ours diesel seaorm"),
# RUNS (timed runs per measure, default 3; the median is reported), ORM_REV (a git revision,
# e.g. HEAD: `ours` builds orm-core from a snapshot of that commit, taken with `git archive`
# into target/compile-bench/src-<commit>/, instead of from the work tree, which may be in the
# middle of an edit; unset: the work tree).
#
# For each ORM it generates a workspace under target/compile-bench/<orm>/ with one binary
# crate n<N> per size (src/main.rs, src/models.rs, and src/schema.rs for Diesel); the crates
# of a workspace share its target directory, so the dependencies build once per ORM (the first
# run downloads and builds Diesel's and SeaORM's, which takes a while). Then, per crate:
#   clean   = `cargo clean -p n<N>` (dependencies stay built: checked), then `cargo build`
#   rebuild = `touch src/models.rs`, then `cargo build`
#   check   = `touch src/models.rs`, then `cargo check`
# and the number of LLVM functions the crate defines (`--emit=llvm-ir`, one codegen unit):
# those the binary compiles, and all of its items (`-C link-dead-code`: the per-model code).
# Before each timed command an untimed one makes sure the dependencies are up to date (orm-core
# is a path dependency: an edit to it is rebuilt there, not in the timing).
# The markdown table is printed and written to target/compile-bench/results.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=gen.sh
source "$HERE/gen.sh"

SIZES=${SIZES:-"10 40 80"}
ORMS=${ORMS:-"ours diesel seaorm"}
RUNS=${RUNS:-3}
ORM_REV=${ORM_REV:-}
BENCH=$ROOT/target/compile-bench

read -r -a sizes <<<"$SIZES"
read -r -a orms <<<"$ORMS"
((${#sizes[@]} > 0)) || { echo "SIZES is empty" >&2; exit 2; }
for n in "${sizes[@]}"; do
    [[ $n =~ ^[0-9]+$ ]] && ((n >= 2)) || { echo "SIZES: '$n' is not a number >= 2" >&2; exit 2; }
done
for orm in "${orms[@]}"; do
    case $orm in ours | diesel | seaorm) ;; *) echo "ORMS: unknown '$orm' (ours, diesel, seaorm)" >&2; exit 2 ;; esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS: '$RUNS' is not a positive number" >&2; exit 2; }

# Cargo's defaults for a dev build (incremental on), nothing printed but errors in the logs.
unset CARGO_INCREMENTAL CARGO_BUILD_INCREMENTAL CARGO_BUILD_TARGET_DIR
export CARGO_TERM_QUIET=true CARGO_TERM_COLOR=never

label() { case $1 in ours) echo ours ;; diesel) echo Diesel ;; seaorm) echo SeaORM ;; esac; }
now() { date +%s.%N; }
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
        END { if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# put FILE: stdin into FILE, leaving FILE (and its mtime) alone when unchanged.
put() {
    local tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if [[ -f $1 ]] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 644 "$tmp"; mv "$tmp" "$1"; fi
}

# cg ARGS...: cargo ARGS in the current ORM's workspace ($WS), output to $LOG; on failure,
# the end of the log and exit.
cg() {
    if ! (cd "$WS" && cargo "$@") >"$LOG" 2>&1; then
        echo "error: cargo $* failed in $WS; the end of $LOG:" >&2
        tail -n 60 "$LOG" >&2
        exit 1
    fi
}

# timed ARGS...: cg ARGS, its wall-clock seconds in $T.
timed() {
    local t0 t1
    t0=$(now)
    cg "$@"
    t1=$(now)
    T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# The crate's own artifacts in the target dir (what `cargo clean -p` must remove, and all it
# may remove), listed for a comparison.
own_artifact() { [[ $1 == n$2 || $1 == n$2.d || $1 == n$2-* || $1 == libn$2-* ]]; }
list_others() {
    local n=$1 d f
    for d in "$TD"/debug "$TD"/debug/deps "$TD"/debug/.fingerprint "$TD"/debug/build "$TD"/debug/incremental; do
        [[ -d $d ]] || continue
        for f in "$d"/*; do
            [[ -e $f ]] || continue
            own_artifact "$(basename "$f")" "$n" || echo "$f"
        done
    done | sort
}

# clean_crate N: the crate's own artifacts away, the dependencies' kept.
clean_crate() {
    local n=$1
    if [[ ${CLEAN_MODE[$ORM]} == cargo ]]; then
        cg clean -p "n$n"
    else
        rm -rf "$TD"/debug/n"$n" "$TD"/debug/n"$n".d "$TD"/debug/deps/n"$n"-* "$TD"/debug/deps/libn"$n"-* \
            "$TD"/debug/.fingerprint/n"$n"-* "$TD"/debug/build/n"$n"-* "$TD"/debug/incremental/n"$n"-*
    fi
}

# verify_clean N: does `cargo clean -p nN` keep the dependencies? Sets CLEAN_MODE[$ORM] to
# "cargo" if so, else "rm" (remove only the crate's own artifacts). Checked twice: no file of
# another package goes away, and the build after it compiles the crate alone.
verify_clean() {
    local n=$1 before after gone compiled
    before=$(list_others "$n")
    cg clean -p "n$n"
    after=$(list_others "$n")
    gone=$(comm -23 <(echo "$before") <(echo "$after") | grep -c . || true)
    (cd "$WS" && CARGO_TERM_QUIET=false cargo build -p "n$n") >"$LOG" 2>&1 || { tail -n 60 "$LOG" >&2; exit 1; }
    compiled=$(grep -E '^ +Compiling ' "$LOG" | sed -E 's/^ +Compiling ([^ ]+).*/\1/' | sort -u | tr '\n' ' ')
    if ((gone == 0)) && [[ $compiled == "n$n " ]]; then
        CLEAN_MODE[$ORM]=cargo
        log "  cargo clean -p n$n keeps the dependencies ($(echo "$before" | grep -c .) of their artifacts kept; the build after it compiled: $compiled)"
    else
        CLEAN_MODE[$ORM]=rm
        log "  cargo clean -p n$n removed $gone artifacts of other packages (rebuilt: $compiled): removing the crate's own artifacts instead"
    fi
}

# llvm_functions N: the functions the crate defines in LLVM IR (one codegen unit, so that each
# counts once): FNS[$ORM,N], those this binary compiles (reachable from main: a binary's unused
# impls are not code-generated), and FNS_ALL[$ORM,N], all of its items (-C link-dead-code,
# as a library would compile them: the per-model code size).
llvm_functions() {
    local n=$1 tmp
    tmp=$(mktemp -d)
    cg rustc -p "n$n" -- --emit="llvm-ir=$tmp/main.ll" -C codegen-units=1
    FNS[$ORM,$n]=$(grep -c '^define' "$tmp/main.ll" || true)
    cg rustc -p "n$n" -- --emit="llvm-ir=$tmp/all.ll" -C codegen-units=1 -C link-dead-code
    FNS_ALL[$ORM,$n]=$(grep -c '^define' "$tmp/all.ll" || true)
    rm -rf "$tmp"
}

declare -A RES FNS FNS_ALL CLEAN_MODE
start=$(now)
log "compile-time benchmark: ORMS=\"${orms[*]}\" SIZES=\"${sizes[*]}\" RUNS=$RUNS ($(rustc --version))"

# Where `ours` takes orm-core from: the work tree, or a snapshot of ORM_REV.
ORM_SRC=$ROOT
if [[ -n $ORM_REV && " ${orms[*]} " == *" ours "* ]]; then
    sha=$(git -C "$ROOT" rev-parse --verify "$ORM_REV^{commit}")
    ORM_SRC=$BENCH/src-${sha:0:12}
    if [[ ! -f $ORM_SRC/orm-core/Cargo.toml ]]; then
        rm -rf "$ORM_SRC.tmp"
        mkdir -p "$ORM_SRC.tmp"
        git -C "$ROOT" archive --format=tar "$sha" | tar -x -C "$ORM_SRC.tmp"
        mv "$ORM_SRC.tmp" "$ORM_SRC"
    fi
    log "ours: orm-core of $ORM_REV ($(git -C "$ROOT" log -1 --format='%h %s' "$sha" | cut -c1-60)), in ${ORM_SRC#"$ROOT"/}"
fi

for ORM in "${orms[@]}"; do
    WS=$BENCH/$ORM
    TD=$WS/target
    LOG=$WS/cargo.log
    export CARGO_TARGET_DIR=$TD
    mkdir -p "$WS"
    # ours: the versions of the repository's lock file, to begin with.
    if [[ $ORM == ours && ! -f $WS/Cargo.lock && -f $ROOT/Cargo.lock ]]; then cp "$ROOT/Cargo.lock" "$WS/Cargo.lock"; fi

    # 1. The workspace and its crates.
    gen_workspace_manifest "${sizes[@]}" | put "$WS/Cargo.toml"
    for n in "${sizes[@]}"; do
        mkdir -p "$WS/n$n/src"
        gen_crate_manifest "n$n" "$ORM" "$ORM_SRC" | put "$WS/n$n/Cargo.toml"
        "gen_${ORM}_main" | put "$WS/n$n/src/main.rs"
        "gen_${ORM}_models" "$n" | put "$WS/n$n/src/models.rs"
        if [[ $ORM == diesel ]]; then gen_diesel_schema "$n" | put "$WS/n$n/src/schema.rs"; fi
    done

    # 2. Warm-up: the dependencies built (for build and check), and `cargo clean -p` checked.
    log "$(label "$ORM"): building the dependencies (the first time takes a while)"
    t0=$(now)
    for n in "${sizes[@]}"; do
        cg build -p "n$n"
        cg check -p "n$n"
    done
    log "  done in $(fmt2 "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')") s"
    verify_clean "${sizes[0]}"

    # 3. The measures, and 4. the LLVM functions.
    for n in "${sizes[@]}"; do
        declare -a clean=() rebuild=() check=()
        for ((r = 1; r <= RUNS; r++)); do
            cg build -p "n$n" # up to date (orm-core may have been edited meanwhile)
            clean_crate "$n"
            timed build -p "n$n"
            clean+=("$T")

            touch "$WS/n$n/src/models.rs"
            timed build -p "n$n"
            rebuild+=("$T")

            cg check -p "n$n"
            touch "$WS/n$n/src/models.rs"
            timed check -p "n$n"
            check+=("$T")
        done
        RES[$ORM,$n,clean]=$(median "${clean[@]}")
        RES[$ORM,$n,rebuild]=$(median "${rebuild[@]}")
        RES[$ORM,$n,check]=$(median "${check[@]}")
        llvm_functions "$n"
        log "  $(label "$ORM") n$n: clean ${clean[*]} / rebuild ${rebuild[*]} / check ${check[*]} s; LLVM functions ${FNS[$ORM,$n]} (all items ${FNS_ALL[$ORM,$n]})"
    done
done

# 5. The report.
report() {
    local header="" sep="|---|" metric n orm cell ratios o lo hi g
    for metric in clean rebuild check; do
        header+=" $metric:"
        for orm in "${orms[@]}"; do header+=" $(label "$orm") /"; done
        header="${header% /} |"
        sep+="---|"
    done
    echo "| N |$header"
    echo "$sep"
    for n in "${sizes[@]}"; do
        printf '| %s |' "$n"
        for metric in clean rebuild check; do
            cell=""
            for orm in "${orms[@]}"; do cell+=" $(fmt2 "${RES[$orm,$n,$metric]}") s /"; done
            cell=${cell% /}
            ratios=""
            if [[ " ${orms[*]} " == *" ours "* ]]; then
                for o in seaorm diesel; do
                    [[ " ${orms[*]} " == *" $o "* ]] || continue
                    ratios+="${ratios:+, }ours/$(label "$o") $(awk -v a="${RES[ours,$n,$metric]}" -v b="${RES[$o,$n,$metric]}" 'BEGIN { printf "%.2f", a / b }')"
                done
            fi
            [[ -n $ratios ]] && cell+=" ($ratios)"
            printf '%s |' "$cell"
        done
        echo
    done

    lo=$(printf '%s\n' "${sizes[@]}" | sort -n | head -n1)
    hi=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -n1)
    if ((hi > lo)); then
        echo
        for orm in "${orms[@]}"; do
            for metric in clean rebuild check; do
                awk -v o="$(label "$orm")" -v m="$metric" -v lo="$lo" -v hi="$hi" \
                    -v a="${RES[$orm,$lo,$metric]}" -v b="${RES[$orm,$hi,$metric]}" 'BEGIN {
                        g = b / a; s = hi / lo
                        printf "growth %s %s %d->%d: %.1fx for %gx the models (%.2f of linear)\n", o, m, lo, hi, g, s, g / s }'
            done
        done
    fi

    echo
    header="| N | LLVM functions of the binary (from main):"
    for orm in "${orms[@]}"; do header+=" $(label "$orm") /"; done
    header="${header% /} | all the crate's items (-C link-dead-code):"
    for orm in "${orms[@]}"; do header+=" $(label "$orm") /"; done
    echo "${header% /} |"
    echo "|---|---|---|"
    for n in "${sizes[@]}"; do
        cell=""
        for orm in "${orms[@]}"; do cell+=" ${FNS[$orm,$n]} /"; done
        cell="${cell% /} |"
        for orm in "${orms[@]}"; do cell+=" ${FNS_ALL[$orm,$n]} /"; done
        echo "| $n |${cell% /} |"
    done
    if ((hi > lo)); then
        echo
        for orm in "${orms[@]}"; do
            awk -v o="$(label "$orm")" -v lo="$lo" -v hi="$hi" -v a="${FNS[$orm,$lo]}" -v b="${FNS[$orm,$hi]}" \
                -v c="${FNS_ALL[$orm,$lo]}" -v d="${FNS_ALL[$orm,$hi]}" \
                'BEGIN { printf "llvm %s %d->%d: %.1f functions per model added (all items: %.1f)\n", o, lo, hi, (b - a) / (hi - lo), (d - c) / (hi - lo) }'
        done
    fi
}

echo
report | tee "$BENCH/results.md"
echo
log "whole run: $(fmt2 "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')") s (results in ${BENCH#"$ROOT"/}/results.md)"
