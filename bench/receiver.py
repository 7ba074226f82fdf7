"""Receiver throughput and durability, measured in one run, only on 127.0.0.1.

    python bench/receiver.py [--deliveries 20000] [--workers 50] [--kill-at 0.4] [--keep DIR]
                             [--client-procs 2] [--rounds 4] [--seed 11] [--budget SECONDS]

Starts the receiver as a subprocess (`python -m ingest serve`, a random app secret in its
environment) and posts signed, realistic Messenger deliveries from concurrent workers, each with
its own httpx.AsyncClient, spread over a few processes (one Python process of httpx clients is
slower than the server):
  durable   the real server: each 200 only after write + fsync (group commit)
  no-fsync  the same app with fsync replaced by a no-op: the baseline of the ratio
  sigkill   the real server, killed with SIGKILL once --kill-at of the deliveries are answered
and checks the logs: durable and no-fsync hold exactly the acknowledged deliveries, once each;
after the SIGKILL every acknowledged delivery is there (a torn last line may only be unacked).
A run that acknowledged nothing (its share of --budget spent before it began, on a busy
machine), or a kill before the first 200 or after the last, checked nothing: it fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never any other address
PAGES = ["1122334455667788", "2233445566778899"]
TEXTS = [
    "hi",
    "Is the shop open today?",
    "Pris p\u00e5 sm\u00f6rg\u00e5st\u00e5rta?",
    "\u00bfTienen pan sin gluten?",
    "\u2764\ufe0f",
    "see https://acme.example/menu",
]
LINE = re.compile(rb'\{"received_at":\d+,"body":(.*)\}')
NO_FSYNC_SERVER = (
    "import sys; from pathlib import Path; from ingest.receiver import serve; "
    "serve('127.0.0.1', int(sys.argv[1]), Path(sys.argv[2]), None, fsync=lambda fd: None)"
)
BUDGET_SECONDS = 100.0  # the whole bench; on a busy machine fewer deliveries are posted


def meta_json(obj: object) -> bytes:
    """Meta's serialisation: compact, \\uXXXX for non-ASCII, `/` escaped as `\\/`."""
    return json.dumps(obj, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def delivery(rng: random.Random, n: int) -> bytes:
    """One POST body of a realistic kind; n makes it unique (mid and timestamp)."""
    page, psid, ts = rng.choice(PAGES), f"65{rng.randrange(10**14):014d}", 1_700_000_000_000 + n
    item: dict[str, object] = {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts}
    r = rng.random()
    if r < 0.5:
        item["message"] = {"mid": f"m_{n}", "text": rng.choice(TEXTS)}
    elif r < 0.65:
        item["sender"], item["recipient"] = {"id": page}, {"id": psid}
        item["message"] = {"mid": f"e_{n}", "is_echo": True, "app_id": 1517776481860111,
                           "text": "Thanks! We open at 8."}  # fmt: skip
    elif r < 0.75:
        item["postback"] = {"mid": f"pb_{n}", "title": "Get Started", "payload": "GET_STARTED",
                            "referral": {"ref": "qr_store12", "source": "SHORTLINK",
                                         "type": "OPEN_THREAD"}}  # fmt: skip
    elif r < 0.85:
        item["delivery"] = {"mids": [f"e_{n - 1}"], "watermark": ts}
    else:
        item["read"] = {"watermark": ts}
    return meta_json({"object": "page", "entry": [{"id": page, "time": ts, "messaging": [item]}]})


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log_dir: Path

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)


def start_server(log_dir: Path, secret: str, durable: bool) -> Server:
    port = free_port()
    if durable:
        args = [sys.executable, "-m", "ingest", "serve", "--host", HOST, "--port", str(port),
                "--log-dir", str(log_dir), "--db", str(log_dir / "no-links.duckdb")]  # fmt: skip
    else:
        args = [sys.executable, "-c", NO_FSYNC_SERVER, str(port), str(log_dir)]
    env = {**os.environ, "REFSCOPE_APP_SECRET": secret}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/healthz").raise_for_status()
            return Server(proc, url, log_dir)
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"the receiver did not start: {' '.join(args[:4])}") from None
            time.sleep(0.05)


@dataclass
class Load:
    acked: list[int] = field(default_factory=list)
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0


def client_process(url: str, jobs: list[tuple[int, bytes, str]], workers: int, deadline: float,
                   slot: int, acked: Any, ready: Any, go: Any, killed: Any,
                   out: Any) -> None:  # fmt: skip
    """One load process: `workers` tasks, each with its own httpx.AsyncClient (one connection)."""
    load, todo = Load(), iter(jobs)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            for i, body, sig in todo:
                if killed.is_set() or time.time() > deadline:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.post("/webhook", content=body,
                                          headers={"X-Hub-Signature-256": sig})  # fmt: skip
                except httpx.TransportError:
                    load.failed += 1
                    continue
                load.latencies.append(time.perf_counter() - t0)
                if r.status_code == 200:
                    load.acked.append(i)
                    acked[slot] += 1

    async def run() -> None:
        await asyncio.gather(*(worker() for _ in range(workers)))

    ready.release()
    go.wait()
    asyncio.run(run())
    out.put((load.acked, load.failed, load.latencies))


