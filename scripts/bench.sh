#!/usr/bin/env bash
# Times `hindsight build` end to end on synthetic archives and prints a
# Markdown table.
#
# usage: bash scripts/bench.sh            (from the repository root, or anywhere)
#
# What it does:
#   1. builds the release binary (`cargo build --release --bin hindsight`);
#   2. generates corpora of 1,000 and 10,000 post-mortems (and 100,000 with
#      BENCH_100K=1) with ../shared/bench/gen_corpus.py into a temporary
#      folder, each with a site.toml declaring every severity, service and
#      root-cause category the generator uses (read from the script itself),
#      so the corpora validate without findings;
#   3. times `hindsight build --root CORPUS --out FRESH_DIR` with hyperfine
#      (installed with apt-get when missing; otherwise a plain loop), a new
#      output folder per run, chosen by --prepare, so no run hard-links the
#      previous one's files;
#   4. makes one more run under /usr/bin/time -v for peak RSS and CPU time;
#   5. prints: corpus size, Markdown bytes, median/min/max wall time, peak RSS,
#      CPU (user+sys) of that run, files written and output size.
#
# Environment:
#   BENCH_100K=1     also benchmark 100,000 post-mortems (~120 MB of Markdown,
#                    several GB of output; previous outputs are deleted between
#                    its runs, outside the timed region)
#   BENCH_RUNS=N     timed runs per corpus (default 5, minimum 5)
#   BENCH_SIZES="…"  corpus sizes instead of "1000 10000" (e.g. "50" to try the script)
#   BENCH_DIR=DIR    work folder; corpora already generated there are reused
#                    and it is kept afterwards (default: a fresh temporary
#                    folder, removed on exit unless BENCH_KEEP=1)
#   BENCH_NO_HYPERFINE=1  use the plain timing loop even if hyperfine exists
#   BENCH_HUGO=1     also time Hugo on the same corpora (installed with apt-get
#                    when missing), with a minimal theme that renders each
#                    post-mortem's Markdown and one list page; without it, Hugo
#                    is timed only when already installed
#   GEN_CORPUS=PATH  the generator (default: REPO/../shared/bench/gen_corpus.py)
#   SOURCE_DATE_EPOCH  "today" for the build (default: 2026-01-01)
#
# Exits 0 with a message, benchmarking nothing, when the generator is missing.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

gen=${GEN_CORPUS:-$repo/../shared/bench/gen_corpus.py}
if [[ ! -f $gen ]]; then
    echo "bench.sh: skipping: corpus generator not found at $gen" >&2
    echo "          (expected a copy of shared/ next to the repository; or set GEN_CORPUS)" >&2
    exit 0
fi
command -v python3 >/dev/null || { echo "bench.sh: python3 is required" >&2; exit 2; }

runs=${BENCH_RUNS:-5}
if ((runs < 5)); then runs=5; fi
read -r -a sizes <<<"${BENCH_SIZES:-1000 10000}"
if [[ ${BENCH_100K:-0} == 1 ]]; then sizes+=(100000); fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}

if [[ -n ${BENCH_DIR:-} ]]; then
    work=$BENCH_DIR
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/hindsight-bench.XXXXXX")
    if [[ ${BENCH_KEEP:-0} != 1 ]]; then
        trap 'echo "bench.sh: removing $work" >&2; rm -rf "$work"' EXIT
    fi
fi
work=$(cd "$work" && pwd)

log() { echo "bench.sh: $*" >&2; }

