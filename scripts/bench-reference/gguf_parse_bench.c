/*
 * gguf_parse_bench: time llama.cpp's (ggml's) GGUF header parser.
 *
 * Usage: gguf_parse_bench <file.gguf> <iterations>
 *
 * Each iteration times
 *     gguf_init_from_file(path, { .no_alloc = true, .ctx = NULL }) + gguf_free
 * with clock_gettime(CLOCK_MONOTONIC). One untimed warm-up call first
 * checks that the file parses (and warms the page cache). Prints
 * "<min_ms> <median_ms>" on stdout; the KV/tensor counts go to stderr.
 *
 * Only uses ggml's public gguf.h API; link against libggml-base.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gguf.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int cmp_double(const void * a, const void * b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int main(int argc, char ** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <file.gguf> <iterations>\n", argv[0]);
        return 2;
    }
    const char * path = argv[1];
    int iters = atoi(argv[2]);
    if (iters <= 0) {
        fprintf(stderr, "iterations must be > 0\n");
        return 2;
    }
    struct gguf_init_params params = { .no_alloc = true, .ctx = NULL };

    struct gguf_context * warm = gguf_init_from_file(path, params);
    if (!warm) {
        fprintf(stderr, "gguf_init_from_file failed for %s\n", path);
        return 1;
    }
    fprintf(stderr, "%s: n_kv=%lld n_tensors=%lld\n", path,
            (long long) gguf_get_n_kv(warm), (long long) gguf_get_n_tensors(warm));
    gguf_free(warm);

    double * t = malloc(sizeof(double) * (size_t) iters);
    if (!t) {
        return 1;
    }
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        struct gguf_context * ctx = gguf_init_from_file(path, params);
        if (!ctx) {
            fprintf(stderr, "gguf_init_from_file failed on iteration %d\n", i);
            return 1;
        }
        gguf_free(ctx);
        t[i] = now_ms() - t0;
    }
    qsort(t, (size_t) iters, sizeof(double), cmp_double);
    double median = (iters % 2) ? t[iters / 2] : 0.5 * (t[iters / 2 - 1] + t[iters / 2]);
    printf("%.3f %.3f\n", t[0], median);
    free(t);
    return 0;
}
