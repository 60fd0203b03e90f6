// Test helpers: the shipped inventories, loaded once per test executable.
#pragma once

#include "data/inventory.h"
#include "util/paths.h"

inline const palign::inventory & big5() {
    static const palign::inventory inv = palign::load_inventory(palign::inventory_kind::big5, palign::data_dir());
    return inv;
}

inline const palign::inventory & sd3() {
    static const palign::inventory inv = palign::load_inventory(palign::inventory_kind::sd3, palign::data_dir());
    return inv;
}
