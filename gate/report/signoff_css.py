"""The sign-off page's stylesheet: inline, print-friendly, no web font, no external resource."""

from __future__ import annotations

from typing import Final

CSS: Final = """
*{box-sizing:border-box} body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;
margin:0;background:#f3f4f6} main{max-width:1000px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #e5e7eb;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:#374151}
.meta{color:#4b5563;font-size:13px} .meta code{font-size:12px}
.verdict{margin:18px 0 8px;padding:18px 24px;border-radius:10px;color:#fff;display:flex;gap:28px;align-items:center}
.verdict .word{font-size:64px;font-weight:800;letter-spacing:.02em;line-height:1;white-space:nowrap}
.verdict .why{font-size:15px;flex:1} .verdict .why b{display:block;font-size:16px;margin-bottom:4px}
.decision{border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;background:#f9fafb}
.decision dt{font-weight:600;float:left;clear:left;width:150px} .decision dd{margin:0 0 6px 160px}
.note{font-size:12px;color:#6b7280} .warn{border-left:5px solid #b91c1c;background:#fef2f2;padding:10px 14px;border-radius:6px}
.okbox{border-left:5px solid #15803d;background:#f0fdf4;padding:10px 14px;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px} table.checks{table-layout:fixed}
table.checks th:nth-child(1){width:84px} table.checks th:nth-child(2){width:92px} table.checks th:nth-child(3){width:80px}
table.checks th:nth-child(5){width:80px} svg.timeline{max-width:100%;height:auto} th,td{border-bottom:1px solid #e5e7eb;padding:5px 8px;
text-align:left;vertical-align:top} th{background:#f9fafb;font-weight:600}
td.id{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap;font-weight:600} td.num{text-align:right;white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.o-passed{background:#16a34a} .o-failed,.o-error,.o-broken{background:#dc2626} .o-skipped{background:#6b7280}
.o-unknown{background:#9ca3af} .s-critical{color:#b91c1c;font-weight:600} .s-high{color:#b45309;font-weight:600} .s-low{color:#1d4ed8}
tr.decider td{background:#fff7ed} .mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
ul.manual{list-style:none;padding-left:0} ul.manual li{margin:4px 0} ul.manual input{margin-right:8px;transform:scale(1.2)}
table.details ul{margin:0;padding-left:18px} .sign{display:grid;grid-template-columns:repeat(3,1fr);gap:18px;margin-top:8px}
.sign div{border:1px solid #d1d5db;border-radius:8px;padding:10px 12px;min-height:150px}
.sign b{display:block;margin-bottom:10px} .sign p{margin:14px 0 0;border-bottom:1px solid #9ca3af;padding-bottom:2px;
font-size:12px;color:#6b7280} .matrix td.hit{background:#fff7ed;font-weight:600}
@media print{body{background:#fff} main{padding:0} .verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""
