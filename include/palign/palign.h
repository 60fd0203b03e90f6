// palign as a library: one header for the public API (link palign::palign, find_package(palign)).
//   data/    questionnaires (IPIP-NEO, SD-3), subjects and answer files, the paper's prompts
//   engine/  llama.cpp wrapper: model, context (batched, per-sequence steering, head capture), chat sessions
//   pas/     contrast sets, probes, head selection, directions, steering files
//   eval/    asking items, answers, scores, the protocol per subject, align, reports, comparisons
// Everything is in namespace palign; errors are palign::error with one-line messages.
#pragma once

#include "data/inventory.h"
#include "data/prompts.h"
#include "data/subjects.h"
#include "engine/chat_session.h"
#include "engine/chat_template.h"
#include "engine/context.h"
#include "engine/model.h"
#include "engine/steering.h"
#include "eval/align.h"
#include "eval/ask.h"
#include "eval/profile.h"
#include "eval/protocol.h"
#include "eval/runner.h"
#include "eval/scores.h"
#include "pas/pas.h"
#include "pas/steer_file.h"
#include "pas/steer_load.h"
#include "util/error.h"
#include "util/paths.h"
