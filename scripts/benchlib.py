"""Shared helpers for scripts/bench.d/*: one JSON shape for every area.

target/bench/AREA.json:
  {"area": str, "date": ISO-8601 UTC, "machine": str,
   "results": [{"name", "value", "unit", "baseline", "baselineValue", "ratio"}],
   "goals":   [{"text", "value", "target", "met"}]}

`ratio` is value / baselineValue (None without a baseline). Absolute values are recorded for
completeness; compare ratios, since this machine is shared and noisy.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

ROOT = os.environ.get("PRESYNC_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def machine():
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, {cpu}, Linux {platform.release()}"


class Report:
    def __init__(self, area):
        self.area = area
        self.results = []
        self.goals = []

    def result(self, name, value, unit, baseline=None, baseline_value=None):
        ratio = None
        if baseline_value not in (None, 0) and value is not None:
            ratio = value / baseline_value
        self.results.append({"name": name, "value": value, "unit": unit, "baseline": baseline,
                             "baselineValue": baseline_value, "ratio": ratio})

    def goal(self, text, value, target, met):
        self.goals.append({"text": text, "value": value, "target": target, "met": bool(met)})

    def write(self):
        out_dir = os.path.join(ROOT, "target", "bench")
        os.makedirs(out_dir, exist_ok=True)
        doc = {"area": self.area,
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), "results": self.results, "goals": self.goals}
        path = os.path.join(out_dir, self.area + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        self.print_table()
        print(f"wrote {path}")
        return path

    def print_table(self):
        print(f"{'result':44} {'value':>14} {'unit':10} {'baseline':24} {'ratio':>8}")
        for r in self.results:
            v = r["value"]
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
            print(f"{r['name'][:44]:44} {v if v is None else round(v, 3):>14} {r['unit'][:10]:10} "
                  f"{(r['baseline'] or '')[:24]:24} {ratio:>8}")
        for g in self.goals:
            print(f"goal {'MET ' if g['met'] else 'MISS'} {g['text']}: {g['value']} (target {g['target']})")


def timed(cmd, **kw):
    """Runs a command, returns wall seconds; raises on failure."""
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.monotonic() - start


def size_arg(text):
    """A size with an optional K, M, G or T suffix (powers of 1024; "4G", "512MiB"), as the CLI takes it."""
    units = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
    t = text.strip().upper().rstrip("B").rstrip("I")
    unit = t[-1:] if t[-1:] in "KMGT" else ""
    return int(t[:len(t) - len(unit)]) << units[unit]


def median(xs):
    return statistics.median(xs)


def java():
    return os.path.join(os.environ["JAVA_HOME"], "bin", "java")


def agent_jar():
    return os.path.join(ROOT, "target", "presync-0.1.0-SNAPSHOT-all.jar")


def jmh_jar():
    return os.path.join(ROOT, "jmh", "target", "presync-jmh.jar")


def ensure_jmh_jar():
    if not os.path.exists(jmh_jar()) or os.path.getmtime(jmh_jar()) < os.path.getmtime(agent_jar()):
        subprocess.run(["mvn", "-B", "-q", "install", "-DskipTests"], cwd=ROOT, check=True)
        # The shade plugin builds on top of an existing jar and keeps its (stale) agent classes.
        for name in ("presync-jmh.jar", "original-presync-jmh.jar"):
            try:
                os.unlink(os.path.join(ROOT, "jmh", "target", name))
            except OSError:
                pass
        subprocess.run(["mvn", "-B", "-q", "-f", "jmh/pom.xml", "package"], cwd=ROOT, check=True)
    return jmh_jar()


def run_jmh(pattern, extra=()):
    """Runs JMH benchmarks matching pattern; returns a list of JMH JSON result entries."""
    ensure_jmh_jar()
    out = os.path.join(ROOT, "target", "bench", "jmh-" + "".join(c if c.isalnum() else "_" for c in pattern) + ".json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.run([java(), "--enable-native-access=ALL-UNNAMED", "-jar", jmh_jar(), pattern,
                    "-rf", "json", "-rff", out, *extra], check=True)
    with open(out) as f:
        return json.load(f)


class LoopDevice:
    """A loop device over a sparse file, detached on exit (use as a context manager)."""

    def __init__(self, path_of_file, size_bytes, sector=512):
        self.file = path_of_file
        with open(self.file, "wb") as f:
            f.truncate(size_bytes)
        self.dev = subprocess.run(["losetup", "--find", "--show", "--sector-size", str(sector), self.file],
                                  check=True, capture_output=True, text=True).stdout.strip()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for _ in range(50):
            if subprocess.run(["losetup", "-d", self.dev], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        try:
            os.unlink(self.file)
        except OSError:
            pass
        return False
