/* I/O resource control: token buckets, per-queue FIFOs and the scheduling
 * policies (see viosim/qos.h for the mechanism and sources). */
#include "viosim/qos.h"
#include "viosim/strategy.h"

#include <stdlib.h>
#include <string.h>

#define BITS_UNIT 8000000ULL /* one byte in bits x 10^6 */

/* ---- token bucket --------------------------------------------------------- */

int vio_tbf_init(vio_tbf *b, uint64_t rate_mbps, uint64_t burst_bytes, vio_err *err)
{
    if (rate_mbps && (burst_bytes == 0 || burst_bytes > UINT64_MAX / BITS_UNIT))
        return vio_err_set(err, VIO_EINVAL, "token bucket: burst %llu bytes must be in 1..2^64/8e6 with a rate",
                           (unsigned long long)burst_bytes);
    *b = (vio_tbf){.rate_mbps = rate_mbps, .cap = burst_bytes * BITS_UNIT, .tokens = burst_bytes * BITS_UNIT};
    return VIO_OK;
}

/* Bring the tokens up to `now`: rate_mbps x dt ps is exactly bits x 10^6. */
static void refill(vio_tbf *b, vio_ps now)
{
    if (now <= b->last)
        return;
    uint64_t dt = now - b->last, room = b->cap - b->tokens;
    b->last = now;
    if (dt > room / b->rate_mbps) /* also guards the product against overflow */
        b->tokens = b->cap;
    else
        b->tokens += b->rate_mbps * dt;
}

bool vio_tbf_take(vio_tbf *b, uint64_t bytes, vio_ps now)
{
    if (!b->rate_mbps)
        return true;
    refill(b, now);
    uint64_t need = bytes * BITS_UNIT;
    if (need > b->tokens)
        return false;
    b->tokens -= need;
    return true;
}

vio_ps vio_tbf_ready_at(const vio_tbf *b, uint64_t bytes, vio_ps now)
{
    if (!b->rate_mbps)
        return now;
    if (bytes > b->cap / BITS_UNIT)
        return VIO_PS_NEVER;
    vio_tbf c = *b;
    refill(&c, now);
    uint64_t need = bytes * BITS_UNIT;
    if (need <= c.tokens)
        return now;
    return now + (need - c.tokens + c.rate_mbps - 1) / c.rate_mbps;
}

/* ---- queues --------------------------------------------------------------- */

typedef struct pkt {
    uint32_t bytes;
    uint64_t cookie;
} pkt;

typedef struct queue {
    vio_qos_queue_cfg cfg;
    vio_tbf tbf;
    pkt *ring;
    uint32_t head, len;
    uint64_t deficit;   /* DRR credit, bytes */
    uint32_t served_in_turn; /* WRR: packets served in the current turn */
    bool visited;       /* DRR: this turn's quantum already added */
    vio_qos_queue_stats st;
} queue;

struct vio_qos {
    const vio_qos_policy *policy;
    uint32_t n, cur; /* cur: the queue whose turn it is (round-robin pointer) */
    uint32_t quantum;
    queue *q;
};

static const pkt *head(const queue *q) { return q->len ? &q->ring[q->head] : NULL; }

/* Eligible: a head packet that its bucket lets go now (tokens not taken yet). */
static bool eligible(const queue *q, vio_ps now)
{
    const pkt *h = head(q);
    return h && vio_tbf_ready_at(&q->tbf, h->bytes, now) == now;
}

/* ---- policies ------------------------------------------------------------- */

/* Round-robin: one packet per eligible queue per turn. */
static int pick_rr(vio_qos *s, vio_ps now)
{
    for (uint32_t k = 0; k < s->n; k++) {
        uint32_t i = (s->cur + k) % s->n;
        if (eligible(&s->q[i], now)) {
            s->cur = (i + 1) % s->n;
            return (int)i;
        }
    }
    return -1;
}

/* Weighted round-robin: up to `weight` packets per turn. */
static int pick_wrr(vio_qos *s, vio_ps now)
{
    for (uint32_t k = 0; k <= s->n; k++) {
        queue *q = &s->q[s->cur];
        if (eligible(q, now) && q->served_in_turn < q->cfg.weight) {
            if (++q->served_in_turn == q->cfg.weight || q->len == 1) {
                q->served_in_turn = 0; /* turn over: full quota, or the queue empties */
                int i = (int)s->cur;
                s->cur = (s->cur + 1) % s->n;
                return i;
            }
            return (int)s->cur;
        }
        q->served_in_turn = 0;
        s->cur = (s->cur + 1) % s->n;
    }
    return -1;
}

