#!/usr/bin/env python3
"""Generate the example federation's data: three agencies' shares of one
synthetic Current Population Survey extract (dataset "cps" in
examples/schema/cps.ini).  Deterministic: the same files every run.

    python3 examples/data/generate.py [output-dir]

agency1.csv  300 rows, mostly north/east, the schema's column names
agency2.csv  250 rows, mostly south, calls wage "hourly_wage" and
             education "years_schooling" (see examples/node2.conf)
agency3.csv  350 rows, mostly west, quoted fields and CRLF line ends
"""
import os
import random
import sys

REGIONS = ["north", "south", "east", "west"]
SEXES = ["female", "male"]


def person(rng, region_weights):
    region = rng.choices(REGIONS, weights=region_weights)[0]
    sex = rng.choice(SEXES)
    age = rng.randint(16, 80)
    education = max(0, min(20, int(rng.gauss(13, 3))))
    # Hourly wage in cents: grows with schooling and experience, with a
    # gap by sex and by region, log-normal noise; a few are missing.
    base = 900 + 160 * education + 25 * min(age - 16, 35)
    base *= 0.88 if sex == "female" else 1.0
    base *= {"north": 1.05, "south": 0.92, "east": 1.0, "west": 1.1}[region]
    cents = int(base * rng.lognormvariate(0, 0.35))
    cents = max(725, min(cents, 50000_00))
    wage = None if rng.random() < 0.04 else cents
    # Hours per week, one decimal digit.
    tenths = max(50, min(800, int(rng.gauss(385, 80))))
    return dict(age=age, education=education, wage=wage, hours=tenths,
                region=region, sex=sex)


def fmt_wage(c):
    return "" if c is None else "%d.%02d" % (c // 100, c % 100)


def fmt_hours(t):
    return "%d.%d" % (t // 10, t % 10)


def write(path, rows, names, quote=False, eol="\n"):
    cols = ["age", "education", "wage", "hours", "region", "sex"]
    with open(path, "w", newline="") as f:
        f.write(",".join(names.get(c, c) for c in cols) + eol)
        for r in rows:
            cells = [str(r["age"]), str(r["education"]), fmt_wage(r["wage"]),
                     fmt_hours(r["hours"]), r["region"], r["sex"]]
            if quote:
                cells[4] = '"%s"' % cells[4]
                cells[5] = '"%s"' % cells[5]
            f.write(",".join(cells) + eol)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    rng = random.Random(20261127)
    a1 = [person(rng, [5, 1, 4, 1]) for _ in range(300)]
    a2 = [person(rng, [1, 6, 2, 1]) for _ in range(250)]
    a3 = [person(rng, [1, 1, 2, 6]) for _ in range(350)]
    write(os.path.join(out, "agency1.csv"), a1, {})
    write(os.path.join(out, "agency2.csv"), a2,
          {"wage": "hourly_wage", "education": "years_schooling"})
    write(os.path.join(out, "agency3.csv"), a3, {}, quote=True, eol="\r\n")


if __name__ == "__main__":
    main()