# Installs a Debian package if possible; never fails the script.
try_install() {
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || return 1
        sudo=(sudo -n)
    fi
    log "installing $1 with apt-get"
    "${sudo[@]}" apt-get install -y -qq "$1" >/dev/null 2>&1 \
        || { "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 \
             && "${sudo[@]}" apt-get install -y -qq "$1" >/dev/null 2>&1; }
}

have_hyperfine=0
if [[ ${BENCH_NO_HYPERFINE:-0} != 1 ]]; then
    command -v hyperfine >/dev/null || try_install hyperfine || true
    command -v hyperfine >/dev/null && have_hyperfine=1
fi
[[ -x /usr/bin/time ]] || try_install time || true
have_time=0; [[ -x /usr/bin/time ]] && have_time=1
((have_hyperfine)) || log "hyperfine unavailable: timing a loop of $runs runs instead"
((have_time)) || log "/usr/bin/time unavailable: no peak RSS"

log "building the release binary"
cargo build --release --quiet --bin hindsight
bin=${CARGO_TARGET_DIR:-$repo/target}/release/hindsight
[[ $bin == /* ]] || bin=$repo/$bin
[[ -x $bin ]] || { log "no binary at $bin"; exit 2; }

# site.toml for the generator's SERVICES and CATEGORIES.
write_site_toml() {
    python3 - "$gen" >"$1" <<'PY'
import runpy, sys
g = runpy.run_path(sys.argv[1])
print('title = "hindsight benchmark archive"')
print('description = "Synthetic post-mortems from gen_corpus.py"')
print('base_url = "/"')
print('time_zone = "UTC"')
for sid, name in [("P0", "Critical"), ("P1", "Major"), ("P2", "Minor"), ("P3", "Low")]:
    print(f'\n[[severity]]\nid = "{sid}"\nname = "{name}"\ndefinition = "{name} incidents."')
for table, ids in [("service", g["SERVICES"]), ("category", g["CATEGORIES"])]:
    for i in ids:
        print(f'\n[[{table}]]\nid = "{i}"\nname = "{i}"')
PY
}

# Corpus for N post-mortems, generated once per work folder.
corpus() {
    local n=$1 root=$work/corpus-$1
    if [[ ! -f $root/.complete ]]; then
        log "generating $n post-mortems into $root"
        rm -rf "$root"
        python3 "$gen" "$n" "$root"
        write_site_toml "$root/site.toml"
        touch "$root/.complete"
    else
        log "reusing $root"
    fi
    echo "$root"
}

# Picks a fresh output folder for the next run of size N; for 100k and up
# the previous run's output is deleted first (untimed) to bound disk use.
cat >"$work/prepare.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
dir=$1 n=$2
i=$(cat "$dir/counter" 2>/dev/null || echo 0)
if ((n >= 100000)) && ((i > 0)); then rm -rf "$dir/out-$((i - 1))"; fi
echo $((i + 1)) >"$dir/counter"
echo "$dir/out-$i" >"$dir/current"
SH
chmod +x "$work/prepare.sh"

human() { python3 -c 'import sys
b = float(sys.argv[1])
for u in ["B", "KB", "MB", "GB"]:
    if b < 1024 or u == "GB": print(f"{b:.1f} {u}" if u != "B" else f"{int(b)} B"); break
    b /= 1024' "$1"; }

# Times the shell command CMD (after PREPARE each run) $runs times; prints
# "median min max" in seconds. Files go to folder OUTS.
timed() {
    local outs=$1 prepare=$2 cmd=$3
    if ((have_hyperfine)); then
        hyperfine --style basic --runs "$runs" --warmup 1 --prepare "$prepare" \
            --export-json "$outs/hyperfine.json" "$cmd" >&2
        python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["median"], r["min"], r["max"])' "$outs/hyperfine.json"
    else
        : >"$outs/times"
        for ((k = 0; k < runs; k++)); do
            bash -c "$prepare"
            local start=$(date +%s%N)
            bash -c "$cmd" >/dev/null 2>&1
            echo $(( $(date +%s%N) - start )) >>"$outs/times"
        done
        python3 -c 'import statistics, sys
t = [int(l) / 1e9 for l in open(sys.argv[1])]
print(statistics.median(t), min(t), max(t))' "$outs/times"
    fi
}

rows=()
for n in "${sizes[@]}"; do
    root=$(corpus "$n")
    md_bytes=$(find "$root/content" -name '*.md' -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    outs=$work/out-$n
    rm -rf "$outs"; mkdir -p "$outs"
    # Strings for hyperfine (run by its shell), and the same as a function here.
    prepare="$(printf '%q %q %q' "$work/prepare.sh" "$outs" "$n")"
    # Exit 1 means "built, with error-level findings": still a complete build.
    cmd="$(printf '%q build --root %q --out "$(cat %q)"; [ $? -le 1 ]' "$bin" "$root" "$outs/current")"
    prep() { "$work/prepare.sh" "$outs" "$n"; }

    # Check once that the corpus builds, and whether it has findings.
    prep
    status=0
    "$bin" build --root "$root" --out "$(cat "$outs/current")" 2>"$outs/check" || status=$?
    if ((status > 1)); then
        log "build of $n failed (exit $status):"; tail -n 20 "$outs/check" >&2; exit 1
    fi
    summary=$(tail -n 1 "$outs/check")
    if [[ $summary != *"0 errors, 0 warnings"* ]]; then
        log "note: the $n corpus does not validate cleanly: ${summary##*; }; by rule:"
        grep -oE '^[^ ]+: (error|warning)\[[a-z-]+\]' "$outs/check" | sed 's/^[^ ]* //' \
            | sort | uniq -c | sort -rn >&2 || true
    fi

    log "timing $n post-mortems ($runs runs)"
    read -r median min max < <(timed "$outs" "$prepare" "$cmd")

    # One more run for peak RSS, CPU time and the number of files written.
    prep
    out=$(cat "$outs/current")
    rss="n/a" cpu="n/a"
    if ((have_time)); then
        /usr/bin/time -v -o "$outs/time-v" "$bin" build --root "$root" --out "$out" 2>"$outs/stderr" \
            || (($? <= 1))
        rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$outs/time-v")
        rss=$(human $((rss_kb * 1024)))
        cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f s (%.2f user)", u + s, u}' "$outs/time-v")
    else
        "$bin" build --root "$root" --out "$out" 2>"$outs/stderr" || (($? <= 1))
    fi
    written=$(sed -n 's/.*(\([0-9]*\) files: \([0-9]*\) written.*/\2/p' "$outs/stderr" | tail -n 1)
    out_bytes=$(du -sb "$out" | cut -f1)

    rows+=("$(printf '| %s | %s | %.2f s | %.2f s / %.2f s | %s | %s | %s | %s |' \
        "$n" "$(human "$md_bytes")" "$median" "$min" "$max" "$rss" "$cpu" "${written:-?}" "$(human "$out_bytes")")")
    if ((n < 100000)) && [[ -z ${BENCH_DIR:-} ]]; then rm -rf "$outs"/out-*; fi
done

# The peer, side by side: Hugo renders the same content/ folder with a
# theme that does nothing but render Markdown.
hugo_rows=()
if [[ ${BENCH_HUGO:-0} == 1 ]] && ! command -v hugo >/dev/null; then try_install hugo || true; fi
if command -v hugo >/dev/null; then
    hugo_version=$(hugo version | awk '{print $2}')
    for n in "${sizes[@]}"; do
        site=$work/hugo-$n
        mkdir -p "$site/layouts/_default"
        ln -sfn "$work/corpus-$n/content" "$site/content"
        printf 'baseURL = "http://localhost/"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n' >"$site/hugo.toml"
        echo '{{ .Content }}' >"$site/layouts/_default/single.html"
        echo '{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}' >"$site/layouts/_default/list.html"
        echo '{{ range .Site.RegularPages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}' >"$site/layouts/index.html"
        outs=$work/hugo-out-$n
        rm -rf "$outs"; mkdir -p "$outs"
        prepare="$(printf '%q %q %q' "$work/prepare.sh" "$outs" "$n")"
        cmd="$(printf 'hugo --quiet --source %q --destination "$(cat %q)"' "$site" "$outs/current")"
        log "timing Hugo $hugo_version on $n post-mortems ($runs runs)"
        read -r median min max < <(timed "$outs" "$prepare" "$cmd")
        "$work/prepare.sh" "$outs" "$n"
        rss="n/a"
        if ((have_time)); then
            /usr/bin/time -v -o "$outs/time-v" hugo --quiet --source "$site" --destination "$(cat "$outs/current")"
            rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$outs/time-v")
            rss=$(human $((rss_kb * 1024)))
        fi
        hugo_rows+=("$(printf '| %s | Hugo %s | %.2f s | %.2f s / %.2f s | %s |' "$n" "$hugo_version" "$median" "$min" "$max" "$rss")")
        if [[ -z ${BENCH_DIR:-} ]]; then rm -rf "$outs"/out-*; fi
    done
fi

cpus=$(nproc 2>/dev/null || echo '?')
echo
echo "hindsight build, $runs runs per corpus, fresh output folder per run ($cpus CPUs, $(if ((have_hyperfine)); then echo hyperfine; else echo shell loop; fi))"
echo
echo "| post-mortems | Markdown | median wall | min / max | peak RSS | CPU (one run) | files written | output |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
if ((${#hugo_rows[@]})); then
    echo
    echo "| post-mortems | peer | median wall | min / max | peak RSS |"
    echo "|---:|---|---:|---:|---:|"
    printf '%s\n' "${hugo_rows[@]}"
fi
