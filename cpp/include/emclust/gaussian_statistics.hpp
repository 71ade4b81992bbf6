// Sufficient statistics of a Gaussian mixture: the one shape every EM
// iteration, thread, chunk and machine reduces to.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "block.hpp"
#include "chunking.hpp"
#include "covariance_type.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "gaussian_kernel.hpp"
#include "gaussian_lanes.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
#include "scratch_pool.hpp"
#include "types.hpp"

namespace emclust {

/// Per-component sums over the rows seen so far, taken about a fixed shift
/// c_k (the means of the E-step that produced the responsibilities) so that
/// the scatter of a cluster far from the origin does not cancel:
///   N_k = sum_i w_i g_ik,  first_k = sum_i w_i g_ik (x_i - c_k),
///   second_k = sum_i w_i g_ik (x_i - c_k)(x_i - c_k)^T  (full, tied: (d, d) flat)
///            = sum_i w_i g_ik (x_i - c_k)^2             (diag, spherical: (d))
/// plus sum_i w_i log p(x_i) and sum_i w_i. Statistics with the same shift add.
struct GaussianStatistics {
    CovarianceType covariance_type = CovarianceType::full;
    RowMatrixXd shift;          ///< (K, d)
    Eigen::VectorXd resp_sum;   ///< (K)
    RowMatrixXd first;          ///< (K, d)
    RowMatrixXd second;         ///< (K, d*d) for full and tied, (K, d) otherwise
    double log_likelihood = 0;  ///< sum_i w_i log p(x_i) (0 when not computed)
    double weight_sum = 0;      ///< sum_i w_i

    GaussianStatistics() = default;
    GaussianStatistics(CovarianceType type, const RowMatrixXd& shift_)
        : covariance_type(type),
          shift(shift_),
          resp_sum(Eigen::VectorXd::Zero(shift_.rows())),
          first(RowMatrixXd::Zero(shift_.rows(), shift_.cols())),
          second(RowMatrixXd::Zero(shift_.rows(), is_matrix_type(type)
                                                      ? shift_.cols() * shift_.cols()
                                                      : shift_.cols())) {}

    Index n_components() const { return shift.rows(); }
    Index n_features() const { return shift.cols(); }

