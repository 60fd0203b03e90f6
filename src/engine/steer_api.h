// Which steering hook the llama.cpp palign is built against has: PALIGN_GRAPH_STEER when its llama.h carries
// palign's patch (patches/llama-attn-steer.patch, API 2: llama_set_attn_steer, _seq, llama_set_eval_cb).
#pragma once

#include "llama.h"

#if defined(LLAMA_ATTN_STEER_API) && LLAMA_ATTN_STEER_API >= 2
#define PALIGN_GRAPH_STEER 1
#endif
