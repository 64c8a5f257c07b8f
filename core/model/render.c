/*
 * render.c — a fitted model as text (like R's summary), JSON and CSV.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "model/model_int.h"

typedef struct sb {
	char *s;
	size_t len, cap;
	bool oom;
} sb;

static void sbf(sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sbf(sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t nc = b->cap * 2 + (size_t)n + 256;
			char *ns = crn_realloc(b->s, b->cap, nc);

			if (ns == NULL) {
				b->oom = true;
				return;
			}
			b->s = ns;
			b->cap = nc;
		}
	}
}

/* A JSON string (expressions may hold quotes). */
static void
sbj(sb *b, const char *s)
{
	sbf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sbf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sbf(b, "\\u%04x", *s);
		else
			sbf(b, "%c", *s);
	}
	sbf(b, "\"");
}

/* A CSV field, quoted when needed. */
static void
sbc(sb *b, const char *s)
{
	if (strpbrk(s, ",\"\n") == NULL) {
		sbf(b, "%s", s);
		return;
	}
	sbf(b, "\"");
	for (; *s; s++)
		sbf(b, *s == '"' ? "\"\"" : "%c", *s);
	sbf(b, "\"");
}

/* A JSON number; null for one that is not finite (a DP fit's residual
 * error when the noise made it unknown). */
static void
sbn(sb *b, const char *pre, double v)
{
	if (isfinite(v))
		sbf(b, "%s%.17g", pre, v);
	else
		sbf(b, "%snull", pre);
}

static const char *
term(const crn_model *m, size_t i)
{
	size_t off = m->p - m->spec.nx;

	return i < off ? "(Intercept)" : m->spec.x[i - off];
}

static void
json_reg(sb *j, const crn_model_fit *f)
{
	const crn_model *m = f->m;
	const char *arr[2] = {"coef", "std_err"};

	sbf(j, "\"terms\":[");
	for (size_t i = 0; i < m->p; i++) {
		sbf(j, i ? "," : "");
		sbj(j, term(m, i));
	}
	sbf(j, "]");
	for (int a = 0; a < 2; a++) {
		sbf(j, ",\"%s\":[", arr[a]);
		for (size_t i = 0; i < m->p; i++)
			sbn(j, i ? "," : "", a ? f->se[i] : f->coef[i]);
		sbf(j, "]");
	}
	sbf(j, ",\"n\":%.0f", f->n);
	if (m->spec.kind == CRN_MODEL_LINEAR) {
		sbn(j, ",\"r_squared\":", f->r2);
		sbn(j, ",\"residual_se\":", f->resid_se);
	} else {
		sbf(j, ",\"iterations\":%u,\"converged\":%s", f->round,
		    f->converged ? "true" : "false");
		sbn(j, ",\"deviance\":", f->deviance);
	}
}

static void
json_km(sb *j, const crn_model_fit *f)
{
	const crn_model *m = f->m;
	size_t d = m->spec.nx;

	sbf(j, "\"terms\":[");
	for (size_t i = 0; i < d; i++) {
		sbf(j, i ? "," : "");
		sbj(j, m->spec.x[i]);
	}
	sbf(j, "],\"centers\":[");
	for (size_t c = 0; c < m->spec.k; c++) {
		sbf(j, "%s[", c ? "," : "");
		for (size_t i = 0; i < d; i++)
			sbn(j, i ? "," : "", f->centers[c * d + i]);
		sbf(j, "]");
	}
	sbf(j, "],\"sizes\":[");
	for (size_t c = 0; c < m->spec.k; c++)
		sbf(j, "%s%llu", c ? "," : "", (unsigned long long)f->sizes[c]);
	sbf(j, "],\"n\":%.0f,\"iterations\":%u,\"converged\":%s", f->n,
	    f->round, f->converged ? "true" : "false");
}