    GaussianStatistics& operator+=(const GaussianStatistics& o) {
        if (o.covariance_type != covariance_type || o.shift.rows() != shift.rows() ||
            o.shift.cols() != shift.cols() || o.shift != shift) {
            throw InvalidArgument(
                "only statistics of the same covariance type taken about the same "
                "shift "
                "can be added");
        }
        resp_sum += o.resp_sum;
        first += o.first;
        second += o.second;
        log_likelihood += o.log_likelihood;
        weight_sum += o.weight_sum;
        return *this;
    }
};

/// The stacked scatter (detail::accumulate_stacked) needs this many
/// components: its product has K columns, and at 8 (d = 64) the K rank
/// updates were as fast (AMD EPYC Zen 4, 2 threads: 144 against 142 ms per
/// iteration at n = 1e5; 152 against 202 ms at d = 32, K = 16).
inline constexpr Index kStackedScatterMinComponents = 16;

/// ... and every |C_k^T (mu_k - c)|^2 at most this, else most tiles would
/// find that moving the sums from the centre to the means cancels more than
/// 12 bits of a variance, and take that component's scatter about its mean
/// (accumulate_stacked checks each tile and component).
inline constexpr double kStackedScatterMaxOffset = 4096;

namespace detail {

/// Scratch of one chunk task: the tile, and the weights of its rows.
template <class T>
struct StatScratch;

/// float32 data have their sums formed in double (widen): the
/// tile's rows, responsibilities and weights widened into a double scratch
/// of the same shape. A float32 scatter product or sum carries an error of
/// eps32 * |x - c|^2, 4e-3 at scale 270, which makes the scatter of
/// rank-deficient data indefinite against a reg_covar of 1e-7; the rounded
/// differences of double sums are the exact scatter of slightly moved rows,
/// positive semi-definite.
template <class T>
struct WideScratch {
    explicit WideScratch(Index, Index, Index) {}
};
template <>
struct WideScratch<float> {
    std::unique_ptr<StatScratch<double>> wide;
    WideScratch(Index d, Index k, Index rows)
        : wide(std::make_unique<StatScratch<double>>(d, k, rows)) {}
};

template <class T>
struct StatScratch : TileScratch<T>, WideScratch<T> {
    Eigen::Array<T, 1, Eigen::Dynamic> weights;  ///< (B)
    Eigen::Array<T, 1, Eigen::Dynamic> wresp;    ///< (B)
    Eigen::Array<T, 1, Eigen::Dynamic> root;     ///< (B) sqrt(wresp)
    RowMatrix<T> outer;                          ///< (d, d)
    /// Lane kernels (full, few features): g (x - c) and x - c in panels of a
    /// packet of rows each (full_statistics), the padding features kept zero;
    /// else empty.
    RowMatrix<T> wd, dm;
    /// The stacked scatter (accumulate_stacked): weighted responsibilities
    /// (K, B), the triangle products (d (d + 1) / 2, B), the scatters about
    /// the centre (d (d + 1) / 2, K) and first moments (K, d); allocated on
    /// first use.
    RowMatrix<T> g, u, out, first_c;
    Eigen::Array<T, 1, Eigen::Dynamic> delta;  ///< (d) mu_k - c
    StatScratch(Index d, Index k, Index rows)
        : TileScratch<T>(d, k, rows),
          WideScratch<T>(d, k, rows),
          weights(rows),
          wresp(rows),
          root(rows),
          outer(d, d) {
        if (d <= lanes::kMaxFullFeatures) {
            wd = RowMatrix<T>::Zero(lanes::padded_features(d), rows);
            dm = RowMatrix<T>::Zero(lanes::padded_features(d), rows);
        }
    }
};

/// Adds the scatter of component k for a full or tied mixture with d >=
/// kSyrkMinFeatures: a symmetric rank-n update of the differences scaled by
/// sqrt(w * resp), half the flops of a general product and faster than
/// Eigen's GEMM from about 32 features on (bench/kernels.cpp). The scaled
/// differences are formed in one pass from the data (or the E-step's kept
/// differences), and the first moments are their sums weighted by the root
/// (the table's scaled_scatter).
template <class T>
void accumulate_scatter_syrk(const RowMatrix<T>& shift, Index k, Index n,
                             StatScratch<T>& s, GaussianStatistics& st) {
    const Index d = shift.cols();
    const bool kept = !s.diffs.empty();
    const T* y = kept ? s.diffs[static_cast<std::size_t>(k)].data() : s.x.data();
    // first(k, :) is a contiguous row of d doubles.
    dispatch::table<T>().scaled_scatter(
        y, kept ? nullptr : shift.row(k).data(), s.wresp.data(), d, s.x.cols(), n,
        s.white.data(), s.root.data(), s.outer.data(), st.first.row(k).data());
    // The whole square, upper zeros included (chunked_statistics mirrors the
    // lower triangle at the end): a contiguous, vectorised sum, where Eigen's
    // triangular += walked the row-major storage column by column.
    as_square(st.second, k, d) += s.outer.template cast<double>();
}

/// accumulate_tile for full and tied mixtures with d >= kSyrkMinFeatures
/// when the E-step whitened about a centre c (stacked_norms): every
/// component's sums about c from one product (the table's stacked_scatter),
/// then moved to the shift mu_k exactly in exact arithmetic, with delta =
/// mu_k - c:
///   sum g (y - delta)(y - delta)^T = S - delta f^T - f delta^T + N delta delta^T,
///   sum g (y - delta) = f - N delta.
/// The move cancels about |C_k^T delta|^2 times the rounding of S, which the
/// caller bounds (kStackedScatterMaxOffset).
template <class T>
void accumulate_stacked(const RowMatrix<T>& shift, const T* centre, bool weighted,
                        Index n, StatScratch<T>& s, GaussianStatistics& st) {
    const Index d = shift.cols(), K = shift.rows(), ld = s.x.cols();
    const Index p = products::triangle_size(d);
    if (s.g.rows() == 0) {
        s.g.resize(K, ld);
        s.u.resize(p, ld);
        s.out.resize(p, K);
        s.first_c.resize(K, d);
        s.delta.resize(d);
    }
    for (Index k = 0; k < K; ++k) {
        auto gk = s.g.row(k).head(n).array();
        if (weighted) {
            gk = s.logp.row(k).head(n).array() * s.weights.head(n);
        } else {
            gk = s.logp.row(k).head(n).array();
        }
    }
    dispatch::table<T>().stacked_scatter(s.x.data(), centre, d, ld, n, s.g.data(), K,
                                         s.diff.data(), s.u.data(), s.out.data(),
                                         s.first_c.data());
    for (Index k = 0; k < K; ++k) {
        const T nk = s.g.row(k).head(n).sum();
        st.resp_sum[k] += static_cast<double>(nk);
        const T* f = s.first_c.data() + k * d;
        T* delta = s.delta.data();
        for (Index j = 0; j < d; ++j) delta[j] = shift(k, j) - centre[j];
        // The tile's own check of the cancellation: where a variance about
        // the mean is below 1/kStackedScatterMaxOffset of the one about c
        // (points near mu_k, far from c), this component's scatter is taken
        // about its mean directly.
        bool cancels = false;
        for (Index i = 0, at = 0; i < d && !cancels; at += i + 2, ++i) {
            const T about_mean =
                s.out(at, k) - T(2) * delta[i] * f[i] + nk * delta[i] * delta[i];
            cancels = s.out(at, k) > T(kStackedScatterMaxOffset) * about_mean;
        }
        if (cancels) {
            s.wresp.head(n) = s.g.row(k).head(n).array();
            accumulate_scatter_syrk(shift, k, n, s, st);
            continue;
        }
        auto sec = as_square(st.second, k, d);
        Index at = 0;
        for (Index i = 0; i < d; ++i) {
            for (Index j = 0; j <= i; ++j, ++at) {
                const T moved = s.out(at, k) - delta[i] * f[j] - f[i] * delta[j] +
                                nk * delta[i] * delta[j];
                sec(i, j) += static_cast<double>(moved);
            }
        }
        for (Index j = 0; j < d; ++j)
            st.first(k, j) += static_cast<double>(f[j] - nk * delta[j]);
    }
}

/// The first n columns of a float tile's rows, responsibilities (or the
/// lane kernels' exponentials), row weights and scales in double.
inline StatScratch<double>& widen(StatScratch<float>& s, Index n, bool weighted) {
    StatScratch<double>& w = *s.wide;
    w.x.leftCols(n) = s.x.leftCols(n).cast<double>();
    w.logp.leftCols(n) = s.logp.leftCols(n).cast<double>();
    w.wresp.head(n) = s.wresp.head(n).cast<double>();
    if (weighted) w.weights.head(n) = s.weights.head(n).cast<double>();
    return w;
}

/// Adds the tile's contribution to `st`. s.logp(:, 0:n) holds responsibilities,
/// s.weights(0:n) the row weights (when weighted).
/// With a centre (not null; full and tied, d >= kSyrkMinFeatures, and no kept
/// differences) the scatters come from accumulate_stacked.
template <class T>
void accumulate_tile(const RowMatrix<T>& shift, bool weighted, bool with_second,
                     Index n, StatScratch<T>& s, GaussianStatistics& st,
                     const T* centre = nullptr) {
    const Index d = shift.cols();
    const bool matrix = is_matrix_type(st.covariance_type);
    if (centre != nullptr && with_second && matrix && d >= kSyrkMinFeatures &&
        s.diffs.empty()) {
        accumulate_stacked(shift, centre, weighted, n, s, st);
        return;
    }
    auto wr = s.wresp.head(n);
    for (Index k = 0; k < shift.rows(); ++k) {
        if (weighted) {
            wr = s.logp.row(k).head(n).array() * s.weights.head(n);
        } else {
            wr = s.logp.row(k).head(n).array();
        }
        st.resp_sum[k] += static_cast<double>(wr.sum());
        if (with_second && matrix && d >= kSyrkMinFeatures) {
            accumulate_scatter_syrk(shift, k, n, s, st);
            continue;
        }
        const Tile<T>* diff = &s.diff;
        if (s.diffs.empty()) {
            subtract_mean(s.x, shift.row(k), n, s.diff);
        } else {
            diff = &s.diffs[static_cast<std::size_t>(k)];  // left by the E-step
        }
        if (with_second && matrix && d >= kGemmMinFeatures) {
            // The scaled differences are needed for the product anyway; their
            // row sums are the first moments.
            for (Index j = 0; j < d; ++j) {
                s.white.row(j).head(n).array() = diff->row(j).head(n).array() * wr;
                st.first(k, j) += static_cast<double>(s.white.row(j).head(n).sum());
            }
            dispatch::table<T>().cross(s.white.data(), s.white.cols(), diff->data(),
                                       diff->cols(), d, d, n, s.outer.data());
            as_square(st.second, k, d) += s.outer.template cast<double>();
            continue;
        }
        for (Index j = 0; j < d; ++j) {
            st.first(k, j) +=
                static_cast<double>((diff->row(j).head(n).array() * wr).sum());
        }
        if (!with_second) continue;
        if (!matrix) {
            for (Index j = 0; j < d; ++j) {
                st.second(k, j) += static_cast<double>(
                    (diff->row(j).head(n).array().square() * wr).sum());
            }
            continue;
        }
        // Few features: the lower triangle as vector dot products over rows.
        auto sec = as_square(st.second, k, d);
        for (Index i = 0; i < d; ++i) {
            auto wi = s.white.row(0).head(n).array();
            wi = diff->row(i).head(n).array() * wr;
            for (Index j = 0; j <= i; ++j) {
                sec(i, j) +=
                    static_cast<double>((wi * diff->row(j).head(n).array()).sum());
            }
        }
    }
}

}  // namespace detail

/// The chunked pass behind chunked_statistics: fill(begin, rows, scratch)
/// evaluates a tile as there (returning whether scratch.lse holds log p(x)),
/// accumulate(shift_t, rows, scratch, st) adds its sums to st. The matrix
/// types' upper triangles are left for the caller to mirror.
template <class T, class Fill, class Accumulate>
GaussianStatistics chunked_statistics_with(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, CovarianceType type,
    const RowMatrixXd& shift, bool fill_keeps_diffs, ThreadPool& pool,
    const InterruptCheck& interrupt, Fill&& fill, Accumulate&& accumulate) {
    const Index n = X.rows(), d = X.cols(), k = shift.rows();
    if (shift.cols() != d)
        throw InvalidArgument("shift must have shape (n_components, n_features)");
    const bool weighted = sample_weight.size() > 0;
    if (weighted && sample_weight.size() != n) {
        throw InvalidArgument("sample_weight must have shape (n_samples,)");
    }
    GaussianStatistics proto(type, shift);
    const std::size_t slot_bytes =
        sizeof(double) * static_cast<std::size_t>(k * (1 + d + proto.second.cols()));
    const ChunkPlan plan = plan_chunks(n, gaussian_block_rows(d), slot_bytes);
    std::vector<GaussianStatistics> slots(static_cast<std::size_t>(plan.n_chunks),
                                          proto);
    const RowMatrix<T> shift_t = shift.template cast<T>();

    // float sums are formed from the rows again, in double (widen).
    const bool kept = fill_keeps_diffs && !std::is_same_v<T, float> &&
                      keep_diffs<T>(k, d, plan.block_rows);
    ScratchPool<detail::StatScratch<T>> scratch([&] {
        auto s = std::make_unique<detail::StatScratch<T>>(d, k, plan.block_rows);
        if (kept)
            s->diffs.assign(static_cast<std::size_t>(k), Tile<T>(d, plan.block_rows));
        return s;
    });
    pool.run(
        plan.n_chunks,
        [&](Index c) {
            const auto lease = scratch.borrow();
            detail::StatScratch<T>& s = *lease;
            GaussianStatistics& st = slots[static_cast<std::size_t>(c)];
            const Index end = plan.chunk_begin(c) + plan.chunk_size(c);
            for (Index b0 = plan.chunk_begin(c); b0 < end; b0 += plan.block_rows) {
                const Index rows = std::min(plan.block_rows, end - b0);
                load_tile(X, b0, rows, s.x);
                if (weighted) {
                    s.weights.head(rows) = sample_weight.segment(b0, rows)
                                               .template cast<T>()
                                               .transpose()
                                               .array();
                }
                const bool has_lse = fill(b0, rows, s);
                if (has_lse) {
                    if (weighted) {
                        st.log_likelihood +=
                            (s.lse.head(rows).template cast<double>() *
                             sample_weight.segment(b0, rows).array().transpose())
                                .sum();
                    } else {
                        st.log_likelihood +=
                            s.lse.head(rows).template cast<double>().sum();
                    }
                }
                st.weight_sum += weighted ? sample_weight.segment(b0, rows).sum()
                                          : static_cast<double>(rows);
                accumulate(shift_t, rows, s, st);
            }
        },
        interrupt);

    GaussianStatistics total = proto;
    for (const auto& slot : slots) total += slot;
    return total;
}

/// Sums statistics over all rows of X, chunk by chunk in parallel, and adds
/// the chunks in order (same bits for any thread count).
///
/// @param X (n, d) data  @param sample_weight (n), or empty for unit weights
/// @param shift (K, d) point each component's sums are taken about
/// @param fill  fill(begin, rows, scratch) writes responsibilities of rows
///              [begin, begin+rows) into scratch.logp(:, 0:rows) (the tile's
///              data is already in scratch.x) and, when it computes them,
///              log p(x) into scratch.lse; returns whether it did.
/// @param fill_keeps_diffs fill writes x - shift_k into scratch.diffs whenever
///              they are allocated (weighted_log_prob_tile about shift = means)
/// @param centre (d), or null: full and tied scatters are formed about it
///              for all components at once (detail::accumulate_stacked)
template <class T, class Fill>
GaussianStatistics chunked_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, CovarianceType type,
    const RowMatrixXd& shift, bool with_second, bool fill_keeps_diffs, ThreadPool& pool,
    const InterruptCheck& interrupt, Fill&& fill, const double* centre = nullptr) {
    const Index d = X.cols(), k = shift.rows();
    const bool weighted = sample_weight.size() > 0;
    GaussianStatistics total = chunked_statistics_with<T>(
        X, sample_weight, type, shift, fill_keeps_diffs, pool, interrupt,
        [&](Index begin, Index rows, detail::StatScratch<T>& s) {
            return fill(begin, rows, static_cast<TileScratch<T>&>(s));
        },
        [&]([[maybe_unused]] const RowMatrix<T>& shift_t, Index rows,
            detail::StatScratch<T>& s, GaussianStatistics& st) {
            if constexpr (std::is_same_v<T, float>) {
                // Products and sums in double (WideScratch), about the double
                // shift itself.
                detail::accumulate_tile<double>(shift, weighted, with_second, rows,
                                                detail::widen(s, rows, weighted), st,
                                                centre);
            } else {
                detail::accumulate_tile(shift_t, weighted, with_second, rows, s, st,
                                        centre);
            }
        });
    if (is_matrix_type(type) && with_second) {
        for (Index c = 0; c < k; ++c) {
            auto sec = as_square(total.second, c, d);
            sec.template triangularView<Eigen::StrictlyUpper>() = sec.transpose();
        }
    }
    return total;
}

