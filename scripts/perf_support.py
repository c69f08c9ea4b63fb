"""Shared by scripts/bench and scripts/soak: the dashboard in a pty, /proc readings, moto's
AWS-API server with a request-counting proxy in front of it, and fixtures made through boto3.

Everything listens on 127.0.0.1 only, and every loop here is bounded in time.
"""
import fcntl
import http.client
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}
MOTO_VERSION = "5.2.5"


def ensure_moto_python():
    """Re-run this script under a Python that has the pinned moto (as scripts/test sets up);
    other moto versions answer some ECS calls in shapes the SDK refuses."""
    try:
        import boto3  # noqa: F401
        import moto
        if moto.__version__ == MOTO_VERSION:
            return
    except ImportError:
        pass
    candidates = [os.environ.get("ONDECK_TEST_PYTHON"), str(REPO / ".venv/bin/python")]
    for python in filter(None, candidates):
        # A venv's python links to the interpreter it was made from: compare the environments
        # (sys.prefix), not the executables.
        if Path(python).exists() and Path(python).parent.parent.resolve() != Path(sys.prefix).resolve():
            os.execv(python, [python] + sys.argv)
    subprocess.run([sys.executable, "-m", "venv", str(REPO / ".venv")], check=True)
    subprocess.run(
        [str(REPO / ".venv/bin/pip"), "install", "--quiet", "--disable-pip-version-check",
         f"moto[server]=={MOTO_VERSION}"],
        check=True,
    )
    python = str(REPO / ".venv/bin/python")
    os.execv(python, [python] + sys.argv)


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def binary(profile):
    return target_dir() / profile / "ondeck"


def cargo_build(release):
    args = ["cargo", "build", "--quiet", "--bin", "ondeck"] + (["--release"] if release else [])
    subprocess.run(args, cwd=REPO, check=True)
    return binary("release" if release else "debug")


# ---------------------------------------------------------------- the dashboard in a pty