def post_all(server: Server, jobs: list[tuple[int, bytes, str]], workers: int, procs: int,
             deadline: float, kill_after: int | None = None) -> Load:  # fmt: skip
    """Post every (index, body, signature) from `workers` tasks in `procs` processes; SIGKILL
    the server after kill_after acknowledgements."""
    ctx = mp.get_context("spawn")
    acked, ready, go, killed, out = (ctx.Array("q", procs, lock=False), ctx.Semaphore(0),
                                     ctx.Event(), ctx.Event(), ctx.Queue())  # fmt: skip
    children = [
        ctx.Process(target=client_process, args=(server.url, jobs[k::procs],
                    workers // procs + (k < workers % procs), deadline, k, acked, ready, go,
                    killed, out))
        for k in range(procs)
    ]  # fmt: skip
    for child in children:
        child.start()
    for _ in children:
        ready.acquire()
    t0 = killed_at = time.perf_counter()
    go.set()
    results = []
    while len(results) < procs:
        late = time.time() > deadline - 5  # kill in time even if the load is slow
        if kill_after is not None and not killed.is_set() and (sum(acked) >= kill_after or late):
            server.proc.send_signal(signal.SIGKILL)
            killed.set()
            killed_at = time.perf_counter()
        try:
            results.append(out.get(timeout=0.002))
        except queue.Empty:
            if time.time() > deadline + 40:
                raise SystemExit("the load processes did not finish") from None
    end = killed_at if killed.is_set() else time.perf_counter()
    load = Load(seconds=end - t0)  # with a kill: until the kill
    for child in children:
        child.join()
    for ack, failed, latencies in results:
        load.acked += ack
        load.failed += failed
        load.latencies += latencies
    return load


@dataclass
class LogCheck:
    bodies: collections.Counter[bytes]
    torn: list[bytes]  # last lines without their newline
    bad: list[bytes]  # complete lines that are not envelope lines


def read_logs(log_dir: Path) -> LogCheck:
    check = LogCheck(collections.Counter(), [], [])
    for path in sorted(log_dir.glob("webhooks-*.ndjson")):
        lines = path.read_bytes().split(b"\n")
        if lines[-1]:
            check.torn.append(lines[-1])
        for line in lines[:-1]:
            m = LINE.fullmatch(line)
            if m is None or not _parses(line):
                check.bad.append(line)
            else:
                check.bodies[m.group(1)] += 1
    return check


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def metrics(server: Server) -> dict[str, float]:
    text = httpx.get(server.url + "/metrics").text
    pairs = (x.rsplit(" ", 1) for x in text.splitlines() if not x.startswith("#"))
    return {k: float(v) for k, v in pairs}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(name: str, load: Load, n: int) -> float:
    rate = len(load.acked) / load.seconds if load.seconds else 0.0
    print(f"{name:9} {len(load.acked):6,}/{n:,} acked  {rate:7,.0f} req/s  "
          f"p50 {quantile(load.latencies, 0.5) * 1000:6.1f} ms  "
          f"p99 {quantile(load.latencies, 0.99) * 1000:6.1f} ms  "
          f"({load.seconds:.1f} s, {load.failed} transport errors)")  # fmt: skip
    return rate