/// Whether lane_e_step_statistics handles this mixture: few features, and
/// for full and tied covariances lower triangular factors.
template <class T>
bool lanes_apply(const GaussianKernel<T>& m) {
    if (is_matrix_type(m.type))
        return m.n_features <= lanes::kMaxFullFeatures && m.lower_factors;
    return true;
}

/// e_step_statistics with the lane kernels (gaussian_lanes.hpp): the
/// log-densities of a packet of rows from registers, a polynomial exp, and
/// sums made of register tiles; no (d, B) difference tile per component.
template <class T>
GaussianStatistics lane_e_step_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, const GaussianKernel<T>& m,
    const RowMatrixXd& means, ThreadPool& pool, const InterruptCheck& interrupt) {
    static_assert(gaussian_block_rows(lanes::kMaxFullFeatures) == lanes::kTileRows,
                  "the compile-time lane kernels address tiles of kTileRows rows");
    const Index K = m.n_components, d = m.n_features;
    const bool full = is_matrix_type(m.type);
    const bool weighted = sample_weight.size() > 0;
    // Flat parameter arrays: the factors one after another, and spherical
    // precisions spread over the features.
    RowMatrix<T> factors, precisions;
    lanes::LaneModel<T> lm;
    lm.n_components = K;
    lm.n_features = d;
    lm.means = m.means.data();
    lm.log_norm = m.log_norm.data();
    if (full) {
        factors.resize(static_cast<Index>(m.factors.size()), d * d);
        for (std::size_t c = 0; c < m.factors.size(); ++c)
            factors.row(static_cast<Index>(c)) =
                Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(
                    m.factors[c].data(), d * d);
        lm.factors = factors.data();
        lm.factor_stride = m.type == CovarianceType::tied ? 0 : d * d;
    } else {
        precisions = m.type == CovarianceType::spherical
                         ? RowMatrix<T>(m.precisions.col(0).replicate(1, d))
                         : m.precisions;
        lm.precisions = precisions.data();
    }
    lm.full = full;
    // What the statistics kernels read of the model (float data: in double).
    lanes::LaneModel<double> lm_wide;
    lm_wide.n_components = K;
    lm_wide.n_features = d;
    lm_wide.full = full;
    const dispatch::KernelTable<T>& kernels = dispatch::table<T>();
    const Index width = kernels.lanes;
    GaussianStatistics total = chunked_statistics_with<T>(
        X, sample_weight, m.type, means, false, pool, interrupt,
        [&](Index, Index rows, detail::StatScratch<T>& s) {
            // The table's packet width, which a dispatched table may not share
            // with this translation unit.
            const Index ld = s.x.cols(), n_pad = (rows + width - 1) / width * width;
            // The padding rows of the last packet are zeros, never garbage.
            for (Index i = 0; i < d; ++i)
                for (Index b = rows; b < n_pad; ++b) s.x(i, b) = T(0);
            kernels.log_prob(lm, s.x.data(), ld, n_pad, s.logp.data(), s.lse.data());
            kernels.normalize(K, rows, n_pad, negligible_log_ratio<T>(), s.logp.data(),
                              ld, s.lse.data(), s.wresp.data(),
                              weighted ? s.weights.data() : nullptr, s.acc.data());
            return true;
        },
        [&]([[maybe_unused]] const RowMatrix<T>& shift_t, Index rows,
            detail::StatScratch<T>& s, GaussianStatistics& st) {
            // The table's packet width, which a dispatched table may not share
            // with this translation unit.
            const Index ld = s.x.cols(), n_pad = (rows + width - 1) / width * width;
            if constexpr (std::is_same_v<T, float>) {
                // The double kernels on the widened tile (WideScratch), about
                // the double means; n_pad is a multiple of their packet too.
                detail::StatScratch<double>& w = detail::widen(s, n_pad, false);
                dispatch::table<double>().statistics(
                    lm_wide, means.data(), w.x.data(), ld, n_pad, w.logp.data(),
                    w.wresp.data(), w.wd.data(), w.dm.data(), st.resp_sum.data(),
                    st.first.data(), st.second.data());
            } else {
                kernels.statistics(lm, shift_t.data(), s.x.data(), ld, n_pad,
                                   s.logp.data(), s.wresp.data(), s.wd.data(),
                                   s.dm.data(), st.resp_sum.data(), st.first.data(),
                                   st.second.data());
            }
        });
    if (full) {
        for (Index c = 0; c < K; ++c) {
            auto sec = as_square(total.second, c, d);
            sec.template triangularView<Eigen::StrictlyUpper>() = sec.transpose();
        }
    }
    return total;
}