class Dashboard:
    """`ondeck` on its own pty (cols × rows), with every byte it writes kept with its time."""

    def __init__(self, argv, env=None, cols=160, rows=48):
        self.state_dir = tempfile.TemporaryDirectory(prefix="ondeck-bench-")
        full_env = dict(os.environ)
        full_env.update({"TERM": "xterm-256color", "ONDECK_STATE_DIR": self.state_dir.name})
        full_env.pop("AWS_PROFILE", None)
        full_env.pop("ONDECK_PROFILE", None)
        full_env.update(env or {})
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.chunks = []  # (monotonic seconds, bytes)
        self.lock = threading.Lock()
        self.master = master
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=full_env,
            start_new_session=True, close_fds=True,
        )
        os.close(slave)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def pid(self):
        return self.process.pid

    def _read(self):
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.5)
                if not ready:
                    if self.process.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            now = time.monotonic()
            with self.lock:
                self.chunks.append((now, data))

    def output(self, since=0.0, until=float("inf")):
        with self.lock:
            return b"".join(data for at, data in self.chunks if since <= at < until)

    def chunks_between(self, since, until=float("inf")):
        with self.lock:
            return [(at, data) for at, data in self.chunks if since <= at < until]

    def wait_for(self, needle, timeout, since=0.0):
        """The time at which `needle` (bytes) has appeared in the output, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                seen = b""
                for at, data in self.chunks:
                    if at < since:
                        continue
                    seen += data
                    if needle in seen:
                        return at
            if self.process.poll() is not None:
                return None
            time.sleep(0.002)
        return None

    def first_output_after(self, since, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for at, _ in self.chunks:
                    if at > since:
                        return at
            time.sleep(0.0005)
        return None

    def quiet_after(self, since, gap=0.05, timeout=2.0):
        """The time of the last byte of the burst that starts after `since`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                times = [at for at, _ in self.chunks if at > since]
            if times and time.monotonic() - times[-1] >= gap:
                return times[-1]
            time.sleep(0.002)
        return None

    def write(self, data):
        os.write(self.master, data)

    def log_text(self):
        path = Path(self.state_dir.name) / "ondeck.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self):
        """Quit with `q`; SIGTERM if that does not end it. Returns the frames the log reports."""
        if self.process.poll() is None:
            try:
                self.write(b"q")
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                os.kill(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.kill(self.process.pid, signal.SIGKILL)
                    self.process.wait()
        self.reader.join(timeout=2)
        os.close(self.master)
        match = re.findall(r"frames=(\d+)", self.log_text())
        self.state_dir.cleanup()
        return int(match[-1]) if match else None


# ---------------------------------------------------------------- /proc

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    # Fields after the command name start at field 3 (state); utime is 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


# ---------------------------------------------------------------- terminal bytes, explained

ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b.")


def describe_bytes(data, limit=160):
    """Printable text of a burst, with each escape sequence shown by its kind."""
    names = {b"\x1b[?25l": "<hide cursor>", b"\x1b[?25h": "<show cursor>"}
    parts = []
    position = 0
    for match in ESCAPE.finditer(data):
        text = data[position:match.start()].decode("utf-8", "replace")
        if text:
            parts.append(text)
        seq = match.group()
        if seq in names:
            parts.append(names[seq])
        elif seq.endswith(b"H"):
            parts.append("<move>")
        elif seq.endswith(b"m"):
            parts.append("<style>")
        else:
            parts.append(repr(seq)[2:-1])
        position = match.end()
    parts.append(data[position:].decode("utf-8", "replace"))
    # Collapse runs of the same marker.
    collapsed = []
    for part in parts:
        if part and (not collapsed or part != collapsed[-1] or not part.startswith("<")):
            collapsed.append(part)
    text = "".join(collapsed)
    return text if len(text) <= limit else text[:limit] + "…"


CSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")


class Screen:
    """Just enough of a terminal for ondeck's output (cursor moves, clears, styles, text, CR, LF
    and scrolling margins) to tell what is on screen: frames skip unchanged cells and let the
    terminal scroll moved rows, so the bytes alone do not."""

    def __init__(self, cols=160, rows=48):
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.top, self.bottom = 0, rows - 1
        self.pending = b""

    def feed(self, data):
        data = self.pending + data
        pos, end = 0, len(data)
        while pos < end:
            byte = data[pos]
            if byte == 0x1B:
                if pos + 1 >= end:
                    break
                if data[pos + 1:pos + 2] != b"[":
                    pos += 2
                    continue
                match = CSI.match(data, pos)
                if not match:
                    if end - pos < 32:
                        break  # the rest of the sequence is in the next chunk
                    pos += 2
                    continue
                self._control(match.group())
                pos = match.end()
                continue
            if byte == 0x0D:
                self.x = 0
            elif byte == 0x0A:
                self._line_feed()
            if byte < 0x20:
                pos += 1
                continue
            length = 1 if byte < 0x80 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            if pos + length > end:
                break
            if 0 <= self.y < self.rows and 0 <= self.x < self.cols:
                self.grid[self.y][self.x] = data[pos:pos + length].decode("utf-8", "replace")
            self.x += 1
            pos += length
        self.pending = data[pos:]

    def _line_feed(self):
        if self.y == self.bottom:
            del self.grid[self.top]
            self.grid.insert(self.bottom, [" "] * self.cols)
        elif self.y < self.rows - 1:
            self.y += 1

    def _control(self, seq):
        final = seq[-1:]
        params = seq[2:-1]
        if final == b"H":
            row, _, col = params.partition(b";")
            self.y = int(row or 1) - 1
            self.x = int(col or 1) - 1
        elif final == b"r":
            top, _, bottom = params.partition(b";")
            self.top = int(top or 1) - 1
            self.bottom = int(bottom or self.rows) - 1
            self.x = self.y = 0
        elif final == b"J" and params in (b"2", b"3"):
            self.grid = [[" "] * self.cols for _ in range(self.rows)]

    def text(self):
        return "\n".join("".join(row) for row in self.grid)


def row_change(old, new, context=12):
    """`…before…` → `…after…` around the columns that differ between two screen rows."""
    first = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
    last = len(old) - next(i for i, (a, b) in enumerate(zip(old[::-1], new[::-1])) if a != b)
    start, end = max(0, first - context), min(len(old), last + context)
    return f"`{old[start:end].strip()}` → `{new[start:end].strip()}`"


def bursts(chunks, gap=0.1):
    """Group (time, bytes) chunks that arrive within `gap` seconds of each other."""
    groups = []
    for at, data in chunks:
        if groups and at - groups[-1][1] <= gap:
            start, _, payload = groups[-1]
            groups[-1] = (start, at, payload + data)
        else:
            groups.append((at, at, data))
    return groups


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# ---------------------------------------------------------------- moto and a counting proxy

class Moto:
    """tests/support/moto_server.py on a free loopback port; stops when closed."""

    def __init__(self):
        script = REPO / "tests/support/moto_server.py"
        self.process = subprocess.Popen(
            [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        ready = json.loads(self.process.stdout.readline())
        self.endpoint = ready["endpoint"]
        self.subnets = ready["subnets"]
        self.security_group = ready["security_group"]

    def set_task_transition(self, transition):
        """moto's state manager for ECS tasks, e.g. {"progression": "time", "seconds": 20}."""
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/state-manager/set-transition",
            data=json.dumps({"model_name": "ecs::task", "transition": transition}).encode(),
            method="POST",
        )
        urllib.request.urlopen(request).read()

    def client(self, service):
        import boto3
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    def cluster(self, name):
        """A cluster with task definitions `web` (web + api) and `worker`, as the tests make."""
        ecs = self.client("ecs")
        ecs.create_cluster(clusterName=name)
        for family, containers in (("web", [("web", 8080), ("api", 3000)]),
                                   ("worker", [("worker", 9000)])):
            ecs.register_task_definition(
                family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                cpu="512", memory="1024",
                containerDefinitions=[
                    {
                        "name": container, "image": f"example/{container}:1", "memory": 256,
                        "essential": True, "portMappings": [{"containerPort": port}],
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {
                                "awslogs-group": f"/ecs/{family}",
                                "awslogs-region": REGION,
                                "awslogs-stream-prefix": "ecs",
                            },
                        },
                    }
                    for container, port in containers
                ],
            )
        logs = self.client("logs")
        for family in ("web", "worker"):
            logs.create_log_group(logGroupName=f"/ecs/{family}")

    def config_file(self, directory, cluster, owner, endpoint, log_buffer_lines=50000):
        path = Path(directory) / f"{owner}.toml"
        path.write_text(f'''default_profile = "test"

[profiles.test]
log_buffer_lines = {log_buffer_lines}
region = "{REGION}"
endpoint_url = "{endpoint}"
cluster = "{cluster}"
owner = "{owner}"
subnets = ["{self.subnets[0]}"]
security_groups = ["{self.security_group}"]

[profiles.test.templates.stack]
description = "web and api"
task_definitions = ["web"]

[profiles.test.templates.pair]
task_definitions = ["web", "worker"]
ttl = "2h"

[profiles.test.templates.kept]
kind = "service"
task_definitions = ["worker"]
''')
        return path

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class CountingProxy:
    """A loopback HTTP proxy that forwards to `upstream` and records each request's API action
    (the end of X-Amz-Target) with its time."""

    def __init__(self, upstream):
        host, port = upstream.removeprefix("http://").split(":")
        requests = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                target = self.headers.get("X-Amz-Target") or ""
                action = target.rsplit(".", 1)[-1] if target else f"{self.command} {self.path}"
                with lock:
                    requests.append((time.monotonic(), action))
                upstream_connection = http.client.HTTPConnection(host, int(port), timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "transfer-encoding")}
                upstream_connection.request(self.command, self.path, body=body, headers=headers)
                answer = upstream_connection.getresponse()
                payload = answer.read()
                upstream_connection.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                           "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = _forward
            do_GET = _forward

        self.requests = requests
        self.lock = lock
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def counts(self, since, until):
        """Requests per action between two monotonic times."""
        tally = {}
        with self.lock:
            for at, action in self.requests:
                if since <= at < until:
                    tally[action] = tally.get(action, 0) + 1
        return tally

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ondeck_cli(ondeck, config, state_dir, *args, check=True):
    env = dict(os.environ, ONDECK_CONFIG=str(config), ONDECK_STATE_DIR=str(state_dir), **AWS_ENV)
    env.pop("AWS_PROFILE", None)
    env.pop("ONDECK_PROFILE", None)
    result = subprocess.run(
        [str(ondeck), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=60,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"ondeck {' '.join(args)}: exit {result.returncode}: {result.stderr}")
    return result


def task_streams(moto, cluster):
    """(log group, stream) of every awslogs container of the cluster's RUNNING tasks."""
    ecs = moto.client("ecs")
    arns = ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return []
    streams = []
    for task in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]:
        family = task["taskDefinitionArn"].rsplit("/", 1)[-1].split(":")[0]
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        # The task definition, not the task: moto lists only some of a task's containers.
        definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
        for container in definition["taskDefinition"]["containerDefinitions"]:
            streams.append((f"/ecs/{family}", f"ecs/{container['name']}/{task_id}"))
    return streams
