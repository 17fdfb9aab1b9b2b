/* Fast path for COCO results files; contract in coco_json_internal.h.
 *
 * Accepts: ws '[' ws (record (ws ',' ws record)*)? ws ']' ws EOF, where a record is an object with
 * integer "image_id" and "category_id", "bbox" an array of exactly 4 numbers, a number "score", and
 * any other members made of plain-ASCII strings without escapes, numbers, literals, arrays and
 * objects (nested at most 32 deep). A repeated key keeps its last value, as jansson does.
 * Large files are scanned by two threads from the middle (see ak__coco_dets_scan), with the same result.
 * Numbers follow the JSON grammar; integers of up to 18 digits are read directly, longer ones with
 * strtoll (declining on overflow, where jansson reports an error); reals with few digits by Clinger's exact fast path (a mantissa below
 * 2^53 times or divided by an exact power of ten <= 1e22 is one correctly rounded IEEE operation),
 * the rest with strtod; both give the correctly rounded value, as jansson's strtod does.
 */
#include <errno.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/coco_json_internal.h"

enum { MAX_DEPTH = 32, MAX_NUMBER = 64 };

typedef struct scan {
    const char *p, *end;
} scan;

static void ws(scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int take(scan *s, char c) {
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A plain string: returns its bytes in [*b, *e); 0 to decline. */
static int string(scan *s, const char **b, const char **e) {
    if (!take(s, '"'))
        return 0;
    *b = s->p;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *e = s->p++;
            return 1;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return 0;
        s->p++;
    }
    return 0;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A JSON number. *is_int tells which of *iv / *dv is set. 0 to decline. */
static int number(scan *s, int *is_int, long long *iv, double *dv) {
    const char *b = s->p;
    int neg = take(s, '-');
    uint64_t mant = 0;
    int digits = 0, frac = 0, exp = 0;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
    } else if (s->p < s->end && *s->p >= '1' && *s->p <= '9') {
        while (s->p < s->end && is_digit(*s->p)) {
            if (digits < 19)
                mant = mant * 10 + (uint64_t)(*s->p - '0');
            digits++;
            s->p++;
        }
    } else {
        return 0;
    }
    int real = 0;
    if (take(s, '.')) {
        real = 1;
        if (!(s->p < s->end && is_digit(*s->p)))
            return 0;
        while (s->p < s->end && is_digit(*s->p)) {
            if (digits < 19)
                mant = mant * 10 + (uint64_t)(*s->p - '0');
            if (mant || *s->p != '0' || digits)
                digits++; /* leading zeros of 0.000x do not count */
            frac++;
            s->p++;
        }
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        real = 1;
        s->p++;
        int eneg = take(s, '-');
        if (!eneg)
            take(s, '+');
        if (!(s->p < s->end && is_digit(*s->p)))
            return 0;
        while (s->p < s->end && is_digit(*s->p)) {
            if (exp < 100000)
                exp = exp * 10 + (*s->p - '0');
            s->p++;
        }
        if (eneg)
            exp = -exp;
    }
    *is_int = !real;
    if (!real && digits <= 18) { /* exact in mant; strtoll would give the same */
        *iv = neg ? -(long long)mant : (long long)mant;
        return 1;
    }
    int e10 = exp - frac;
    if (real && digits <= 15 && e10 >= -22 && e10 <= 22) {
        double m = (double)mant; /* exact: mant < 10^15 < 2^53 */
        double v = e10 < 0 ? m / pow10_exact[-e10] : m * pow10_exact[e10];
        /* m * 10^e10 may exceed 2^53 only when the true value is not exactly representable either;
         * one multiplication of two exact operands is still correctly rounded. */
        *dv = neg ? -v : v;
        return 1;
    }
    size_t len = (size_t)(s->p - b);
    if (len >= MAX_NUMBER)
        return 0;
    char tok[MAX_NUMBER];
    memcpy(tok, b, len);
    tok[len] = '\0';
    errno = 0;
    if (!real) {
        *iv = strtoll(tok, NULL, 10);
        return errno != ERANGE; /* jansson: "too big integer" */
    }
    *dv = strtod(tok, NULL);
    return !(errno == ERANGE && (*dv > 1 || *dv < -1)); /* overflow: jansson refuses it */
}

static int value(scan *s, int depth);

static int container(scan *s, int depth, char close) {
    if (depth > MAX_DEPTH)
        return 0;
    ws(s);
    if (take(s, close))
        return 1;
    for (;;) {
        if (close == '}') {
            const char *b, *e;
            if (!string(s, &b, &e))
                return 0;
            ws(s);
            if (!take(s, ':'))
                return 0;
            ws(s);
        }
        if (!value(s, depth + 1))
            return 0;
        ws(s);
        if (take(s, close))
            return 1;
        if (!take(s, ','))
            return 0;
        ws(s);
    }
}

static int literal(scan *s, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

/* Skip any value we do not keep. */
static int value(scan *s, int depth) {
    if (s->p >= s->end)
        return 0;
    switch (*s->p) {
    case '"': {
        const char *b, *e;
        return string(s, &b, &e);
    }
    case '{': s->p++; return container(s, depth, '}');
    case '[': s->p++; return container(s, depth, ']');
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: {
        int is_int;
        long long iv;
        double dv;
        return number(s, &is_int, &iv, &dv);
    }
    }
}

static int key_is(const char *b, const char *e, const char *key) {
    size_t n = strlen(key);
    return (size_t)(e - b) == n && memcmp(b, key, n) == 0;
}

static int num_as_double(scan *s, double *out) {
    int is_int;
    long long iv;
    if (!number(s, &is_int, &iv, out))
        return 0;
    if (is_int)
        *out = (double)iv; /* json_number_value of an integer */
    return 1;
}

static int record(scan *s, ak_coco_det *d) {
    enum { IMG = 1, CAT = 2, BOX = 4, SCORE = 8 };
    int have = 0;
    if (!take(s, '{'))
        return 0;
    ws(s);
    if (take(s, '}'))
        return 0; /* fields missing: let jansson's path name them */
    for (;;) {
        const char *b, *e;
        if (!string(s, &b, &e))
            return 0;
        ws(s);
        if (!take(s, ':'))
            return 0;
        ws(s);
        int is_int;
        long long iv;
        double dv;
        if (key_is(b, e, "image_id") || key_is(b, e, "category_id")) {
            if (!number(s, &is_int, &iv, &dv) || !is_int)
                return 0;
            if (key_is(b, e, "image_id")) {
                d->image_id = iv;
                have |= IMG;
            } else {
                d->category_id = iv;
                have |= CAT;
            }
        } else if (key_is(b, e, "bbox")) {
            if (!take(s, '['))
                return 0;
            for (int i = 0; i < 4; i++) {
                ws(s);
                if ((i && !take(s, ',')) || (ws(s), !num_as_double(s, &d->bbox[i])))
                    return 0;
            }
            ws(s);
            if (!take(s, ']'))
                return 0;
            have |= BOX;
        } else if (key_is(b, e, "score")) {
            if (!num_as_double(s, &d->score))
                return 0;
            have |= SCORE;
        } else if (!value(s, 1)) {
            return 0;
        }
        ws(s);
        if (take(s, '}'))
            return have == (IMG | CAT | BOX | SCORE);
        if (!take(s, ','))
            return 0;
        ws(s);
    }
}

typedef struct recs {
    ak_coco_det *v;
    size_t n, cap;
} recs;

enum { FAIL = 0, DONE = 1, STOPPED = 2, NOMEM = 3 };

/* Records from s->p (a record start inside the top-level array) to the closing ']' and EOF: DONE.
 * With stop_at, returns STOPPED on reaching a record that starts exactly there. */
static int records(scan *s, recs *r, const char *stop_at) {
    for (;;) {
        if (s->p == stop_at)
            return STOPPED;
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 1024;
            ak_coco_det *w = realloc(r->v, cap * sizeof *w);
            if (!w)
                return NOMEM;
            r->v = w;
            r->cap = cap;
        }
        memset(&r->v[r->n], 0, sizeof r->v[r->n]);
        if (!record(s, &r->v[r->n]))
            return FAIL;
        r->n++;
        ws(s);
        if (take(s, ']')) {
            ws(s);
            return s->p == s->end ? DONE : FAIL;
        }
        if (!take(s, ','))
            return FAIL;
        ws(s);
    }
}

/* A likely record start after the middle of the buffer: the '{' of "}, {". It is only a guess (the
 * bytes could sit inside a string); the guess is used only if the first half's scan arrives there. */
static const char *middle_record(const char *p, const char *end) {
    for (; p < end; p++) {
        if (*p != '}')
            continue;
        scan t = {p + 1, end};
        ws(&t);
        if (!take(&t, ','))
            continue;
        ws(&t);
        if (t.p < end && *t.p == '{')
            return t.p;
    }
    return NULL;
}

int ak__coco_dets_scan(const char *buf, size_t len, ak_coco_det **out, int64_t *n) {
    scan s = {buf, buf + len};
    *out = NULL;
    *n = 0;
    ws(&s);
    if (!take(&s, '['))
        return 0;
    ws(&s);
    if (take(&s, ']')) {
        ws(&s);
        if (s.p != s.end)
            return 0;
        *out = malloc(sizeof **out);
        return *out ? 1 : AK_ENOMEM;
    }
    /* Two threads: the second scans from a guessed record start in the middle while the first
     * scans up to it; the guess counts only if the first scan reaches it at a record boundary, so
     * the records (and their order) are those of one sequential scan. */
    const char *mid = len > (1u << 20) && omp_get_max_threads() > 1 ? middle_record(buf + len / 2, s.end) : NULL;
    recs a = {0}, b = {0};
    int ra = FAIL, rb = FAIL;
    scan sb = {mid, s.end};
#pragma omp parallel sections num_threads(2) if (mid != NULL)
    {
#pragma omp section
        ra = records(&s, &a, mid);
#pragma omp section
        if (mid)
            rb = records(&sb, &b, NULL);
    }
    int rc = 1;
    if (ra == NOMEM || (ra == STOPPED && rb == NOMEM))
        rc = AK_ENOMEM;
    else if (ra == FAIL || (ra == STOPPED && rb != DONE))
        rc = 0;
    if (rc == 1 && ra == STOPPED) {
        ak_coco_det *w = realloc(a.v, (a.n + b.n) * sizeof *w);
        if (!w) {
            rc = AK_ENOMEM;
        } else {
            memcpy(w + a.n, b.v, b.n * sizeof *w);
            a.v = w;
            a.n += b.n;
        }
    }
    free(b.v);
    if (rc != 1) {
        free(a.v);
        return rc;
    }
    *out = a.v;
    *n = (int64_t)a.n;
    return 1;
}