/// E-step fused with the statistics: responsibilities under `params` are
/// folded into sums about params.means, and sum w log p(x) is recorded.
/// One pass over X; no (n, K) array is formed.
template <class T>
GaussianStatistics e_step_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight,
    const GaussianMixtureParams& params, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (X.cols() != params.n_features()) {
        throw InvalidArgument("X has " + std::to_string(X.cols()) +
                              " features, the mixture " +
                              std::to_string(params.n_features()));
    }
    const GaussianKernel<T> kernel(params);
    if (lanes_apply(kernel)) {
        return lane_e_step_statistics(X, sample_weight, kernel, params.means, pool,
                                      interrupt);
    }
    // The scatter about the E-step's centre where moving it to the means
    // cancels little: |C_k^T (mu_k - c)|^2 <= kStackedScatterMaxOffset.
    Eigen::VectorXd centre;
    if (kernel.stacks() && kernel.n_components >= kStackedScatterMinComponents &&
        kernel.stacked_offsets.template cast<double>()
                .rowwise()
                .squaredNorm()
                .maxCoeff() <= kStackedScatterMaxOffset) {
        centre = kernel.centre.template cast<double>();
    }
    return chunked_statistics<T>(
        X, sample_weight, params.covariance_type, params.means, true, true, pool,
        interrupt,
        [&](Index, Index rows, TileScratch<T>& s) {
            weighted_log_prob_tile(kernel, rows, s);
            normalize_tile(kernel.n_components, rows, s);
            return true;
        },
        centre.size() > 0 ? centre.data() : nullptr);
}

