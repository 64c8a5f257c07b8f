/*
 * dp_account.h — zero-concentrated differential privacy (zCDP, Bun and
 * Steinke 2016) accounting for a query's releases, and the noise each
 * node adds.
 *
 * A Gaussian release with L2 sensitivity D and noise variance sigma^2 is
 * rho-zCDP with rho = D^2 / (2 sigma^2); rho adds up over releases.  A
 * rho-zCDP mechanism is (epsilon, delta)-DP for
 *     epsilon = rho + 2 sqrt(rho ln(1/delta)),
 * which is what the CLI shows; a request for (epsilon, delta) is turned
 * into the largest rho with that epsilon:
 *     rho = (sqrt(ln(1/delta) + epsilon) - sqrt(ln(1/delta)))^2.
 * The discrete Gaussian enjoys the same bound (Canonne, Kamath, Steinke
 * 2020), and the sum of the nodes' independent discrete Gaussians is
 * within a negligible term of one for the variances used here (Kairouz,
 * Liu, Steinke 2021); the accounting takes the sum as one Gaussian.
 *
 * A query releases two vectors (core/query/release.h).  One record
 * changes one group only, so per vector the L2 sensitivity is that of one
 * group block:
 *   pass 1 (counts): count(*) and each measure's non-NULL count: 1 each;
 *   pass 2 counts: count(*), each measure's count and clipped count;
 *   pass 2 sums: each measure's clipped sum, max(|lo|, |hi|) per measure;
 *   pass 2 sums of squares: max(|lo|, |hi|)^2 per measure that needs it.
 * The job's rho is split in equal shares between these classes (three or
 * four), each class's sigma^2 = D^2 / (2 rho_class), and a node adds
 * ceil(sigma^2 / t) so that any t survivors add at least sigma^2.
 * Floating point is used here, for calibration only; the sampler
 * (crypto/dp.h) takes the integer variances.
 */
#ifndef CRN_QUERY_DP_ACCOUNT_H
#define CRN_QUERY_DP_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "query/plan.h"

#define CRN_DP_CLASSES 4
enum { CRN_DP_PASS1 = 0, CRN_DP_COUNTS, CRN_DP_SUMS, CRN_DP_SUMSQ };

/* rho of a Gaussian release: D^2 / (2 sigma^2). */
double crn_dp_rho(double sens2, double sigma2);
/* epsilon of rho-zCDP at delta (0 < delta < 1). */
double crn_dp_epsilon(double rho, double delta);
/* Largest rho whose epsilon at delta is epsilon. */
double crn_dp_rho_of(double epsilon, double delta);
/* Is (epsilon, delta) a usable request?  epsilon in (0, 100], delta in
 * (0, 0.5). */
bool crn_dp_request_ok(double epsilon, double delta);

/*
 * The noise of a query plan at total rho: per class, the squared L2
 * sensitivity, the target variance of the released sum and the variance
 * a node adds when the session accepts t survivors.  Classes a plan does
 * not have (no sums of squares) get 0 and no share of rho.
 */
typedef struct crn_dp_noise {
	double rho;
	double sens2[CRN_DP_CLASSES];
	double sigma2[CRN_DP_CLASSES]; /* of the sum over >= t nodes */
	unsigned __int128 node_sigma2[CRN_DP_CLASSES];
	uint32_t t;
} crn_dp_noise;

/* Fill *n for plan p, total rho > 0, threshold t >= 1.  CAIRN_EINVAL for
 * bad arguments or a variance the sampler cannot take. */
CAIRN_NODISCARD cairn_err crn_dp_noise_of(
    crn_dp_noise *n, const crn_plan *p, double rho, uint32_t t);

/*
 * The noise of an approved-code job (core/lua/code.h's vector): len
 * values clipped to [lo, hi] in fixed point with scale decimals, then the
 * clip count.  One record may move every value of its node's output
 * anywhere in [lo, hi] and the clip count by up to len, so the classes
 * are CRN_DP_SUMS, squared L2 sensitivity len * ((hi - lo) 10^scale)^2,
 * for the values and CRN_DP_COUNTS, len^2, for the clip count; rho is
 * split between the two.  CAIRN_EINVAL as crn_dp_noise_of.
 */
CAIRN_NODISCARD cairn_err crn_dp_noise_code(crn_dp_noise *n, uint64_t len,
    double lo, double hi, uint32_t scale, double rho, uint32_t t);

/* The class of element `off` within a pass-2 group block of p. */
int crn_dp_class_of(const crn_plan *p, uint32_t off);

#endif /* CRN_QUERY_DP_ACCOUNT_H */