static void
text_out(sb *t, sb *c, const crn_model_fit *f)
{
	const crn_model *m = f->m;
	size_t d = m->spec.nx;

	sbf(t, "%s model on %s, %.0f rows", crn_model_kind_name(m->spec.kind),
	    m->spec.dataset, f->n);
	if (m->spec.kind == CRN_MODEL_KMEANS) {
		sbf(t, ", %u iterations%s\n%-8s %10s", f->round,
		    f->converged ? "" : " (not converged)", "cluster", "size");
		sbf(c, "cluster,size");
		for (size_t i = 0; i < d; i++) {
			sbf(t, " %14s", m->spec.x[i]);
			sbf(c, ",");
			sbc(c, m->spec.x[i]);
		}
		sbf(t, "\n");
		sbf(c, "\n");
		for (size_t k = 0; k < m->spec.k; k++) {
			sbf(t, "%-8zu %10llu", k + 1,
			    (unsigned long long)f->sizes[k]);
			sbf(c, "%zu,%llu", k + 1,
			    (unsigned long long)f->sizes[k]);
			for (size_t i = 0; i < d; i++) {
				sbf(t, " %14.6g", f->centers[k * d + i]);
				sbf(c, ",%.17g", f->centers[k * d + i]);
			}
			sbf(t, "\n");
			sbf(c, "\n");
		}
		return;
	}
	if (m->spec.kind == CRN_MODEL_LINEAR)
		sbf(t, "\n");
	else
		sbf(t, ", %u iterations%s, deviance %.10g\n", f->round,
		    f->converged ? "" : " (not converged)", f->deviance);
	sbf(t, "%-24s %16s %16s\n", "term", "Estimate", "Std. Error");
	sbf(c, "term,estimate,std_err\n");
	for (size_t i = 0; i < m->p; i++) {
		sbf(t, "%-24s %16.8g %16.8g\n", term(m, i), f->coef[i],
		    f->se[i]);
		sbc(c, term(m, i));
		sbf(c, ",%.17g,%.17g\n", f->coef[i], f->se[i]);
	}
	if (m->spec.kind == CRN_MODEL_LINEAR)
		sbf(t, "Residual standard error %.8g, R-squared %.8g\n",
		    f->resid_se, f->r2);
}

cairn_err
crn_model_fit_render(
    const crn_model_fit *f, char **text, char **json, char **csv)
{
	sb t = {0}, j = {0}, c = {0};

	*text = *json = *csv = NULL;
	sbf(&j, "{\"model\":\"%s\",", crn_model_kind_name(f->m->spec.kind));
	if (f->m->spec.kind == CRN_MODEL_KMEANS)
		json_km(&j, f);
	else
		json_reg(&j, f);
	if (f->dp_epsilon > 0)
		sbf(&j, ",\"epsilon\":%.15g,\"delta\":%.15g", f->dp_epsilon,
		    f->dp_delta);
	sbf(&j, "}");
	text_out(&t, &c, f);
	if (f->dp_epsilon > 0)
		sbf(&t,
		    "Differential privacy epsilon %g, delta %g: every round's statistics carry noise, and so do these figures\n",
		    f->dp_epsilon, f->dp_delta);
	if (t.oom || j.oom || c.oom) {
		crn_free(t.s, t.cap);
		crn_free(j.s, j.cap);
		crn_free(c.s, c.cap);
		return CAIRN_ENOMEM;
	}
	/* Handed out as NUL-terminated strings freed with crn_strfree. */
	*text = crn_strdup(t.s);
	*json = crn_strdup(j.s);
	*csv = crn_strdup(c.s);
	crn_free(t.s, t.cap);
	crn_free(j.s, j.cap);
	crn_free(c.s, c.cap);
	if (*text == NULL || *json == NULL || *csv == NULL) {
		crn_strfree(*text);
		crn_strfree(*json);
		crn_strfree(*csv);
		*text = *json = *csv = NULL;
		return CAIRN_ENOMEM;
	}
	return CAIRN_OK;
}