/// Statistics of given responsibilities (n, K) about `shift`.
template <class T>
GaussianStatistics resp_statistics(
    const ConstRowMatrixRef<T>& X, const ConstRowMatrixRef<T>& resp,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, CovarianceType type,
    const RowMatrixXd& shift, bool with_second, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    if (resp.rows() != X.rows() || resp.cols() != shift.rows()) {
        throw InvalidArgument("resp must have shape (n_samples, n_components)");
    }
    return chunked_statistics<T>(
        X, sample_weight, type, shift, with_second, false, pool, interrupt,
        [&](Index begin, Index rows, TileScratch<T>& s) {
            s.logp.leftCols(rows) = resp.middleRows(begin, rows).transpose();
            return false;
        });
}

/// Statistics of hard labels (one-hot responsibilities) about `shift`.
template <class T>
GaussianStatistics label_statistics(
    const ConstRowMatrixRef<T>& X,
    const Eigen::Ref<const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>>& labels,
    const Eigen::Ref<const Eigen::VectorXd>& sample_weight, CovarianceType type,
    const RowMatrixXd& shift, bool with_second, ThreadPool& pool,
    const InterruptCheck& interrupt = {}) {
    const Index k = shift.rows();
    if (labels.size() != X.rows())
        throw InvalidArgument("labels must have shape (n_samples,)");
    return chunked_statistics<T>(
        X, sample_weight, type, shift, with_second, false, pool, interrupt,
        [&](Index begin, Index rows, TileScratch<T>& s) {
            s.logp.leftCols(rows).setZero();
            for (Index b = 0; b < rows; ++b) {
                const auto l = labels[begin + b];
                if (l < 0 || l >= k) {
                    throw InvalidArgument("label out of range");
                }
                s.logp(l, b) = T(1);
            }
            return false;
        });
}

}  // namespace emclust
