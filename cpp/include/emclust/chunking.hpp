// The fixed partition of rows behind deterministic parallel sums.
#pragma once

#include <algorithm>
#include <cstddef>

#include "types.hpp"

namespace emclust {

/// Rows are cut into blocks of `block_rows` (the tile a kernel keeps in cache)
/// and consecutive blocks are grouped into chunks (the unit of parallel work;
/// each chunk owns one slot of partial sums). The plan depends on the data
/// shape only, never on the thread count, and slots are added in chunk order,
/// so a reduction gives the same bits whatever the number of threads.
struct ChunkPlan {
    Index n_rows = 0;
    Index block_rows = 0;
    Index chunk_rows = 0;
    Index n_chunks = 0;

    Index chunk_begin(Index c) const { return c * chunk_rows; }
    Index chunk_size(Index c) const {
        return std::min(chunk_rows, n_rows - chunk_begin(c));
    }
};

/// Default tile height: 256 rows keep a block of a few dozen features and the
/// per-row work arrays inside L2 cache.
inline constexpr Index kBlockRows = 256;

/// Plans chunks of whole blocks. `slot_bytes` is the size of one chunk's
/// partial sums: the number of chunks is capped both to keep every thread busy
/// on machines with many cores (at most `max_chunks`) and to keep all slots
/// within `max_slot_memory` bytes.
inline ChunkPlan plan_chunks(Index n_rows, Index block_rows = kBlockRows,
                             std::size_t slot_bytes = 0, Index max_chunks = 128,
                             std::size_t max_slot_memory = static_cast<std::size_t>(64)
                                                           << 20U) {
    ChunkPlan plan;
    plan.n_rows = n_rows;
    plan.block_rows = std::max<Index>(1, block_rows);
    const Index n_blocks =
        std::max<Index>(1, (n_rows + plan.block_rows - 1) / plan.block_rows);
    Index cap = max_chunks;
    if (slot_bytes > 0) {
        cap = std::min<Index>(cap, static_cast<Index>(max_slot_memory / slot_bytes));
    }
    cap = std::max<Index>(1, cap);
    const Index blocks_per_chunk = (n_blocks + cap - 1) / cap;
    plan.chunk_rows = blocks_per_chunk * plan.block_rows;
    plan.n_chunks = n_rows == 0 ? 0 : (n_rows + plan.chunk_rows - 1) / plan.chunk_rows;
    return plan;
}

}  // namespace emclust
