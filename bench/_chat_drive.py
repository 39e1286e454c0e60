"""The chat load of bench/cluster.py, in a process of its own (gevent, the lean client of
bench/_chat_client.py, as bench/chat.py uses): its threads-based parent would spend more CPU per
message than the servers it measures.

Reads one JSON document on stdin:
    {"seconds": s, "rate": r, "rounds": n,
     "targets": [{"name": ..., "url": ..., "pids": [...], "nginx_pids": [...],
                  "rooms": [[consultation id, patient token, doctor token], ...]}, ...]}
connects every target's sockets (not timed), then runs `rounds` timed rounds per target,
interleaved (A B B A …) so that the targets see the same machine, and prints one JSON line per
target: messages done, the sum of its app processes' CPU (and nginx's) over them, latencies;
and what its processes burn when no message flows (sockets connected, IDLE_SECONDS measured before
the rounds), so that a process's fixed cost can be told apart from the cost per message.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from _chat_client import ChatLoad, cpu_ms, percentile  # noqa: E402

IDLE_SECONDS = 5.0


def main() -> None:
    spec = json.load(sys.stdin)
    seconds, rate, rounds = spec["seconds"], spec.get("rate"), spec.get("rounds", 2)
    targets = spec["targets"]
    loads = []
    for target in targets:
        load = ChatLoad(target["url"], [tuple(room) for room in target["rooms"]])
        load.connect()
        load.run(min(3.0, seconds), rate or 100, f"{target['name']}-warm")
        loads.append(load)
    totals = [
        {"done": 0, "cpu_ms": 0.0, "nginx_cpu_ms": 0.0, "seconds": 0.0, "latencies": [], "lost": 0} for _ in targets
    ]
    idle = []  # app CPU ms per second with no message flowing
    for target in targets:
        before = sum(cpu_ms(pid) for pid in target["pids"])
        gevent.sleep(IDLE_SECONDS)
        idle.append((sum(cpu_ms(pid) for pid in target["pids"]) - before) / IDLE_SECONDS)
    try:
        for n in range(rounds):
            order = range(len(targets)) if n % 2 == 0 else reversed(range(len(targets)))
            for i in order:
                target, load, total = targets[i], loads[i], totals[i]
                app_before = sum(cpu_ms(pid) for pid in target["pids"])
                nginx_before = sum(cpu_ms(pid) for pid in target.get("nginx_pids", ()))
                result = load.run(seconds, rate, f"{target['name']}-{n}")
                total["cpu_ms"] += sum(cpu_ms(pid) for pid in target["pids"]) - app_before
                total["nginx_cpu_ms"] += sum(cpu_ms(pid) for pid in target.get("nginx_pids", ())) - nginx_before
                total["done"] += result["done"]
                total["seconds"] += seconds
                total["lost"] += result["lost"]
                total["latencies"] += load.latencies
    finally:
        for load in loads:
            load.close()
    for target, load, total, idle_ms in zip(targets, loads, totals, idle, strict=True):
        done = max(1, total["done"])
        busy = total["cpu_ms"] - idle_ms * total["seconds"]
        line = {
            "name": target["name"],
            "done": total["done"],
            "ops_per_s": round(total["done"] / total["seconds"], 1),
            "cpu_ms": round(total["cpu_ms"] / done, 3),
            "idle_cpu_ms_per_s": round(idle_ms, 1),
            "cpu_ms_less_idle": round(busy / done, 3),
            "nginx_cpu_ms": round(total["nginx_cpu_ms"] / done, 3),
            "p50_ms": round(percentile(total["latencies"], 0.5), 1),
            "p99_ms": round(percentile(total["latencies"], 0.99), 1),
            "lost": total["lost"],
            "errors": len(load.errors),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