/* Deficit round-robin: on its turn a queue earns weight x quantum bytes and sends
 * head packets while they fit its deficit; an idle (empty or rate-held) queue
 * keeps no credit, as in Shreedhar & Varghese. */
static int pick_drr(vio_qos *s, vio_ps now)
{
    uint64_t largest = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (head(&s->q[i]) && head(&s->q[i])->bytes > largest)
            largest = head(&s->q[i])->bytes;
    /* Each full cycle adds at least one quantum to every eligible queue: after
     * largest/quantum + 1 cycles some head fits. */
    uint64_t visits = ((largest / s->quantum) + 2) * s->n;
    for (uint64_t k = 0; k < visits; k++) {
        queue *q = &s->q[s->cur];
        if (!eligible(q, now)) {
            q->deficit = 0;
            q->visited = false;
            s->cur = (s->cur + 1) % s->n;
            continue;
        }
        if (!q->visited) {
            q->deficit += (uint64_t)q->cfg.weight * s->quantum;
            q->visited = true;
        }
        if (head(q)->bytes <= q->deficit) {
            q->deficit -= head(q)->bytes;
            int i = (int)s->cur;
            if (q->len == 1) { /* it empties: its turn ends and its credit goes */
                q->deficit = 0;
                q->visited = false;
                s->cur = (s->cur + 1) % s->n;
            }
            return i;
        }
        q->visited = false; /* keep the deficit for its next turn */
        s->cur = (s->cur + 1) % s->n;
    }
    return -1;
}

static const vio_qos_ops rr_ops = {pick_rr}, wrr_ops = {pick_wrr}, drr_ops = {pick_drr};

static const vio_qos_policy policies[] = {
    {"rr", "round-robin: one packet per backlogged queue pair in turn (shares packets, not bytes)", &rr_ops},
    {"wrr", "weighted round-robin: up to `weight` packets per queue pair per turn (packets by weight)", &wrr_ops},
    {"drr", "deficit round-robin (Shreedhar & Varghese, SIGCOMM 1995): weight x quantum bytes of credit per "
            "turn, so bytes are shared by weight whatever the packet sizes", &drr_ops},
    {NULL, NULL, NULL},
};

const vio_qos_policy *vio_qos_policies(void) { return policies; }

/* Not a scenario key yet: the device-side scheduler of queue pairs (vio_qos_create by name). */
const vio_axis vio_axis_qos = {"qos", NULL, "scheduler of queue pairs sharing a device (vio_qos_create)",
                               VIO_AXIS_ROWS(vio_qos_policy, policies, sizeof policies / sizeof policies[0] - 1)};

