#!/usr/bin/env bash
# lighthouse.sh: Lighthouse's performance figures for one page, as an outside
# reviewer measures them, in the system Chromium.
#
#   scripts/lighthouse.sh [-n RUNS] [-m MODES] [-o DIR] URL
#   scripts/lighthouse.sh http://127.0.0.1:8080/
#   LIGHTHOUSE_RUNS=5 scripts/lighthouse.sh -m mobile http://127.0.0.1:8080/
#
# MODES (comma-separated, default "mobile,devtools,desktop"):
#
#   mobile    Lighthouse's default: a mid-range phone on slow 4G (150 ms
#             RTT, ~1.6 Mbit/s) with the CPU 4x slower, *simulated*: the page
#             loads at full speed and Lighthouse computes the figures from
#             the trace (its "Lantern" model). What PageSpeed Insights and
#             most reviews report.
#   devtools  The same profile, *applied* (--throttling-method=devtools):
#             Chromium really delays the network and slows the CPU 4x, and
#             the figures are the ones observed.
#   desktop   --preset=desktop: a desktop on a fast link, simulated.
#
# Each mode runs RUNS times (default 3, or LIGHTHOUSE_RUNS), each in a fresh
# Chromium profile: a cold visit, no service worker, empty caches. It
# prints each run's performance score, FCP, LCP, TBT, TTI, Speed Index and
# the LCP element, then the medians (the median run's LCP element). The JSON
# reports, and each run's trace and DevTools log (--save-assets: open a
# trace in DevTools' Performance panel), go to DIR (default
# bin/lighthouse/<date-time>/); bin/lighthouse/latest points at the last.
#
# Lighthouse 12.2.3 exactly (13 needs Node 22), installed once with npm
# into LIGHTHOUSE_CACHE (default ~/.cache/sspr/lighthouse-12.2.3), never into
# the repository. Chromium newer than ~M130 renamed a field of the trace's
# frame events (chrome_frame_reporter -> frame_reporter) that Lighthouse
# 12's trace engine reads, and the LCP-element audit then fails; the install
# patches that one line of the cached copy (idempotent). Should the audit
# still fail, the LCP element is taken from the trace's
# largestContentfulPaint::Candidate event.
#
# Needs node >= 18.16 and npm (the registry, once), and CHROME_PATH
# (default /usr/bin/chromium). The machine must be otherwise idle: the
# simulated figures scale whatever slowness the trace shows by 4, so a busy
# machine inflates them; the load average is printed with the results.
set -euo pipefail

version=12.2.3
runs=${LIGHTHOUSE_RUNS:-3}
modes=mobile,devtools,desktop
out=
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
}
while getopts "n:m:o:h" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    m) modes=$OPTARG ;;
    o) out=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 1 ]] || usage
url=$1
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "lighthouse: -n wants a positive number, not $runs" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
cache=${LIGHTHOUSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sspr/lighthouse-$version}
if [[ -z $out ]]; then
  out=$root/bin/lighthouse/$(date +%Y%m%d-%H%M%S)
fi

if [[ ! -x $CHROME_PATH ]]; then
  echo "lighthouse: no Chromium at $CHROME_PATH (scripts/deps.sh /usr/bin/chromium:chromium installs it)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "lighthouse: needs node (>= 18.16) and npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi

# Install once. The cache is keyed on the version; an unfinished install
# (no node_modules/.bin/lighthouse) is done again.
lh=$cache/node_modules/.bin/lighthouse
if [[ ! -x $lh ]]; then
  echo "lighthouse: installing lighthouse@$version into $cache (once)" >&2
  mkdir -p "$cache"
  [[ -f $cache/package.json ]] || echo '{"private": true}' >"$cache/package.json"
  (cd "$cache" && npm install --save-exact --no-audit --no-fund --loglevel=error "lighthouse@$version" >&2)
fi
got=$(node -p 'require(process.argv[1]).version' "$cache/node_modules/lighthouse/package.json")
if [[ $got != "$version" ]]; then
  echo "lighthouse: $cache holds lighthouse $got, not $version: remove the folder" >&2
  exit 1
fi
# The trace-engine patch (see the header).
shots=$cache/node_modules/@paulirish/trace_engine/models/trace/handlers/ScreenshotsHandler.js
if grep -q 'beginEvent.args.chrome_frame_reporter.frame_sequence' "$shots" 2>/dev/null; then
  sed -i 's/evt\.args\.data\.beginEvent\.args\.chrome_frame_reporter\.frame_sequence/(evt.args.data.beginEvent.args.chrome_frame_reporter ?? evt.args.data.beginEvent.args.frame_reporter ?? {}).frame_sequence/' "$shots"
fi

mkdir -p "$out"
ln -sfn "$(basename "$out")" "$(dirname "$out")/latest" 2>/dev/null || true
chrome_flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run"
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }

echo "Lighthouse $version, $("$CHROME_PATH" --version 2>/dev/null | head -1), $runs run(s) per mode: $url"
echo "machine: $(nproc) CPUs, load average $(load) before; reports in ${out#"$root"/}"
IFS=, read -r -a mode_list <<<"$modes"
for mode in "${mode_list[@]}"; do
  case $mode in
    mobile) extra=() ;;
    devtools) extra=(--throttling-method=devtools) ;;
    desktop) extra=(--preset=desktop) ;;
    *) echo "lighthouse: unknown mode $mode (mobile, devtools, desktop)" >&2; exit 2 ;;
  esac
  reports=()
  for i in $(seq "$runs"); do
    report=$out/$mode-$i.json
    # Lighthouse exits non-zero when Chromium fails to start or the page
    # fails to load: try again once, then give up on this run.
    for try in 1 2; do
      if "$lh" "$url" --quiet --only-categories=performance --output=json --output-path="$report" \
        --save-assets --chrome-flags="$chrome_flags" --max-wait-for-load=90000 "${extra[@]}" \
        >"$out/$mode-$i.log" 2>&1; then
        reports+=("$report")
        break
      fi
      echo "lighthouse: $mode run $i failed (try $try); its log: $out/$mode-$i.log" >&2
      tail -5 "$out/$mode-$i.log" >&2
    done
  done
  if [[ ${#reports[@]} -eq 0 ]]; then
    echo "lighthouse: every $mode run failed" >&2
    exit 1
  fi
  node - "$mode" "${reports[@]}" <<'EOF'
const fs = require("fs");
const [mode, ...files] = process.argv.slice(2);
const label = {
  mobile: "mobile, simulated throttling (Lighthouse's default)",
  devtools: "mobile, applied throttling (--throttling-method=devtools)",
  desktop: "desktop (--preset=desktop)",
}[mode];
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// The LCP element: the audit's node, or else the trace's last candidate
// for the page's navigation.
function lcpElement(r, file) {
  const a = r.audits["largest-contentful-paint-element"];
  const item = a && a.details && a.details.items && a.details.items[0];
  const node = item && item.items && item.items[0] && item.items[0].node;
  if (node) return (node.selector || "") + ": " + (node.snippet || "").slice(0, 80);
  try {
    const t = JSON.parse(fs.readFileSync(file.replace(/\.json$/, "-0.trace.json"), "utf8"));
    const c = (t.traceEvents || t).filter((e) => e.name === "largestContentfulPaint::Candidate");
    if (c.length) {
      const d = c[c.length - 1].args.data;
      return `${d.nodeName} (${d.type}, ${d.size} px², from the trace; the audit: ${a && a.errorMessage ? a.errorMessage.slice(0, 60) : "none"})`;
    }
  } catch (e) { /* no trace */ }
  return "(unknown)";
}
const rows = files.map((f) => {
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  const v = (id) => (r.audits[id] && r.audits[id].numericValue != null ? r.audits[id].numericValue : null);
  const lt = r.audits["long-tasks"];
  const tasks = lt && lt.details && lt.details.items ? lt.details.items : [];
  return {
    file: f,
    score: r.categories.performance.score == null ? null : Math.round(r.categories.performance.score * 100),
    fcp: v("first-contentful-paint"), lcp: v("largest-contentful-paint"), tbt: v("total-blocking-time"),
    tti: v("interactive"), si: v("speed-index"), cls: v("cumulative-layout-shift"),
    lcpEl: lcpElement(r, f), bench: r.environment && r.environment.benchmarkIndex,
    tasks, warnings: r.runWarnings || [],
    error: r.runtimeError && r.runtimeError.code !== "NO_ERROR" ? r.runtimeError.message : "",
  };
});
const s = (ms) => (ms == null ? "    -" : (ms / 1000).toFixed(2).padStart(5) + " s");
const line = (name, x) => `  ${name.padEnd(7)} score ${String(x.score ?? "-").padStart(3)}  FCP ${s(x.fcp)}  LCP ${s(x.lcp)}  ` +
  `TBT ${String(x.tbt == null ? "-" : Math.round(x.tbt)).padStart(5)} ms  TTI ${s(x.tti)}  SI ${s(x.si)}`;
console.log(`\n== ${label}`);
rows.forEach((x, i) => {
  console.log(line(`run ${i + 1}`, x) + `  (benchmarkIndex ${Math.round(x.bench || 0)})`);
  if (x.error) console.log(`          error: ${x.error}`);
  for (const w of x.warnings) console.log(`          warning: ${String(w).slice(0, 160)}`);
});
const med = {};
for (const k of ["score", "fcp", "lcp", "tbt", "tti", "si"]) med[k] = median(rows.map((x) => x[k]));
console.log(line("median", med));
// The run whose score is the median's (nearest), for the LCP element and
// the long tasks.
const mid = rows.slice().sort((a, b) => (a.score ?? 0) - (b.score ?? 0))[Math.floor((rows.length - 1) / 2)];
console.log(`  LCP element: ${mid.lcpEl}`);
const top = mid.tasks.slice().sort((a, b) => b.duration - a.duration).slice(0, 6)
  .map((t) => `${Math.round(t.duration)} ms at ${(t.startTime / 1000).toFixed(2)} s (${t.url === "Unattributable" ? "unattributable" : new URL(t.url).pathname})`);
if (top.length) console.log(`  longest tasks (${mode === "devtools" ? "observed" : "simulated"}): ${top.join(", ")}`);
console.log(`  report: ${mid.file}`);
EOF
done
echo
echo "machine: load average $(load) after"
