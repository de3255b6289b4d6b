// fixedrate: open-loop HTTP load at a fixed rate over keep-alive connections (a benchmark
// tool, not a test). The C twin of `hookgate_bench.py fixedrate`, same arguments and the
// same JSON line, so the load generator costs the two shared cores far less than Python.
//
//   cc -O2 -o fixedrate Benchmarks/support/fixedrate.c
//   fixedrate --port P --rate R [--host 127.0.0.1] [--duration 10] [--warmup 2] [--connections 32] FILE...
//
// FILE holds length-prefixed raw HTTP requests ("<n>\n" then n bytes; `hookgate_bench.py
// presign` writes them). Request i is due at t0 + i/R. A due request goes out on an idle
// connection, or waits in a queue until one is free; its latency is measured from the
// time it was due (so waiting behind a slow answer counts: no coordinated omission) and,
// as "service" time, from when it was written. One request per connection at a time.
// Answers are read by Content-Length. Only answers after the warm-up are measured.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *data;
    size_t length;
} Request;

typedef struct {
    int fd;
    int busy;
    double scheduled, sent;
    char buffer[65536];
    size_t filled;
} Connection;

typedef struct {
    double *values;
    size_t count, capacity;
} Samples;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *message) {
    fprintf(stderr, "fixedrate: %s\n", message);
    exit(2);
}