const vio_qos_policy *vio_qos_policy_find(const char *name)
{
    for (const vio_qos_policy *p = policies; name && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* ---- life cycle and service ----------------------------------------------- */

int vio_qos_create(const char *policy, uint32_t n, const vio_qos_queue_cfg *cfg, uint32_t quantum, vio_qos **out,
                   vio_err *err)
{
    if (!out)
        return vio_err_set(err, VIO_EINVAL, "qos: NULL output");
    *out = NULL;
    const vio_qos_policy *p = vio_qos_policy_find(policy);
    if (!p)
        return vio_err_set(err, VIO_EINVAL, "qos: unknown policy \"%s\" (expected rr, wrr or drr)",
                           policy ? policy : "(null)");
    if (n == 0 || !cfg || quantum == 0)
        return vio_err_set(err, VIO_EINVAL, "qos: need >= 1 queue, their configuration and a quantum >= 1");
    vio_qos *s = calloc(1, sizeof *s);
    if (!s || !(s->q = calloc(n, sizeof *s->q))) {
        free(s);
        return vio_err_set(err, VIO_ENOMEM, "qos: out of memory");
    }
    s->policy = p;
    s->n = n;
    s->quantum = quantum;
    for (uint32_t i = 0; i < n; i++) {
        queue *q = &s->q[i];
        q->cfg = cfg[i];
        int rc = cfg[i].weight == 0 || cfg[i].capacity == 0
                     ? vio_err_set(err, VIO_EINVAL, "qos: queue %u: weight and capacity must be >= 1", i)
                     : vio_tbf_init(&q->tbf, cfg[i].rate_mbps, cfg[i].burst_bytes, err);
        if (rc == VIO_OK && !(q->ring = calloc(cfg[i].capacity, sizeof *q->ring)))
            rc = vio_err_set(err, VIO_ENOMEM, "qos: queue %u: out of memory", i);
        if (rc != VIO_OK) {
            vio_qos_destroy(s);
            return vio_err_set(err, rc, "qos: queue %u rejected", i);
        }
    }
    *out = s;
    return VIO_OK;
}

void vio_qos_destroy(vio_qos *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->q && i < s->n; i++)
        free(s->q[i].ring);
    free(s->q);
    free(s);
}

int vio_qos_enqueue(vio_qos *s, uint32_t i, uint32_t bytes, uint64_t cookie, vio_err *err)
{
    if (i >= s->n || bytes == 0)
        return vio_err_set(err, VIO_EINVAL, "qos: enqueue: queue %u of %u, %u bytes", i, s->n, bytes);
    queue *q = &s->q[i];
    if (q->cfg.rate_mbps && bytes > q->cfg.burst_bytes)
        return vio_err_set(err, VIO_EINVAL, "qos: queue %u: a %u-byte packet exceeds the %llu-byte burst", i, bytes,
                           (unsigned long long)q->cfg.burst_bytes);
    q->st.enqueued++;
    if (q->len == q->cfg.capacity) {
        q->st.dropped++;
        return 1;
    }
    q->ring[(q->head + q->len) % q->cfg.capacity] = (pkt){.bytes = bytes, .cookie = cookie};
    q->len++;
    return VIO_OK;
}

bool vio_qos_dequeue(vio_qos *s, vio_ps now, vio_qos_pick *out, vio_ps *next_at)
{
    int i = s->policy->ops->pick(s, now);
    if (i < 0) {
        if (next_at) {
            vio_ps t = VIO_PS_NEVER;
            for (uint32_t k = 0; k < s->n; k++)
                if (head(&s->q[k])) {
                    vio_ps r = vio_tbf_ready_at(&s->q[k].tbf, head(&s->q[k])->bytes, now);
                    t = r < t ? r : t;
                }
            *next_at = t;
        }
        return false;
    }
    queue *q = &s->q[i];
    pkt p = q->ring[q->head];
    (void)vio_tbf_take(&q->tbf, p.bytes, now); /* eligible: cannot fail */
    q->head = (q->head + 1) % q->cfg.capacity;
    q->len--;
    q->st.served++;
    q->st.served_bytes += p.bytes;
    *out = (vio_qos_pick){.queue = (uint32_t)i, .bytes = p.bytes, .cookie = p.cookie};
    return true;
}

int vio_qos_queue_stats_get(const vio_qos *s, uint32_t i, vio_qos_queue_stats *out)
{
    if (i >= s->n)
        return VIO_EINVAL;
    *out = s->q[i].st;
    out->backlog = s->q[i].len;
    return VIO_OK;
}

uint32_t vio_qos_nqueues(const vio_qos *s) { return s->n; }

uint32_t vio_qos_backlog(const vio_qos *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n; i++)
        n += s->q[i].len;
    return n;
}

double vio_jain_index(const double *x, size_t n)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        sq += x[i] * x[i];
    }
    return sq > 0 ? sum * sum / ((double)n * sq) : 1.0;
}

void vio_maxmin_shares(const double *demand, size_t n, double capacity, double *share)
{
    /* Repeatedly satisfy every demand below an equal split of what is left. */
    size_t left = n;
    for (size_t i = 0; i < n; i++)
        share[i] = -1.0;
    while (left) {
        double each = capacity / (double)left;
        int fixed = 0;
        for (size_t i = 0; i < n; i++)
            if (share[i] < 0 && demand[i] <= each) {
                share[i] = demand[i];
                capacity -= demand[i];
                left--;
                fixed = 1;
            }
        if (!fixed) { /* every remaining demand exceeds the split: they share it equally */
            for (size_t i = 0; i < n; i++)
                if (share[i] < 0)
                    share[i] = each;
            break;
        }
    }
}
