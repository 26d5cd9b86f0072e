"""The scale run's report as text: what ``bench.scale`` prints and the slow test shows."""

from __future__ import annotations

import os

from testing.scale.run import Report


def format_report(report: Report) -> str:
    """The figures and the checks, as ``bench.scale`` prints them."""
    lines: list[str] = []
    add = lines.append
    options = report.options
    add(
        f"scale: {options.backends} backends + {options.bots} webhook bots on PostgreSQL and "
        f"Redis; {options.dialogs} dialogs, {options.teachers:,} due reminders, "
        f"{options.recipients:,}-recipient broadcast, limit {options.rate:g} msg/s; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    for line in report.figures:
        add(f"  {line}")
    add("dialogs (updates/s end to end; per step: from the teacher's action to the answer):")
    for phase in report.phases:
        add(
            f"  {phase.label:>20}: {phase.updates:5} updates in {phase.seconds:6.1f} s = "
            f"{phase.rate:6.1f} updates/s; per step p50 {phase.percentile(0.5) * 1000:6.0f} ms, "
            f"p99 {phase.percentile(0.99) * 1000:6.0f} ms"
        )
        busiest = sorted(phase.cpu.items(), key=lambda item: -item[1])
        add(
            "  "
            + " " * 22
            + "CPU s: "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in busiest)
        )
    single = [p for p in report.phases if p.label == "1 bot"]
    several = [p for p in report.phases if p.label == f"{options.bots} bots"]
    if single and several and single[0].rate:
        add(
            f"  {options.bots} bot processes against 1: {several[0].rate / single[0].rate:.2f}x "
            "the dialog updates/s"
        )
    for name, series in report.metrics.items():
        shown = ", ".join(series) if series else "none (/metrics not served)"
        add(f"  /metrics of {name}: {shown}")
    add("checks:")
    for check in report.checks:
        add(f"  [{'pass' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    return "\n".join(lines)
