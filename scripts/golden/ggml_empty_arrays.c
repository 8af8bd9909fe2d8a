/*
 * Write a tiny GGUF file with ggml's own gguf writer (libggml-base from the
 * llama-cpp-python 0.3.36 sdist) holding the KV shapes that gguf-py's
 * GGUFWriter refuses to write: empty arrays and an empty string.
 *
 * Usage: ggml_empty_arrays OUT.gguf
 *
 * KVs, in this order: general.architecture = "test", an empty STRING array,
 * an empty INT32 array, an empty STRING, an empty UINT8 array, and a trailing
 * UINT32 so a reader must step over the empty values correctly. No tensors.
 */
#include <stdint.h>
#include <stdio.h>

#include "gguf.h"

int main(int argc, char ** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.gguf\n", argv[0]);
        return 2;
    }
    struct gguf_context * ctx = gguf_init_empty();
    gguf_set_val_str(ctx, "general.architecture", "test");
    gguf_set_arr_str(ctx, "test.empty.string_array", NULL, 0);
    gguf_set_arr_data(ctx, "test.empty.int32_array", GGUF_TYPE_INT32, NULL, 0);
    gguf_set_val_str(ctx, "test.empty.string", "");
    gguf_set_arr_data(ctx, "test.empty.uint8_array", GGUF_TYPE_UINT8, NULL, 0);
    gguf_set_val_u32(ctx, "test.after_empty", 0xC0FFEEu);
    if (!gguf_write_to_file(ctx, argv[1], /*only_meta =*/ false)) {
        fprintf(stderr, "gguf_write_to_file failed\n");
        gguf_free(ctx);
        return 1;
    }
    gguf_free(ctx);

    /* read it back with ggml's reader as a sanity check */
    struct gguf_init_params params = { /*.no_alloc =*/ true, /*.ctx =*/ NULL };
    struct gguf_context * rd = gguf_init_from_file(argv[1], params);
    if (!rd) {
        fprintf(stderr, "gguf_init_from_file failed on %s\n", argv[1]);
        return 1;
    }
    for (int64_t i = 0; i < gguf_get_n_kv(rd); ++i) {
        enum gguf_type t = gguf_get_kv_type(rd, i);
        printf("%s\t%s", gguf_get_key(rd, i), gguf_type_name(t));
        if (t == GGUF_TYPE_ARRAY) {
            printf("\t%s\t%zu", gguf_type_name(gguf_get_arr_type(rd, i)), gguf_get_arr_n(rd, i));
        }
        printf("\n");
    }
    printf("data_offset\t%zu\n", gguf_get_data_offset(rd));
    gguf_free(rd);
    return 0;
}
