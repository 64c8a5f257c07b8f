#!/usr/bin/env python3
"""Data and pooled reference fits for fed_model.sh (standard library only).

  gen DIR N1 N2 N3      write DIR/data/node{1,2,3}.csv with a fixed seed
  fit KIND CSV... -- JSON_FILE [args]
                        fit KIND on the pooled rows of the CSV files in
                        double precision (normal equations / IRLS /
                        Lloyd, written out here), compare with the
                        federated JSON cairn printed, exit 1 on a
                        difference above 1e-8 relative.
The features are computed here from the raw columns, independently of
cairn's expression code: each KIND fixes its terms (see FEATURES).
"""
import csv, json, math, random, sys

COLS = ["x1", "x2", "region", "yb", "cnt", "yl", "secret"]


def gen(d, sizes):
    rnd = random.Random(20261205)
    for i, n in enumerate(sizes, 1):
        with open(f"{d}/data/node{i}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLS)
            for _ in range(n):
                x1 = round(rnd.uniform(-5, 5), 3)
                x2 = round(rnd.uniform(0.1, 10), 2)
                reg = rnd.choice(["north", "south", "west"])
                eta = 0.4 + 0.8 * x1 - 0.3 * x2 + (0.5 if reg == "west" else 0)
                yb = 1 if rnd.random() < 1 / (1 + math.exp(-eta)) else 0
                lam = math.exp(0.2 + 0.25 * x1 + 0.05 * x2)
                # Poisson draw by inversion, capped at the schema's bound.
                k, p, u = 0, math.exp(-lam), rnd.random()
                c = p
                while u > c and k < 50:
                    k += 1
                    p *= lam / k
                    c += p
                yl = round(3 + 2 * x1 - 1.5 * math.log(x2) + rnd.gauss(0, 1), 3)
                w.writerow([f"{x1:.3f}", f"{x2:.2f}", reg, yb, k,
                            f"{yl:.3f}", rnd.randint(0, 9)])


def rows(files):
    out = []
    for fn in files:
        with open(fn) as f:
            for r in csv.DictReader(f):
                out.append(r)
    return out


# The terms of each fit, as cairn is asked for them in fed_model.sh.
def feats(kind, r):
    x1, x2 = float(r["x1"]), float(r["x2"])
    west = 1.0 if r["region"] == "west" else 0.0
    if kind == "linear":
        return [1.0, x1, math.log(x2), west], float(r["yl"])
    if kind == "logistic":
        return [1.0, x1, x2, west], float(r["yb"])
    if kind == "poisson":
        return [1.0, x1, x2 * x2 / 10, (1.0 if x1 > 0 else 0.0)], float(r["cnt"])
    return [x1, x2], None


def solve(a, b):
    """Gaussian elimination with partial pivoting; returns x and A^-1."""
    n = len(a)
    m = [list(a[i]) + [b[i]] + [1.0 if j == i else 0.0 for j in range(n)]
         for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda i: abs(m[i][c]))
        m[c], m[p] = m[p], m[c]
        for i in range(n):
            if i != c:
                f = m[i][c] / m[c][c]
                for j in range(c, 2 * n + 1):
                    m[i][j] -= f * m[c][j]
    x = [m[i][n] / m[i][i] for i in range(n)]
    inv = [[m[i][n + 1 + j] / m[i][i] for j in range(n)] for i in range(n)]
    return x, inv


def linear(data, intercept=True, l2=0.0):
    """OLS, or ridge with l2 on every coefficient but the intercept; the
    errors are sigma^2 diag((X'X + l2 I)^-1), sigma^2 from the residuals."""
    X = [f if intercept else f[1:] for f, _ in data]
    y = [t for _, t in data]
    p, n = len(X[0]), len(X)
    xtx = [[sum(r[i] * r[j] for r in X) for j in range(p)] for i in range(p)]
    xty = [sum(r[i] * t for r, t in zip(X, y)) for i in range(p)]
    for i in range(1 if intercept else 0, p):
        xtx[i][i] += l2
    b, inv = solve(xtx, xty)
    rss = sum((t - sum(bi * ri for bi, ri in zip(b, r))) ** 2
              for r, t in zip(X, y))
    s2 = rss / (n - p)
    se = [math.sqrt(s2 * inv[i][i]) for i in range(p)]
    # Without an intercept R's convention: R^2 against y'y, not centred.
    mean = sum(y) / n if intercept else 0.0
    r2 = 1 - rss / sum((t - mean) ** 2 for t in y)
    return {"coef": b, "std_err": se, "n": n, "r_squared": r2,
            "residual_se": math.sqrt(s2)}


def glm(data, kind, tol=1e-10, max_iter=25):
    """IRLS from zero; coefficients, errors and deviance at the last beta
    whose deviance changed by less than tol (relative) from the one before."""
    X = [f for f, _ in data]
    y = [t for _, t in data]
    p = len(X[0])
    beta = [0.0] * p
    prev = None
    for it in range(1, max_iter + 1):
        H = [[0.0] * p for _ in range(p)]
        g = [0.0] * p
        dev = 0.0
        for r, t in zip(X, y):
            eta = sum(b * v for b, v in zip(beta, r))
            if kind == "logistic":
                mu = 1 / (1 + math.exp(-eta))
                w = mu * (1 - mu)
                dev += 2 * (math.log1p(math.exp(-eta)) if t == 1
                            else math.log1p(math.exp(eta)))
            else:
                mu = math.exp(eta)
                w = mu
                dev += 2 * ((t * math.log(t / mu) if t > 0 else 0) - (t - mu))
            for i in range(p):
                g[i] += r[i] * (t - mu)
                for j in range(p):
                    H[i][j] += w * r[i] * r[j]
        delta, inv = solve(H, g)
        se = [math.sqrt(inv[i][i]) for i in range(p)]
        if it >= 2 and abs(dev - prev) / (abs(dev) + 0.1) < tol:
            return {"coef": beta, "std_err": se, "n": len(X),
                    "deviance": dev, "iterations": it, "converged": True}
        prev = dev
        beta = [b + d for b, d in zip(beta, delta)]
    raise SystemExit("reference did not converge")


def kmeans(data, init, max_iter=100):
    X = [f for f, _ in data]
    cen = [list(c) for c in init]
    for it in range(1, max_iter + 1):
        k = len(cen)
        cnt = [0] * k
        sums = [[0.0] * len(cen[0]) for _ in range(k)]
        for r in X:
            d = [sum((a - b) ** 2 for a, b in zip(r, c)) for c in cen]
            best = d.index(min(d))
            cnt[best] += 1
            for j, v in enumerate(r):
                sums[best][j] += v
        new = [[s / cnt[c] for s in sums[c]] for c in range(k)]
        if new == cen:
            return {"centers": new, "sizes": cnt, "iterations": it}
        cen = new
    raise SystemExit("reference k-means did not converge")


REL = 1e-8


def close(a, b, what):
    if abs(a - b) > REL * max(abs(b), 1e-300) and abs(a - b) > 1e-12:
        raise SystemExit(f"{what}: federated {a!r}, pooled {b!r}")


def main():
    if sys.argv[1] == "gen":
        gen(sys.argv[2], [int(v) for v in sys.argv[3:]])
        return
    global REL
    kind = sys.argv[2]
    # "logistic~": the fit went another way (a node dropped mid-fit), so
    # only its converged answer is compared, to 1e-6, not its iterations.
    loose = kind.endswith("~")
    kind = kind.rstrip("~")
    if loose:
        REL = 1e-6
    sep = sys.argv.index("--")
    files, fed_file = sys.argv[3:sep], sys.argv[sep + 1]
    fed = json.load(open(fed_file))
    # The linear fit runs with --where "x2 >= 0.5".
    base = "linear" if kind in ("linear0", "ridge") else kind
    data = [feats(base, r) for r in rows(files)
            if base != "linear" or float(r["x2"]) >= 0.5]
    if kind == "linear":
        ref = linear(data)
    elif kind == "linear0":
        ref = linear(data, intercept=False)
    elif kind == "ridge":
        ref = linear(data, l2=2.5)
    elif kind in ("logistic", "poisson"):
        ref = glm(data, kind)
    else:
        init = [[float(v) for v in c.split(",")] for c in sys.argv[sep + 2].split(";")]
        ref = kmeans(data, init)
        if fed["sizes"] != ref["sizes"] or fed["iterations"] != ref["iterations"]:
            raise SystemExit(f"kmeans sizes/iterations {fed['sizes']} {fed['iterations']} vs {ref['sizes']} {ref['iterations']}")
        for c1, c2 in zip(fed["centers"], ref["centers"]):
            for a, b in zip(c1, c2):
                close(a, b, "centre")
        print(f"{kind}: {len(data)} rows, centres and sizes equal")
        return
    if fed["n"] != ref["n"]:
        raise SystemExit(f"n {fed['n']} vs {ref['n']}")
    for key in ("coef", "std_err"):
        for i, (a, b) in enumerate(zip(fed[key], ref[key])):
            close(a, b, f"{key}[{i}]")
    for key in ("r_squared", "residual_se", "deviance"):
        if key in ref:
            close(fed[key], ref[key], key)
    if not loose and "iterations" in ref and fed["iterations"] != ref["iterations"]:
        raise SystemExit(f"iterations {fed['iterations']} vs {ref['iterations']}")
    print(f"{kind}: {len(data)} rows, coefficients and errors agree to {REL:g}")


main()