static void add(Samples *s, double value) {
    if (s->count == s->capacity) {
        s->capacity = s->capacity ? s->capacity * 2 : 65536;
        s->values = realloc(s->values, s->capacity * sizeof(double));
        if (!s->values) fail("out of memory");
    }
    s->values[s->count++] = value;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/// The same rank as the Python client: sorted[round(p/100 * (n-1))].
static double percentile(Samples *s, double p) {
    if (s->count == 0) return 0;
    size_t index = (size_t)(p / 100.0 * (double)(s->count - 1) + 0.5);
    if (index >= s->count) index = s->count - 1;
    return s->values[index];
}

static void load(const char *path, Request **requests, size_t *count, size_t *capacity) {
    FILE *f = fopen(path, "rb");
    if (!f) fail("cannot open a request file");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) fail("cannot read a request file");
    fclose(f);
    size_t pos = 0;
    while (pos < (size_t)size) {
        char *end;
        unsigned long n = strtoul(data + pos, &end, 10);
        if (*end != '\n') fail("malformed request file (expected <length>\\n)");
        pos = (size_t)(end - data) + 1;
        if (pos + n > (size_t)size) fail("truncated request file");
        if (*count == *capacity) {
            *capacity = *capacity ? *capacity * 2 : 4096;
            *requests = realloc(*requests, *capacity * sizeof(Request));
        }
        (*requests)[(*count)++] = (Request){data + pos, n};
        pos += n;
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, connections = 32;
    double rate = 0, duration = 10, warmup = 2;
    Request *requests = NULL;
    size_t requestCount = 0, requestCapacity = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--host") && v) host = argv[++i];
        else if (!strcmp(a, "--port") && v) port = atoi(argv[++i]);
        else if (!strcmp(a, "--rate") && v) rate = atof(argv[++i]);
        else if (!strcmp(a, "--duration") && v) duration = atof(argv[++i]);
        else if (!strcmp(a, "--warmup") && v) warmup = atof(argv[++i]);
        else if (!strcmp(a, "--connections") && v) connections = atoi(argv[++i]);
        else if (a[0] == '-') fail("usage: fixedrate --port P --rate R [--host H] [--duration S] [--warmup S] [--connections N] FILE...");
        else load(a, &requests, &requestCount, &requestCapacity);
    }
    if (port <= 0 || rate <= 0 || connections <= 0 || requestCount == 0) fail("need --port, --rate > 0, --connections > 0 and a request file");

    int epoll = epoll_create1(0);
    Connection *conns = calloc((size_t)connections, sizeof(Connection));
    int *idle = malloc((size_t)connections * sizeof(int));
    int idleCount = 0;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) fail("--host must be an IPv4 address");
    for (int c = 0; c < connections; c++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("cannot connect");
        conns[c].fd = fd;
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)c};
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
        idle[idleCount++] = c;
    }

    size_t total = (size_t)(rate * (warmup + duration));
    double *queue = malloc(total * sizeof(double));  // scheduled times waiting for a connection
    size_t queueHead = 0, queueTail = 0;
    Samples latency = {0}, service = {0};
    long statuses[600] = {0};
    long accepted = 0, duplicate = 0, outstanding = 0;
    const long failed = 0;  // a lost connection stops the run instead (the Python client counts it)
    size_t next = 0, issued = 0;
    double t0 = now(), measureFrom = t0 + warmup;

    #define SEND(c, when)                                                                         \
        do {                                                                                      \
            const Request *r = &requests[next++ % requestCount];                                  \
            conns[c].busy = 1;                                                                    \
            conns[c].scheduled = (when);                                                          \
            conns[c].sent = now();                                                                \
            conns[c].filled = 0;                                                                  \
            size_t off = 0;                                                                       \
            while (off < r->length) {                                                             \
                ssize_t w = write(conns[c].fd, r->data + off, r->length - off);                   \
                if (w <= 0) { if (errno == EINTR) continue; fail("write failed"); }               \
                off += (size_t)w;                                                                 \
            }                                                                                     \
        } while (0)

    struct epoll_event events[256];
    double deadline = 0;
    while (issued < total || outstanding > 0) {
        double t = now();
        if (issued < total) {
            size_t due = (size_t)((t - t0) * rate) + 1;
            if (due > total) due = total;
            while (issued < due) {
                double scheduled = t0 + (double)issued / rate;
                outstanding++;
                issued++;
                if (idleCount > 0) {
                    int c = idle[--idleCount];
                    SEND(c, scheduled);
                } else {
                    queue[queueTail++] = scheduled;
                }
            }
        } else if (deadline == 0) {
            deadline = t + 30;
        } else if (t > deadline) {
            fail("answers still missing 30 s after the last request");
        }
        double nextDue = t0 + (double)issued / rate;
        double wait = issued < total ? nextDue - now() : 0.05;
        if (wait < 0) wait = 0;
        struct timespec timeout = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
        int ready = epoll_pwait2(epoll, events, 256, &timeout, NULL);
        for (int e = 0; e < ready; e++) {
            int c = (int)events[e].data.u32;
            Connection *conn = &conns[c];
            ssize_t n = recv(conn->fd, conn->buffer + conn->filled, sizeof conn->buffer - conn->filled - 1, MSG_DONTWAIT);
            if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                fail("a connection closed (the gate answered Connection: close or went away)");
            }
            conn->filled += (size_t)n;
            conn->buffer[conn->filled] = 0;
            char *headerEnd = strstr(conn->buffer, "\r\n\r\n");
            if (!headerEnd) continue;
            size_t bodyLength = 0;
            for (char *line = strstr(conn->buffer, "\r\n"); line && line < headerEnd; line = strstr(line + 2, "\r\n")) {
                if (!strncasecmp(line + 2, "content-length:", 15)) bodyLength = strtoul(line + 17, NULL, 10);
            }
            size_t headerLength = (size_t)(headerEnd - conn->buffer) + 4;
            if (conn->filled < headerLength + bodyLength) continue;
            if (conn->filled > headerLength + bodyLength) fail("more bytes than one answer (unexpected pipelining)");
            int status = atoi(conn->buffer + 9);
            double done = now();
            if (done >= measureFrom) {
                add(&latency, done - conn->scheduled);
                add(&service, done - conn->sent);
                if (status >= 0 && status < 600) statuses[status]++;
                const char *body = conn->buffer + headerLength;
                if (strstr(body, "\"accepted\"")) accepted++;
                else if (strstr(body, "\"duplicate\"")) duplicate++;
            }
            outstanding--;
            conn->busy = 0;
            if (queueHead < queueTail) {
                SEND(c, queue[queueHead++]);
            } else {
                idle[idleCount++] = c;
            }
        }
    }
    double elapsed = now() - measureFrom;
    qsort(latency.values, latency.count, sizeof(double), compare);
    qsort(service.values, service.count, sizeof(double), compare);
    printf("{\"target_rate\": %.1f, \"achieved_rate\": %.3f, \"measured\": %zu, ", rate, elapsed > 0 ? (double)latency.count / elapsed : 0,
           latency.count);
    printf("\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f, ", percentile(&latency, 50) * 1e3,
           percentile(&latency, 90) * 1e3, percentile(&latency, 99) * 1e3, percentile(&latency, 99.9) * 1e3,
           latency.count ? latency.values[latency.count - 1] * 1e3 : 0);
    printf("\"service_p50_ms\": %.3f, \"service_p99_ms\": %.3f, \"statuses\": {", percentile(&service, 50) * 1e3, percentile(&service, 99) * 1e3);
    int first = 1;
    for (int s = 0; s < 600; s++) {
        if (!statuses[s]) continue;
        printf("%s\"%d\": %ld", first ? "" : ", ", s, statuses[s]);
        first = 0;
    }
    printf("}, \"accepted\": %ld, \"duplicate\": %ld, \"failed\": %ld, \"requests_available\": %zu, \"requests_sent\": %zu}\n", accepted,
           duplicate, failed, requestCount, next);
    return 0;
}
