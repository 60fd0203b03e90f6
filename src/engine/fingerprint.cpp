// Fingerprint: cheap content identity of a GGUF file.
#include "engine/fingerprint.h"

#include "engine/model.h"
#include "util/error.h"

#include <cstdio>
#include <vector>

namespace palign {

uint64_t fnv1a64(const void * data, size_t n, uint64_t h) {
    const unsigned char * p = (const unsigned char *) data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string hex64(uint64_t v) { return strfmt("%016llx", (unsigned long long) v); }

std::string model_file_id(const model_info & info) {
    FILE * f = fopen(info.path.c_str(), "rb");
    if (!f) fail(strfmt("%s: cannot open to fingerprint", info.path.c_str()));
    fseek(f, 0, SEEK_END);
    const long long size = ftell(f);
    const size_t chunk = 8u << 20;
    std::vector<unsigned char> buf(chunk);
    uint64_t h = fnv1a64(&size, sizeof(size));
    fseek(f, 0, SEEK_SET);
    size_t n = fread(buf.data(), 1, chunk, f);
    h = fnv1a64(buf.data(), n, h);
    if (size > (long long) chunk) {
        fseek(f, (long) std::max<long long>(size - (long long) chunk, (long long) chunk), SEEK_SET);
        n = fread(buf.data(), 1, chunk, f);
        h = fnv1a64(buf.data(), n, h);
    }
    fclose(f);
    return strfmt("%s-L%dH%dD%d-%s", info.arch.c_str(), info.n_layer, info.n_head, info.head_dim, hex64(h).c_str());
}

} // namespace palign
