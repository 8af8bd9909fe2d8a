/* Tiny helper for gen.py (ggufpack's own code, not from llama.cpp).
 *
 * Calls a ggml function right after filling the stack region that its frame
 * will occupy with a chosen byte. Running the same call with two different
 * fill bytes and comparing the outputs reveals results that depend on
 * uninitialised stack memory (i.e. are not a function of the input alone).
 */
#include <stddef.h>
#include <stdint.h>

typedef void (*from_float_fn)(const float *x, void *y, int64_t k);
typedef size_t (*quantize_chunk_fn)(int type, const float *src, void *dst, int64_t start,
                                    int64_t nrows, int64_t n_per_row, const float *imatrix);

__attribute__((noinline)) static void poison(int byte) {
    volatile unsigned char buf[1 << 17];
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (unsigned char)byte;
    }
}

void sp_from_float(from_float_fn fn, const float *x, void *y, int64_t k, int byte) {
    poison(byte);
    fn(x, y, k);
}

size_t sp_quantize_chunk(quantize_chunk_fn fn, int type, const float *src, void *dst,
                         int64_t start, int64_t nrows, int64_t n_per_row,
                         const float *imatrix, int byte) {
    poison(byte);
    return fn(type, src, dst, start, nrows, n_per_row, imatrix);
}
