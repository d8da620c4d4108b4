"""csv-stats: JSON {"csv": "..."} on stdin, JSON statistics on stdout."""

import csv
import io
import json
import sys


def numeric(values):
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def summarise(table: str) -> dict:
    reader = csv.reader(io.StringIO(table))
    header = next(reader, None) or []
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    columns = {}
    for i, name in enumerate(header):
        values = numeric([row[i] for row in rows if i < len(row)])
        if values:
            columns[name] = {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}
    described = ", ".join(f"{name} has mean {stats['mean']:g}" for name, stats in columns.items())
    summary = f"{len(rows)} rows" + (f"; {described}." if described else "; no numeric columns.")
    return {"rows": len(rows), "columns": columns, "summary": summary}


def main() -> None:
    request = json.load(sys.stdin)
    json.dump(summarise(request["csv"]), sys.stdout)


if __name__ == "__main__":
    main()
