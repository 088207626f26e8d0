"""The soak's report: printed for a person, and saved as JSON (with every lag sample) next to
the processes' logs."""

import json
from pathlib import Path

RECOVERED_BELOW = 2.0  # seconds of lag that count as caught up after a fault


def fault_effects(faults: list[dict], samples: list[dict]) -> list[dict]:
    """For each fault: the worst lag from the fault until the next one (or the end), and how
    long after the fault the lag first fell back under RECOVERED_BELOW."""
    out = []
    for i, fault in enumerate(faults):
        end = faults[i + 1]["t"] if i + 1 < len(faults) else float("inf")
        after = [s for s in samples if fault["t"] <= s["t"] < end]
        worst = max((s["lag"] for s in after), default=0.0)
        done = fault["t"] + fault["took"]
        back = next((s["t"] for s in after if s["t"] >= done and s["lag"] < RECOVERED_BELOW), None)
        out.append(fault | {"worst_lag_after": worst, "caught_up_after": None if back is None else round(back - fault["t"], 1)})
    return out


def _rates(rates: list[float]) -> str:
    return ", ".join(f"{x:,.0f}" for x in rates)


def render(r: dict) -> str:
    cfg, b, w, ev, lag = r["config"], r["baseline"], r["window"], r["events"], r["lag"]
    under = "no probe ran" if w["bare_under_load"] is None else f"{w['bare_under_load']:,.0f} req/s"
    lines = [
        f"P2P Admin soak: {cfg['minutes']:g} min loaded window, seed {cfg['seed']}, "
        f"{r['machine']['cores']} cores shared with other work (load average at start {r['machine']['load']})",
        "",
        "Callback rate, measured in the run's own gunicorn:",
        f"  before the load (idle)   bare one-insert view {max(b['bare']):,.0f} req/s (rounds {_rates(b['bare'])}); "
        f"signed webhook {max(b['webhook']):,.0f} req/s (rounds {_rates(b['webhook'])})",
        f"  under the soak's load    bare one-insert view {under} (median of probes); "
        f"webhook replays {w['webhook_under_load'] or 0:,.0f} req/s (median second)"
        + (f"; the bare view's probes answered {w['bare_refused']}" if w.get("bare_refused") else ""),
        f"  target = min({cfg['rate_cap']:g}, {cfg['bare_share']:g} x {w['target_basis']}) = {w['target']:,.0f} status callbacks/s",
        f"  achieved {w['status_per_s']:,.0f} status callbacks/s over the window less the {w.get('probe_seconds', 0):.0f} s "
        f"spent probing the bare view ({w.get('status_per_s_window', w['status_per_s']):,.0f}/s over all "
        f"{w['seconds']:.0f} s; simulator {w['simulator_status'] / w['seconds']:,.0f}/s "
        f"+ replayed duplicates {w['replayed_status'] / w['seconds']:,.0f}/s), {w['inbound_per_s']:,.1f} inbound/s",
        "",
        f"Volunteers over {w['seconds']:.0f} s: {w['texts_per_s']:,.1f} texts/s (initials {w['initials']:,}, follow-ups "
        f"{w['follow_ups']:,}, reports {w['reports']:,}); mean answer ms {w['api_latency_ms']}",
        f"  answers other than 200/201/409: {w['api_unexpected'] or 'none'}",
        "",
        f"Events: sent by the simulator {ev['sent']:,} (status {ev['sent_status']:,}, inbound {ev['sent_inbound']:,}); "
        f"stored {ev['stored']:,}; applied {ev['applied']:,}; replayed duplicates {ev['replayed']:,} (none may be stored)",
        f"Queue lag (oldest unapplied event, sampled each second): worst {lag['worst']:.1f} s at t={lag['worst_at']:.0f} s; "
        f"worst outside fault recovery {lag['worst_calm']:.1f} s; at the end {lag['final']:.1f} s",
        f"Drain after the load: {r['drain']['seconds']:.0f} s"
        + ("" if r["drain"]["ok"] else f" (timed out: {r['drain']['waiting_on']})"),
        "",
        "Faults:",
    ]
    for f in r["faults"]:
        back = (
            "not back within the window"
            if f["caught_up_after"] is None
            else f"lag < {RECOVERED_BELOW:g} s again {f['caught_up_after']:.0f} s after"
        )
        lines.append(f"  t={f['t']:6.1f} s  {f['kind']:<14} {f['detail']}; worst lag after {f['worst_lag_after']:.1f} s, {back}")
    lines += ["", "Checks:"]
    lines += [f"  {'PASS' if c['ok'] else 'FAIL'}  {c['name']}: {c['detail']}" for c in r["checks"]]
    lines += ["", f"Result: {'PASS' if r['pass'] else 'FAIL'}   (report and logs: {r['run_dir']})"]
    return "\n".join(lines)


def save(r: dict, run_dir: Path) -> Path:
    path = run_dir / "report.json"
    path.write_text(json.dumps(r, indent=1, default=str))
    (run_dir / "report.txt").write_text(render(r) + "\n")
    return path
