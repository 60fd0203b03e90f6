// Which steering hook the llama.cpp palign is built against has: PALIGN_GRAPH_STEER when its llama.h carries
// palign's patch (patches/llama-attn-steer.patch, API 2 or later: llama_set_attn_steer, _seq, llama_set_eval_cb;
// 3 adds the steering in one ggml_add_id per steered layer, 2 in a get_rows and an add).
#pragma once

#include "llama.h"

#if defined(LLAMA_ATTN_STEER_API) && LLAMA_ATTN_STEER_API >= 2
#define PALIGN_GRAPH_STEER 1
#if LLAMA_ATTN_STEER_API >= 3
#define PALIGN_GRAPH_STEER_OPS "in-graph (llama_set_attn_steer, palign's llama.cpp patch: one add_id per steered layer)"
#else
#define PALIGN_GRAPH_STEER_OPS "in-graph (llama_set_attn_steer, palign's llama.cpp patch: get_rows + add per steered layer)"
#endif
#else
#define PALIGN_GRAPH_STEER_OPS "in-graph (unavailable)"
#endif
