// The kernels a portable build dispatches, as a table of functions, so that a
// build for the baseline CPU can run kernels compiled for a newer one
// (run-time dispatch): the Gaussian lane kernels, the matrix products of the
// Gaussian tiles with more features, K-means' nearest-centre kernel and
// fold, and K-medians' L1 kernels.
// Deliberately free of Eigen and of the emclust namespace: the translation
// units of cpp/src/kernels_x86_64_v*.cpp compile the kernels with both
// namespaces renamed (so that no inline function compiled for AVX2 or AVX-512
// can be merged into baseline code), and share only these types.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace emclust_dispatch {

/// A mixture's parameters as flat arrays in T, the form the lane kernels read.
template <class T>
struct LaneModel {
    std::ptrdiff_t n_components = 0;
    std::ptrdiff_t n_features = 0;
    const T* means = nullptr;          ///< (K, d)
    const T* factors = nullptr;        ///< full/tied: C_k^T (d, d) lower, row-major
    std::ptrdiff_t factor_stride = 0;  ///< d * d, or 0 when all share one (tied)
    const T* precisions = nullptr;     ///< diag/spherical: (K, d) 1/sigma^2
    const T* log_norm = nullptr;       ///< (K)
    bool full = false;                 ///< full or tied (else diag or spherical)
};

/// Centres are visited kNearestCentres at a time by the nearest-centre
/// kernel; callers pad them to a multiple (shared by every target).
inline constexpr std::ptrdiff_t kNearestCentres = 3;

/// K-means' fold keeps this many copies of a chunk's per-cluster sums
/// (kmeans_fold.hpp); callers lay out their slots for it.
inline constexpr std::ptrdiff_t kFoldCopies = 2;

/// The dispatched kernels for scalar type T. Matrices are row-major; a
/// "tile" is (d, ld) with one row per feature and one column per data row.
template <class T>
struct KernelTable {
    // The three steps of a lane tile (see gaussian_lanes.hpp for their
    // contracts); full and tied models need ld == kTileRows there.
    void (*log_prob)(const LaneModel<T>& m, const T* x, std::ptrdiff_t ld,
                     std::ptrdiff_t n_pad, T* logp, T* mx);
    void (*normalize)(std::ptrdiff_t K, std::ptrdiff_t n, std::ptrdiff_t n_pad, T floor,
                      T* logp, std::ptrdiff_t ld, T* lse, T* scale, const T* weights,
                      T* flags);
    void (*statistics)(const LaneModel<T>& m, const T* shift, const T* x,
                       std::ptrdiff_t ld, std::ptrdiff_t n_pad, const T* e,
                       const T* scale, T* wd, T* dm, double* resp_sum, double* first,
                       double* second);
    /// out[i] = the lane kernels' exponential of x[i] (exp_nonpositive) for
    /// i < n, x in the domain it documents: the one normalize runs, exposed
    /// so that tests can check its error bound over the whole range.
    void (*exp)(const T* x, std::ptrdiff_t n, T* out);
    /// diff = x - mean and sq[b] = |F diff_b|^2 for the columns b < n of the
    /// tile x (mean (d)), F (d, d) (lower: its upper triangle is zero and not
    /// read). diff and white are (d, ld) tiles, white a scratch.
    void (*norms)(const T* f, std::ptrdiff_t d, bool lower, const T* x, const T* mean,
                  std::ptrdiff_t ld, std::ptrdiff_t n, T* diff, T* white, T* sq);
    /// sq (K, ld): sq[k * ld + b] = |F_k (x_b - mu_k)|^2 for the columns
    /// b < n of the tile x, under n_factors (K, or 1 for tied) factors
    /// stacked as tile_products.hpp lays them out, from the offsets (K, d)
    /// F_k (mu_k - centre). centred is a (d, ld) scratch tile and y a
    /// (kStackedRows, ld) one.
    void (*stacked_norms)(const T* stacked, std::ptrdiff_t n_factors, const T* offsets,
                          const T* centre, std::ptrdiff_t K, std::ptrdiff_t d,
                          bool lower, const T* x, std::ptrdiff_t ld, std::ptrdiff_t n,
                          T* centred, T* y, T* sq);
    /// c (p, q), contiguous = a b^T, where a is (p, r) with rows lda apart and
    /// b (q, r) with rows ldb apart: a tile's scatter (p = q = d, r = rows),
    /// or the cross products of rows and centres in k-means++.
    void (*cross)(const T* a, std::ptrdiff_t lda, const T* b, std::ptrdiff_t ldb,
                  std::ptrdiff_t p, std::ptrdiff_t q, std::ptrdiff_t r, T* c);
    /// With y_b = x_b - shift (or x_b when shift is null) over the columns
    /// b < n of the tile x: outer (d, d) = the lower triangle of
    /// sum_b g_b y_b y_b^T (a symmetric rank update; the strict upper
    /// triangle zero) and first (d) += sum_b g_b y_b. white is a (d, ld)
    /// scratch tile, root a scratch of n values.
    void (*scaled_scatter)(const T* x, const T* shift, const T* g, std::ptrdiff_t d,
                           std::ptrdiff_t ld, std::ptrdiff_t n, T* white, T* root,
                           T* outer, double* first);
    /// With y_b = x_b - centre over the columns b < n of the tile x: out
    /// (d (d + 1) / 2, K) = sum_b u_b g(:, b)^T, u_b the products y_bi y_bj
    /// (j <= i) of the lower triangle row after row, and first (K, d) = sum_b
    /// g(:, b) y_b^T; g is (K, ld), y a (d, ld) and u a (d (d + 1) / 2, ld)
    /// scratch.
    void (*stacked_scatter)(const T* x, const T* centre, std::ptrdiff_t d,
                            std::ptrdiff_t ld, std::ptrdiff_t n, const T* g,
                            std::ptrdiff_t K, T* y, T* u, T* out, T* first);
    /// best[i] = the nearest centre (squared Euclidean, ties to the lower
    /// index) of row i < len of x (len, d), rows `stride` apart, both shifted
    /// by shift (d). minus_twice (m, d) holds -2 (c - shift), norms (m)
    /// |c - shift|^2, m a multiple of kNearestCentres (padding centres have
    /// +inf norms). xt is a scratch of nearest_rows(len) * d values; best has
    /// room for nearest_rows(len) entries.
    void (*nearest)(const T* x, std::ptrdiff_t stride, std::ptrdiff_t len,
                    std::ptrdiff_t d, const T* shift, const T* minus_twice,
                    const T* norms, std::ptrdiff_t m, T* xt, std::ptrdiff_t* best);
    /// best[i] = the nearest centre by L1 distance (ties to the lower index)
    /// of row i < len of x (len, d), rows `stride` apart. centres (m, d) is
    /// padded to a multiple of kNearestCentres; init (m) is 0 for a centre
    /// and +inf for padding. xt and best as nearest()'s.
    void (*nearest_l1)(const T* x, std::ptrdiff_t stride, std::ptrdiff_t len,
                       std::ptrdiff_t d, const T* centres, const T* init,
                       std::ptrdiff_t m, T* xt, std::ptrdiff_t* best);
    /// out (m, nearest_rows(len)): out[t * nearest_rows(len) + i] = the L1
    /// distance, summed in feature order, of row i < len of x (len, d), rows
    /// `stride` apart, to centre t of centres (m, d). xt as nearest()'s.
    void (*manhattan)(const T* x, std::ptrdiff_t stride, std::ptrdiff_t len,
                      std::ptrdiff_t d, const T* centres, std::ptrdiff_t m, T* xt,
                      T* out);
    /// Folds the nearest centres best (len) of rows x (len, d), `stride`
    /// apart, into labels (len; *n_changed counts the labels that change)
    /// and into a chunk's sums: weights (kFoldCopies, k) += w, sums
    /// (kFoldCopies, k, d) += w x unless sums is null, and counts
    /// (kFoldCopies, k) += (w > 0) when the weights w (len) are given (null:
    /// every w is 1). Row i adds to copy i % kFoldCopies.
    void (*fold)(const T* x, std::ptrdiff_t stride, std::ptrdiff_t d,
                 std::ptrdiff_t len, const std::ptrdiff_t* best, const double* w,
                 std::int64_t* labels, std::ptrdiff_t k, double* sums, double* weights,
                 double* counts, std::int64_t* n_changed);
    int lanes;         ///< rows per packet: callers pad a lane tile to a multiple
    int nearest_tile;  ///< nearest() works on rows padded to a multiple of this
    int level;         ///< 0 this build's own target, 3 x86-64-v3, 4 x86-64-v4
    const char* name;  ///< e.g. "x86-64-v4"
};

