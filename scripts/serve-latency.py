#!/usr/bin/env python3
"""Measures `hindsight serve`'s edit-to-reload latency on a site.

usage: scripts/serve-latency.py ROOT [N]            (edits files in ROOT!)
       scripts/serve-latency.py --copy ROOT [N]     (edits a temporary copy)
       scripts/serve-latency.py --generate COUNT [N]

Starts the release binary (`target/release/hindsight serve --root ROOT
--port 0`, built with `cargo build --release` when missing or with
--rebuild), waits for its `Serving …` line and for the first search index,
opens the server-sent event stream `/__hindsight/events`, then N times
(default 30):

  1. picks a post-mortem (rotating over --files of them, spread across
     content/) and writes it with a new unique marker sentence appended to
     its body; t0 is taken right before the write;
  2. waits for the next `reload` event (t1);
  3. GETs the incident's page `/incidents/<id>/` until it holds the marker
     (t2; a page without it is fetched again after the next reload event);
  4. sleeps --pause seconds (default 0.3).

Prints the median and 90th percentile (nearest rank) of t1 - t0 ("save to
reload event") and t2 - t0 ("save to page served with the change"), in ms,
and of the rebuild times from the server's `Rebuilt … in N ms` lines.

Every edited file gets its original text back at the end (after the server
stops), but run it on a copy all the same (`cp -r`, or --copy): an
interrupted run can leave a marker behind.

--generate COUNT writes a fresh corpus of COUNT post-mortems into a new
temporary folder with ../shared/bench/gen_corpus.py (or GEN_CORPUS) and
benches/corpus-site.toml as its site.toml; the folder is removed afterwards
unless --keep.

Python 3.11 standard library only. Exits 0 after a complete run, 1 when an
edit was not seen in time (or the server died), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parent.parent
SERVING = re.compile(r"^Serving (http://\S+) ")
REBUILT = re.compile(r"^Rebuilt after (.+) in (\d+) ms \((\d+) revalidated\)")
INDEXED = re.compile(r"^Search index rebuilt: (\d+) post-mortems? in (\d+) ms")


def log(message: str) -> None:
    print(f"serve-latency: {message}", file=sys.stderr, flush=True)


def fail(message: str, code: int = 1) -> NoReturn:
    log(f"error: {message}")
    sys.exit(code)


# ---- the site -----------------------------------------------------------------


def slug(text: str) -> str:
    """hindsight's `markdown::slug`: letters and digits lowercased, other
    runs one `-`, none at the ends."""
    out: list[str] = []
    for c in text:
        if c.isalnum():
            out.append(c.lower())
        elif out and out[-1] != "-":
            out.append("-")
    while out and out[-1] == "-":
        out.pop()
    return "".join(out)


def page_path(relative: Path) -> str:
    """`2019/x.md` (below content/) -> `incidents/2019/x/`, as
    `post_mortem::id_for`."""
    parts = [slug(p) for p in relative.parts[:-1]] + [slug(relative.stem)]
    return "incidents/" + "/".join(p or "untitled" for p in parts) + "/"


def post_mortems(root: Path) -> list[Path]:
    """Post-mortems below content/, as hindsight finds them (skipping names
    that start with `_` or `.`), relative to content/, sorted."""
    content = root / "content"
    found = []
    for dirpath, dirnames, filenames in os.walk(content):
        dirnames[:] = [d for d in dirnames if not d.startswith(("_", "."))]
        for name in filenames:
            if name.endswith(".md") and not name.startswith(("_", ".")):
                found.append(Path(dirpath, name).relative_to(content))
    return sorted(found)


def pick(files: list[Path], k: int) -> list[Path]:
    """k files spread evenly over the sorted list (so over the years)."""
    k = max(1, min(k, len(files)))
    return [files[(i * len(files)) // k] for i in range(k)]


def generate(count: int, gen: Path, into: Path) -> None:
    if not gen.is_file():
        fail(f"corpus generator not found at {gen} (set GEN_CORPUS or --gen)", 2)
    log(f"generating {count} post-mortems into {into}")
    subprocess.run([sys.executable, str(gen), str(count), str(into)], check=True)
    if not (into / "content").is_dir():
        fail(f"{gen} wrote no content/ folder into {into}")
    shutil.copyfile(REPO / "benches" / "corpus-site.toml", into / "site.toml")


# ---- the server ---------------------------------------------------------------


def binary(rebuild: bool) -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    path = target / "release" / "hindsight"
    if rebuild or not path.is_file():
        log("building the release binary (cargo build --release --bin hindsight)")
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "--bin", "hindsight"],
            cwd=REPO,
            check=True,
        )
    if not path.is_file():
        fail(f"no binary at {path} after cargo build", 2)
    return path


class Server:
    """`hindsight serve` with its output lines read by threads."""

    def __init__(self, exe: Path, root: Path, extra: list[str]):
        self.lines: "queue.Queue[tuple[float, str]]" = queue.Queue()
        self.rebuilt: list[tuple[float, int, str]] = []  # (time, ms, what)
        self.indexed: list[tuple[float, int]] = []  # (time, ms)
        self.stderr: list[str] = []
        self.url = ""
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--root", str(root), "--port", "0", *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env={**os.environ, "NO_COLOR": "1"},
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            now = time.perf_counter()
            line = line.rstrip("\n")
            if m := REBUILT.match(line):
                self.rebuilt.append((now, int(m[2]), m[1]))
            elif m := INDEXED.match(line):
                self.indexed.append((now, int(m[2])))
            self.lines.put((now, line))

    def _read_stderr(self) -> None:
        assert self.proc.stderr
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                fail(f"no `Serving` line within {timeout:.0f} s; stderr:\n" + "\n".join(self.stderr[-20:]))
            if m := SERVING.match(line):
                self.url = m[1] if m[1].endswith("/") else m[1] + "/"
                log(line)
                return
            if self.proc.poll() is not None:
                fail(f"the server exited ({self.proc.returncode}); stderr:\n" + "\n".join(self.stderr[-20:]))

    def wait_indexed(self, timeout: float) -> None:
        """Waits for the first search index, so its CPU time is not spent
        during the first edits."""
        deadline = time.monotonic() + timeout
        while not self.indexed and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"the server exited ({self.proc.returncode})")
            time.sleep(0.05)
        if self.indexed:
            log(f"first search index built in {self.indexed[0][1]} ms")
        else:
            log(f"no search index after {timeout:.0f} s; measuring anyway")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Events:
    """The `/__hindsight/events` stream, read by a thread: each `reload`
    event as (receipt time, generation)."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=None)
        self.conn.request("GET", parts.path + "__hindsight/events", headers={"Accept": "text/event-stream"})
        response = self.conn.getresponse()
        if response.status != 200:
            fail(f"GET {parts.path}__hindsight/events answered {response.status}")
        self.response = response
        self.reloads: "queue.Queue[tuple[float, int]]" = queue.Queue()
        self.closed = threading.Event()
        self.closing = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event, data = "message", []
        try:
            while True:
                raw = self.response.readline()
                now = time.perf_counter()
                if not raw:
                    break
                line = raw.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if event == "reload" and data:
                        self.reloads.put((now, int("\n".join(data))))
                    event, data = "message", []
                elif line.startswith(":"):
                    continue  # keep-alive comment
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "event":
                        event = value
                    elif field == "data":
                        data.append(value)
        except Exception as e:  # noqa: BLE001 - the stream ends with close()
            if not self.closing:
                log(f"the event stream broke: {e!r}")
        finally:
            self.closed.set()

    def next_after(self, generation: int, timeout: float) -> tuple[float, int] | None:
        """The first reload event with a generation above `generation`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                at, gen = self.reloads.get(timeout=left)
            except queue.Empty:
                return None
            if gen > generation:
                return at, gen

    def drain(self) -> list[int]:
        seen = []
        while True:
            try:
                seen.append(self.reloads.get_nowait()[1])
            except queue.Empty:
                return seen

    def close(self) -> None:
        self.closing = True
        if self.conn.sock is not None:
            try:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conn.close()


class Pages:
    """GETs over one kept-alive connection, reconnecting when it drops."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.base = parts.hostname, parts.port, parts.path
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, str]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request("GET", self.base + urllib.parse.quote(path))
                response = self.conn.getresponse()
                return response.status, response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def settle(pages: Pages, events: Events, path: str, marker: str, generation: int, limit: float = 600) -> int:
    """After a missed edit: waits (unmeasured) until the page shows the
    marker, then returns the latest generation seen."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status, body = pages.get(path)
        if status == 200 and marker in body:
            break
        time.sleep(0.5)
    else:
        fail(f"the server did not catch up with an edit of {path} within {limit:.0f} s")
    time.sleep(0.5)
    return max([generation, *events.drain()])


# ---- figures ------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"median {statistics.median(values):7.1f}  p90 {percentile(values, 90):7.1f}"
        f"  min {min(values):7.1f}  max {max(values):7.1f}"
    )


# ---- the run ------------------------------------------------------------------


def measure(args: argparse.Namespace, root: Path) -> int:
    files = post_mortems(root)
    if not files:
        fail(f"no post-mortems under {root / 'content'}", 2)
    chosen = pick(files, args.files)
    originals = {f: (root / "content" / f).read_text(encoding="utf-8") for f in chosen}
    exe = binary(args.rebuild)
    extra = ["--poll"] if args.poll else []
    log(f"{len(files)} post-mortems in {root}; editing {len(chosen)} of them, {args.edits} edits")
    load_before = os.getloadavg()

    server = Server(exe, root, extra)
    rows: list[dict] = []
    missed = 0
    try:
        server.wait_ready(args.startup_timeout)
        server.wait_indexed(args.startup_timeout)
        events = Events(server.url)
        first = events.next_after(-1, 10)
        if first is None:
            fail("the event stream sent no first `reload` event (the current generation) within 10 s")
        generation = first[1]
        pages = Pages(server.url)
        for f in chosen:
            status, _ = pages.get(page_path(f))
            if status != 200:
                fail(f"GET {page_path(f)} for content/{f} answered {status}")
        rebuilt_from = len(server.rebuilt)
        indexed_from = len(server.indexed)
        run = uuid.uuid4().hex[:8]
        stale_total = 0
        started = time.perf_counter()

        for i in range(args.warmup + args.edits):
            f = chosen[i % len(chosen)]
            marker = f"Latency marker M{run}x{i} was added by serve-latency."
            text = originals[f].rstrip("\n") + f"\n\n{marker}\n"
            path = root / "content" / f
            extra_events = events.drain()
            if extra_events:
                generation = max(generation, *extra_events)

            t0 = time.perf_counter()
            if args.rename:
                temp = path.with_name(f".{path.name}.latency.tmp")
                temp.write_text(text, encoding="utf-8")
                os.replace(temp, path)
            else:
                path.write_text(text, encoding="utf-8")

            got = events.next_after(generation, args.timeout)
            if got is None:
                missed += 1
                log(f"edit {i}: no reload event within {args.timeout} s after writing content/{f}")
                if server.proc.poll() is not None or events.closed.is_set():
                    fail("the server or its event stream is gone")
                # Let the server catch up, so that the next edit's first
                # reload event is its own and not this one's.
                generation = settle(pages, events, page_path(f), marker, generation)
                continue
            t1, generation = got
            stale = 0
            deadline = time.monotonic() + args.timeout
            while True:
                status, body = pages.get(page_path(f))
                t2 = time.perf_counter()
                if status == 200 and marker in body:
                    break
                stale += 1
                more = events.next_after(generation, max(0.0, deadline - time.monotonic()))
                if more is None:
                    t2 = None
                    break
                generation = more[1]
            if t2 is None:
                missed += 1
                log(f"edit {i}: the page did not show the marker within {args.timeout} s (status {status})")
                generation = settle(pages, events, page_path(f), marker, generation)
                continue
            stale_total += stale
            if i >= args.warmup:
                rows.append(
                    {
                        "edit": i,
                        "file": f"content/{f}",
                        "reload_ms": (t1 - t0) * 1000,
                        "page_ms": (t2 - t0) * 1000,
                        "stale_pages": stale,
                        "generation": generation,
                    }
                )
            if args.verbose:
                log(
                    f"edit {i:3}: reload {(t1 - t0) * 1000:7.1f} ms, page {(t2 - t0) * 1000:7.1f} ms"
                    f"{f' ({stale} stale)' if stale else ''}  content/{f}"
                )
            time.sleep(args.pause)

        elapsed = time.perf_counter() - started
        time.sleep(0.2)  # the last `Rebuilt` line
        rebuilt = [ms for _, ms, _ in server.rebuilt[rebuilt_from:]]
        indexed = server.indexed[indexed_from:]
        events.close()
    finally:
        server.stop()
        for f, text in originals.items():
            (root / "content" / f).write_text(text, encoding="utf-8")
            temp = (root / "content" / f).with_name(f".{f.name}.latency.tmp")
            temp.unlink(missing_ok=True)
    load_after = os.getloadavg()

    reload_ms = [r["reload_ms"] for r in rows]
    page_ms = [r["page_ms"] for r in rows]
    result = {
        "root": str(root),
        "post_mortems": len(files),
        "edits": len(rows),
        "missed": missed,
        "stale_pages": stale_total,
        "save": "rename" if args.rename else "in place",
        "watcher": "poll" if args.poll else "native",
        "save_to_reload_event_ms": {"median": statistics.median(reload_ms), "p90": percentile(reload_ms, 90)} if rows else None,
        "save_to_page_ms": {"median": statistics.median(page_ms), "p90": percentile(page_ms, 90)} if rows else None,
        "rebuild_ms": {"count": len(rebuilt), "median": statistics.median(rebuilt), "p90": percentile(rebuilt, 90)} if rebuilt else None,
        "search_indexes_during_run": [ms for _, ms in indexed],
        "load_average": [load_before[0], load_after[0]],
        "cpus": os.cpu_count(),
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"\nhindsight serve latency: {len(files)} post-mortems, {len(rows)} edits "
            f"(+{args.warmup} warm-up) over {len(chosen)} files in {elapsed:.1f} s, "
            f"saved {result['save']}, {result['watcher']} watcher, pause {args.pause} s; "
            f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} -> {load_after[0]:.2f}"
        )
        print("in ms (p90: nearest rank)")
        print(f"save -> reload event         {summary(reload_ms)}")
        print(f"save -> page with the change {summary(page_ms)}")
        print(f"server rebuild ({len(rebuilt):3} lines)   {summary([float(x) for x in rebuilt])}")
        if indexed:
            print(f"search index rebuilt {len(indexed)} time(s) during the run: {', '.join(f'{ms} ms' for _, ms in indexed)}")
        if stale_total:
            print(f"{stale_total} GET(s) after a reload event served a page without the edit")
        if missed:
            print(f"{missed} edit(s) were not seen within {args.timeout} s")
    return 1 if missed else 0


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Measures hindsight serve's save-to-reload latency.",
        epilog="Edits post-mortems under ROOT/content (restored at the end): use a copy, or --copy.",
    )
    ap.add_argument("root", nargs="?", type=Path, help="site folder with site.toml and content/")
    ap.add_argument("edits", nargs="?", type=int, default=30, help="number of measured edits (default 30)")
    ap.add_argument("--generate", type=int, metavar="COUNT", help="measure a fresh generated corpus of COUNT post-mortems instead of ROOT")
    ap.add_argument("--gen", type=Path, default=Path(os.environ.get("GEN_CORPUS", REPO.parent / "shared" / "bench" / "gen_corpus.py")), help="the corpus generator (default ../shared/bench/gen_corpus.py, or GEN_CORPUS)")
    ap.add_argument("--keep", action="store_true", help="keep the generated or copied site")
    ap.add_argument("--copy", action="store_true", help="measure a temporary copy of ROOT")
    ap.add_argument("--files", type=int, default=5, help="how many post-mortems to rotate over (default 5)")
    ap.add_argument("--pause", type=float, default=0.3, help="seconds between edits (default 0.3)")
    ap.add_argument("--warmup", type=int, default=0, help="edits made first and not counted (default 0)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for each reload; a later one is a missed edit (default 120)")
    ap.add_argument("--startup-timeout", type=float, default=300, help="seconds to wait for the server and its first search index (default 300)")
    ap.add_argument("--rename", action="store_true", help="save by renaming a temporary file over the post-mortem")
    ap.add_argument("--poll", action="store_true", help="run the server with --poll")
    ap.add_argument("--rebuild", action="store_true", help="run cargo build --release even if the binary exists")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per edit")
    args = ap.parse_args()

    if args.generate is not None and args.root is not None and args.edits == 30:
        # `--generate COUNT N`: the one positional is N.
        if not (args.root / "content").is_dir() and str(args.root).isdigit():
            args.edits, args.root = int(str(args.root)), None
    if (args.generate is None) == (args.root is None):
        ap.error("give a site ROOT or --generate COUNT (not both)")
    if args.edits < 1:
        ap.error("N must be at least 1")

    work: Path | None = None
    try:
        if args.generate is not None:
            work = Path(tempfile.mkdtemp(prefix="hindsight-latency-"))
            generate(args.generate, args.gen, work)
            root = work
        else:
            root = args.root.resolve()
            if not (root / "content").is_dir() or not (root / "site.toml").is_file():
                fail(f"{root} needs site.toml and content/", 2)
            if args.copy:
                work = Path(tempfile.mkdtemp(prefix="hindsight-latency-"))
                log(f"copying {root} to {work / 'site'}")
                shutil.copytree(root, work / "site", ignore=shutil.ignore_patterns("public", ".hindsight-*"))
                root = work / "site"
        return measure(args, root)
    finally:
        if work is not None:
            if args.keep:
                log(f"kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
