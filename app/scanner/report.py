"""A scan as a JSON document (app/scanner/scan.schema.json) and as a table for people (no Flask)."""
import json
from collections import Counter
from pathlib import Path

from app.scanner.compare import CODES, failed
from app.scanner.observations import COOKIE, PASSES

FORMAT = "consent-gate-scan/1"
SCHEMA_PATH = Path(__file__).parent / "scan.schema.json"
PASS_LABELS = {"none": "no choice", "reject": "Reject all", "accept": "Accept all"}


def scan_document(site_id, build, catalog_version, crawl, findings):
    """Return everything a scan saw and found as plain data, ready for JSON."""
    counts = Counter(finding.code for finding in findings)
    return {
        "format": FORMAT,
        "site_id": site_id,
        "build": build,
        "catalog_version": catalog_version,
        "started_at": crawl.started_at.isoformat(),
        "finished_at": crawl.finished_at.isoformat() if crawl.finished_at else None,
        "pages": list(crawl.pages),
        "skipped": [{"url": url, "reason": reason} for url, reason in crawl.skipped],
        "passes": [_pass_document(result) for result in crawl.passes],
        "findings": [_finding_document(finding) for finding in findings],
        "summary": {"pages": len(crawl.pages), "counts": {code: counts[code] for code in CODES},
                    "failed": failed(findings)},
    }


def _pass_document(result):
    return {
        "page": result.page,
        "pass": result.pass_name,
        "banner": result.banner,
        "error": result.error,
        "cookies": [{"name": item.name, "domain": item.domain, "path": item.path,
                     "expires_in": item.lifetime, "http_only": item.http_only,
                     "secure": item.secure, "same_site": item.same_site, "set_by": item.set_by,
                     "set_by_kind": item.set_by_kind, "script_category": item.script_category}
                    for item in result.items if item.storage == COOKIE],
        "storage": [{"storage": item.storage, "name": item.name, "set_by": item.set_by,
                     "script_category": item.script_category}
                    for item in result.items if item.storage != COOKIE],
        "third_party_hosts": list(result.third_party_hosts),
    }


def _finding_document(finding):
    return {
        "code": finding.code,
        "storage": finding.storage,
        "name": finding.name,
        "message": finding.message,
        "passes": list(finding.passes),
        "declared": finding.declared,
        "category": finding.category,
        "suggestion": finding.suggestion.as_document() if finding.suggestion else None,
    }


def dumps(document):
    """Serialize a scan document for --json and for the store."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def load_schema():
    """Return the JSON Schema every scan document follows."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def render_table(document):
    """Return a scan document as lines of text: what each pass saw, then every finding."""
    lines = [f"{document['site_id']}: {document['summary']['pages']} page(s) scanned, banner "
             f"build {document['build']}, catalog version {document['catalog_version']}"]
    lines += [f"  skipped {entry['url']} ({entry['reason']})" for entry in document["skipped"]]
    lines += ["", f"{'pass':<12} {'banner':>8} {'cookies':>8} {'storage':>8}  third-party hosts"]
    for name in PASSES:
        results = [entry for entry in document["passes"] if entry["pass"] == name]
        banners = sum(entry["banner"] for entry in results)
        cookies = {cookie["name"] for entry in results for cookie in entry["cookies"]}
        storage = {item["name"] for entry in results for item in entry["storage"]}
        hosts = sorted({host for entry in results for host in entry["third_party_hosts"]})
        lines.append(f"{PASS_LABELS[name]:<12} {banners:>4}/{len(results):<3} {len(cookies):>8} "
                     f"{len(storage):>8}  {', '.join(hosts) or '-'}")
    lines += ["", f"{'finding':<15} {'key':<36} {'seen':<19} details"]
    for finding in document["findings"]:
        key = f"{finding['storage']} {finding['name']}"
        seen = ",".join(finding["passes"]) or "-"
        lines.append(f"{finding['code']:<15} {key:<36} {seen:<19} {finding['message']}")
        if finding["suggestion"]:
            lines.append(f"{'':<15} suggested: {_suggestion_text(finding['suggestion'])}")
    counts = document["summary"]["counts"]
    lines += ["", ", ".join(f"{counts[code]} {code}" for code in CODES)
              + ("; FAILED (leaks or undeclared items)" if document["summary"]["failed"] else "")]
    return lines


def _suggestion_text(suggestion):
    item = suggestion["item"]
    match = "" if item["match"] == "exact" else f", match: {item['match']}"
    return (f"{suggestion['category']}: {{name: {item['name']}{match}, storage: {item['storage']}, "
            f"provider: {item['provider']}, lifetime: {item['lifetime']}}}")