/// Rows of t.nearest()'s scratch for len rows. Static, as every function
/// here: an inline one compiled for a newer target could be the copy the
/// linker keeps.
template <class T>
static std::ptrdiff_t nearest_rows(const KernelTable<T>& t, std::ptrdiff_t len) {
    return (len + t.nearest_tile - 1) / t.nearest_tile * t.nearest_tile;
}

/// The tables installed at load time by the run-time dispatch sources for
/// the CPU they run on (null: use the kernels compiled with the caller).
template <class T>
inline std::atomic<const KernelTable<T>*> installed{nullptr};

/// The highest level the environment lets dispatch install: EMCLUST_LANES =
/// "x86-64-v3" keeps an AVX-512 CPU on the AVX2 kernels, "x86-64" on those
/// compiled with the caller (to test and time each path on one machine).
/// Unset, empty or any other value: no limit.
static int allowed_level() {
    // Read by the dispatch sources' static initialisers, at load time,
    // before any thread of the pool exists.
    const char* v = std::getenv("EMCLUST_LANES");  // NOLINT(concurrency-mt-unsafe)
    if (v == nullptr) return 1 << 30;
    if (std::strcmp(v, "x86-64") == 0) return 0;
    if (std::strcmp(v, "x86-64-v3") == 0) return 3;
    return 1 << 30;
}

/// Installs t unless a table of a higher level is installed already (static
/// initialisers of the dispatch sources run in any order) or the environment
/// caps the level (allowed_level). Static, not inline: each dispatch source
/// keeps its own copy, compiled for its target, rather than one the linker
/// might pick from a newer target's source.
template <class T>
static void install(const KernelTable<T>* t) {
    if (t->level > allowed_level()) return;
    const KernelTable<T>* cur = installed<T>.load();
    while ((cur == nullptr || cur->level < t->level) &&
           !installed<T>.compare_exchange_weak(cur, t)) {
    }
}

}  // namespace emclust_dispatch
