"""The fleet page: one server-rendered HTML table of every kiosk, refreshed every 5 s.

:func:`snapshot` turns the database into plain rows with alarms worked out;
:func:`render_html` turns rows into a page (no JavaScript, no external assets).
"""

from __future__ import annotations

import html
import json
from typing import Any

from sync.central.store import Store

REFRESH_S = 5
BACKLOG_ALARM = 1000
OLDEST_ALARM_S = 3600.0
DISK_ALARM_BYTES = 1024**3
CLOCK_ALARM_S = 30.0


def alarms_for(hb: dict[str, Any] | None, age_s: float | None, heartbeat_s: float) -> list[str]:
    """The alarms of one kiosk from its last heartbeat and how old it is."""
    if hb is None or age_s is None:
        return ["never seen"]
    out: list[str] = []
    if age_s > 3 * heartbeat_s:
        out.append(f"silent for {_age(age_s)}")
    for name, dev in sorted(hb.get("devices", {}).items()):
        if dev.get("state") == "offline":
            out.append(f"{name} offline" + (f": {dev['reason']}" if dev.get("reason") else ""))
    q = hb.get("queue", {})
    backlog = q.get("pending", 0) + q.get("in_flight", 0)
    if backlog > BACKLOG_ALARM:
        out.append(f"backlog {backlog}")
    if (q.get("oldest_pending_age_s") or 0) > OLDEST_ALARM_S:
        out.append(f"oldest item {_age(q['oldest_pending_age_s'])} old")
    if q.get("dead", 0):
        out.append(f"{q['dead']} dead-lettered")
    if hb.get("disk_free_bytes") is not None and hb["disk_free_bytes"] < DISK_ALARM_BYTES:
        out.append("disk almost full")
    if hb.get("clock_offset_s") is not None and abs(hb["clock_offset_s"]) > CLOCK_ALARM_S:
        out.append(f"clock off by {hb['clock_offset_s']:+.0f} s")
    return out


def snapshot(store: Store, now: float, heartbeat_s: float) -> list[dict[str, Any]]:
    """Every kiosk as a plain dict: heartbeat, devices, backlog, last sync, alarms."""
    rows = []
    for r in store.query("SELECT id, last_heartbeat_at, heartbeat, last_sync_at, uploaded, duplicates, "
                         "rejected FROM kiosks ORDER BY id"):
        hb = json.loads(r["heartbeat"]) if r["heartbeat"] else None
        age = now - r["last_heartbeat_at"] if r["last_heartbeat_at"] else None
        q = (hb or {}).get("queue", {})
        rows.append({
            "kiosk_id": r["id"],
            "heartbeat_age_s": age,
            "app_version": (hb or {}).get("app_version"),
            "devices": (hb or {}).get("devices", {}),
            "backlog": q.get("pending", 0) + q.get("in_flight", 0) if hb else None,
            "oldest_pending_age_s": q.get("oldest_pending_age_s"),
            "last_sync_age_s": now - r["last_sync_at"] if r["last_sync_at"] else None,
            "stored": r["uploaded"], "duplicates": r["duplicates"], "rejected": r["rejected"],
            "clock_offset_s": (hb or {}).get("clock_offset_s"),
            "disk_free_bytes": (hb or {}).get("disk_free_bytes"),
            "alarms": alarms_for(hb, age, heartbeat_s),
        })
    rows.sort(key=lambda x: (not x["alarms"], x["kiosk_id"]))
    return rows


def _ago(s: float | None) -> str:
    return "never" if s is None else f"{_age(s)} ago"


def _age(s: float | None) -> str:
    if s is None:
        return "never"
    s = max(0.0, s)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


CSS = """
body{font-family:'DejaVu Sans',sans-serif;margin:16px;background:#f4f6f5;color:#1d2b24}
h1{font-size:22px;margin:0 0 4px} .sub{color:#56655d;margin-bottom:12px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d5ddd8;padding:6px 8px;text-align:left;font-size:13px;vertical-align:top}
th{background:#0f6b45;color:#fff} tr.alarm td{background:#fff1f0} tr.ok td{background:#f3fbf6}
.dev{display:inline-block;border-radius:10px;padding:1px 8px;margin:1px;font-size:12px;color:#fff}
.ok{background:#1e8a4c}.degraded{background:#c98a00}.offline{background:#c0392b}
.dev.ok{background:#1e8a4c}.dev.degraded{background:#c98a00}.dev.offline{background:#c0392b}
.al{color:#b0201a;font-weight:bold} .none{color:#1e8a4c}
"""


def render_html(rows: list[dict[str, Any]]) -> str:
    """The fleet page as HTML (auto-refreshing)."""
    e = html.escape
    n_alarm = sum(1 for r in rows if r["alarms"])
    body = []
    for r in rows:
        devs = "".join(
            f'<span class="dev {e(d.get("state", "offline"))}" title="{e(d.get("reason", ""))}">'
            f'{e(name)}: {e(d.get("state", "?"))}</span>' for name, d in sorted(r["devices"].items())
        ) or "—"
        alarms = ("<br>".join(f'<span class="al">{e(a)}</span>' for a in r["alarms"])
                  or '<span class="none">none</span>')
        backlog = "—" if r["backlog"] is None else f"{r['backlog']}"
        if r["oldest_pending_age_s"]:
            backlog += f" (oldest {_age(r['oldest_pending_age_s'])})"
        offset = "—" if r["clock_offset_s"] is None else f"{r['clock_offset_s']:+.1f} s"
        disk = "—" if r["disk_free_bytes"] is None else f"{r['disk_free_bytes'] / 1024**3:.1f} GiB"
        body.append(
            f'<tr class="{"alarm" if r["alarms"] else "ok"}"><td><b>{e(r["kiosk_id"])}</b><br>'
            f'{e(r["app_version"] or "")}</td><td>{_ago(r["heartbeat_age_s"])}</td><td>{devs}</td>'
            f'<td>{backlog}</td><td>{_ago(r["last_sync_age_s"])}</td>'
            f'<td>{r["stored"]} / {r["duplicates"]} / {r["rejected"]}</td><td>{offset}</td><td>{disk}</td>'
            f"<td>{alarms}</td></tr>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_S}"><title>Bawaba fleet</title>'
        f"<style>{CSS}</style></head><body>"
        '<h1>Bawaba fleet — <span lang="ar" dir="rtl">أسطول الأكشاك</span></h1>'
        f'<div class="sub">{len(rows)} kiosks, {n_alarm} with alarms; refreshes every {REFRESH_S} s</div>'
        "<table><thead><tr><th>Kiosk</th><th>Last heartbeat</th><th>Devices</th><th>Backlog</th>"
        "<th>Last sync</th><th>Stored / dup / rej</th><th>Clock offset</th><th>Disk free</th>"
        f"<th>Alarms</th></tr></thead><tbody>{''.join(body)}</tbody></table></body></html>"
    )
