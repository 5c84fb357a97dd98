#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the example monitoring configuration with the real tools:
examples/prometheus.yml with `promtool check config`, and every PromQL
expression of examples/grafana-dashboard.json (Grafana variables replaced)
with `promtool check rules`; the expressions may only use es_* metrics the
exporter writes. TAP output."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXPORTED = {
    "es_system_info", "es_system_state", "es_events_published_total", "es_events_published_bytes_total",
    "es_events_delivered_total", "es_events_delivered_bytes_total", "es_events_dropped_total",
    "es_events_rejected_total", "es_publish_blocked_total", "es_publish_blocked_seconds_total",
    "es_event_type_subscribers", "es_event_type_queued_events", "es_subscribers", "es_buffered_bytes",
    "es_buffered_events", "es_buffer_limit_bytes", "es_buffer_utilization_ratio",
    "es_event_latency_seconds_bucket", "es_event_latency_seconds_sum", "es_event_latency_seconds_count",
    "es_subscriber_events_published_total", "es_subscriber_events_received_total",
    "es_subscriber_events_dropped_total", "es_subscriber_events_filtered_total",
    "es_subscriber_queued_events", "es_subscriber_queue_utilization_ratio",
}


def main():
    examples = sys.argv[1]
    promtool = shutil.which("promtool")
    print("1..3")
    if promtool is None:
        for i in range(1, 4):
            print(f"ok {i} # SKIP promtool is not installed")
        return 0

    failed = False
    run = subprocess.run([promtool, "check", "config", os.path.join(examples, "prometheus.yml")],
                         capture_output=True, text=True)
    if run.returncode == 0:
        print("ok 1 prometheus.yml passes promtool check config")
    else:
        failed = True
        print("not ok 1 prometheus.yml: " + (run.stdout + run.stderr).replace("\n", " | "))

    with open(os.path.join(examples, "grafana-dashboard.json"), encoding="utf-8") as f:
        dashboard = json.load(f)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v.get("definition")]

    unknown = set()
    rules = []
    for i, expr in enumerate(exprs):
        for name in re.findall(r"\b(es_[a-z_]+)", expr):
            if name not in EXPORTED:
                unknown.add(name)
        if expr.startswith("label_values("):
            continue
        concrete = (expr.replace("$__rate_interval", "1m").replace("$job", ".*")
                    .replace("$event_type", ".*"))
        rules.append(f"      - record: eventsys:check_{i}\n        expr: {json.dumps(concrete)}\n")

    if unknown:
        failed = True
        print("not ok 2 the dashboard uses metrics the exporter does not write: " + ", ".join(sorted(unknown)))
    else:
        print(f"ok 2 the dashboard's {len(exprs)} queries use exported es_* metrics only")

    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: grafana\n    rules:\n" + "".join(rules))
        path = f.name
    try:
        run = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if run.returncode == 0:
        print(f"ok 3 {len(rules)} dashboard queries pass promtool check rules")
    else:
        failed = True
        print("not ok 3 dashboard queries: " + (run.stdout + run.stderr).replace("\n", " | "))

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