def run_pair(base: Path, secret: str, bodies: list[bytes], sigs: list[str], workers: int,
             procs: int, deadline: float, rounds: int) -> tuple[float, list[str]]:  # fmt: skip
    """The durable server and the no-fsync baseline, loaded in alternating rounds so that
    other work on the machine weighs on both alike; each gets every delivery once."""
    jobs = list(zip(range(len(bodies)), bodies, sigs, strict=True))
    servers = {"durable": start_server(base / "durable", secret, True),
               "no-fsync": start_server(base / "no-fsync", secret, False)}  # fmt: skip
    loads = {name: Load() for name in servers}
    cpu = dict.fromkeys(servers, 0.0)
    try:
        for r in range(rounds):
            for name, server in servers.items():
                cpu0 = server.cpu_seconds()
                part = post_all(server, jobs[r::rounds], workers, procs, deadline)
                cpu[name] += server.cpu_seconds() - cpu0
                total = loads[name]
                total.acked += part.acked
                total.failed += part.failed
                total.latencies += part.latencies
                total.seconds += part.seconds
        stats = {name: metrics(server) for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    rates, problems = {}, []
    for name, server in servers.items():
        load, m = loads[name], stats[name]
        rates[name] = report(name, load, len(bodies))
        if not load.acked:  # its log then holds "exactly" nothing: no check at all
            problems.append(f"{name}: no delivery was acknowledged within --budget: nothing "
                            "was measured or checked (raise --budget)")  # fmt: skip
        batches, fsyncs = m["refscope_write_batches_total"], m["refscope_fsync_seconds_count"]
        print(f"{'':9} server CPU {cpu[name] / max(len(load.acked), 1) * 1e6:.0f} µs/request; "
              f"{m['refscope_lines_written_total'] / max(batches, 1):.1f} lines per group "
              f"commit; fsync mean {m['refscope_fsync_seconds_sum'] / max(fsyncs, 1) * 1000:.2f}"
              f" ms, max {m['refscope_fsync_seconds_max'] * 1000:.2f} ms")  # fmt: skip
        check = read_logs(server.log_dir)
        acked = collections.Counter(bodies[i] for i in load.acked)
        if check.bodies != acked:
            lines = sum(check.bodies.values())
            problems.append(f"{name}: {lines} log lines differ from the {len(acked)} acked")
        elif check.torn or check.bad:
            problems.append(f"{name}: {len(check.torn)} torn and {len(check.bad)} bad lines")
        else:
            print(f"{'':9} log: {len(acked):,} lines = the acknowledged set, once each")
    durable, baseline = rates["durable"], rates["no-fsync"]
    return (durable / baseline if durable and baseline else float("nan")), problems


def run_kill(base: Path, secret: str, bodies: list[bytes], sigs: list[str], workers: int,
             procs: int, deadline: float, kill_at: float) -> list[str]:  # fmt: skip
    server = start_server(base / "sigkill", secret, durable=True)
    jobs = list(zip(range(len(bodies)), bodies, sigs, strict=True))
    try:
        load = post_all(server, jobs, workers, procs, deadline, int(kill_at * len(bodies)))
    finally:
        server.stop()
    report("sigkill", load, len(bodies))
    check = read_logs(server.log_dir)
    acked = {bodies[i] for i in load.acked}
    missing = [b for b in acked if check.bodies[b] == 0]
    extra = sum(1 for b in check.bodies if b not in acked)
    dupes = sum(1 for b in acked if check.bodies[b] > 1)
    print(f"{'':9} killed with SIGKILL (exit {server.proc.returncode}); log: "
          f"{sum(check.bodies.values()):,} lines, {len(missing)} acknowledged missing, "
          f"{extra} in flight at the kill (logged, never acknowledged), {dupes} duplicated, "
          f"{len(check.torn)} torn last line(s)")  # fmt: skip
    problems = []
    # A kill before the first 200 or after the last one checks nothing of what it is for.
    if not load.acked:
        problems.append("sigkill: killed before any delivery was acknowledged: nothing was "
                        "checked (raise --budget, or --kill-at above 0)")  # fmt: skip
    elif len(load.acked) == len(bodies):
        problems.append("sigkill: every delivery was acknowledged before the kill: it was not "
                        "mid-load (--kill-at below 1)")  # fmt: skip
    if missing:
        problems.append(f"sigkill: {len(missing)} acknowledged deliveries are not in the log")
    if check.bad:
        problems.append(f"sigkill: {len(check.bad)} complete lines are not envelope lines")
    if any(t in acked for t in check.torn):
        problems.append("sigkill: a torn line is an acknowledged delivery")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deliveries", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=50)
    ap.add_argument("--client-procs", type=int, default=2, help="Processes the workers share.")
    ap.add_argument("--rounds", type=int, default=4, help="Alternations of durable/no-fsync.")
    ap.add_argument("--kill-at", type=float, default=0.4)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="Seconds, roughly.")
    ap.add_argument("--keep", type=Path, help="Keep the logs in this directory.")
    args = ap.parse_args()

    secret = secrets.token_hex(32)  # generated here, passed only through the environment
    rng = random.Random(args.seed)
    bodies = [delivery(rng, n) for n in range(args.deliveries)]
    sigs = ["sha256=" + hmac.new(secret.encode(), b, hashlib.sha256).hexdigest() for b in bodies]
    size = sum(map(len, bodies)) / len(bodies)
    print(f"{args.deliveries:,} deliveries (mean {size:.0f} bytes), {args.workers} workers in "
          f"{args.client_procs} processes, {HOST}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    t0, start = time.perf_counter(), time.time()
    with tempfile.TemporaryDirectory(prefix="refscope-bench-") as tmp:
        base = (args.keep or Path(tmp)).absolute()  # the servers run in the project's root
        load = (secret, bodies, sigs, args.workers, args.client_procs)
        ratio, problems = run_pair(base, *load, start + 0.65 * args.budget, args.rounds)
        problems += run_kill(base, *load, start + 0.9 * args.budget, args.kill_at)
    print(f"durable / no-fsync throughput: {ratio:.2f}  load average {os.getloadavg()[0]:.1f}  "
          f"(bench {time.perf_counter() - t0:.0f} s)")  # fmt: skip
    for p in problems:
        print("FAIL", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
